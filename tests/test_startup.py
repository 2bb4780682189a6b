"""Start-up: `import s2sgrad` loads no rule family and no SciPy, and loading the
families when first needed never loses a rule.

Each check runs in a fresh interpreter, since this test process has long
loaded every family.  The scripts are files: s2sgrad reads their functions'
source.
"""
import pathlib
import subprocess
import sys
import textwrap

import pytest

import s2sgrad.rules
from s2sgrad.rules import FAMILIES


def run_fresh(tmp_path, script, name='script.py'):
    """Run `script` in a new interpreter; its stdout, stripped."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(script))
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                            cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_s2sgrad_loads_no_family_parses_no_rule_and_imports_no_scipy(tmp_path):
    out = run_fresh(tmp_path, '''
        import sys
        import s2sgrad
        from s2sgrad.frontend import source
        from s2sgrad.rules import FAMILIES

        print(sorted(name for name, _ in FAMILIES if f's2sgrad.rules.{name}' in sys.modules),
              len(source._parse_cache), 'scipy' in sys.modules)
    ''')
    assert out == "[] 0 False", out


def test_importing_s2sgrad_does_not_import_what_numpy_leaves_for_later(tmp_path):
    # numpy.random costs some 10 ms and is imported by NumPy only when first used
    assert run_fresh(tmp_path, '''
        import sys
        import numpy
        import s2sgrad

        print([name for name in ('numpy.random', 'numpy.fft', 'numpy.polynomial', 'scipy')
               if name in sys.modules])
    ''') == '[]'


def test_a_numpy_gradient_does_not_import_scipy(tmp_path):
    assert run_fresh(tmp_path, '''
        import sys
        import numpy as np
        import s2sgrad as sg

        def f(x):
            return np.sum(np.tanh(x) ** 2)

        x = np.array([0.5, -1.0])
        assert np.allclose(sg.grad(f)(x), 2 * np.tanh(x) * (1 - np.tanh(x) ** 2))
        print('scipy' in sys.modules)
    ''') == 'False'


SCIPY_GRADIENT = '''
    import sys
    import numpy as np
    import s2sgrad as sg

    x = np.array([0.5, 2.0, 7.5])
    if NUMPY_FIRST:
        def f(x):
            return np.sum(np.sin(x))

        assert np.allclose(sg.grad(f)(x), np.cos(x))
        assert 'scipy' not in sys.modules

    from scipy.special import expit, gammaln, psi

    def g(x):
        return np.sum(gammaln(x) * expit(x))

    want = psi(x) * expit(x) + gammaln(x) * expit(x) * (1 - expit(x))
    assert np.allclose(sg.grad(g)(x), want, rtol=1e-12, atol=0)
    print('ok')
'''


@pytest.mark.parametrize('numpy_first', [False, True], ids=['scipy-first', 'numpy-first'])
def test_a_scipy_function_is_differentiated_in_a_fresh_process(tmp_path, numpy_first):
    # numpy-first: the first gradient loads NumPy's families while SciPy's wait for
    # scipy.special; the first miss after it is imported loads them
    pytest.importorskip('scipy.special')
    script = SCIPY_GRADIENT.replace('NUMPY_FIRST', str(numpy_first))
    assert run_fresh(tmp_path, script) == 'ok'


NO_RULE = '''
    import numpy as np
    import s2sgrad as sg
    from s2sgrad import rules

    if LOAD_ALL:
        rules.load_all()

    def f(x):
        return np.sum(np.apply_along_axis(np.cumsum, 0, x))

    try:
        sg.grad(f)(np.arange(1.0, 4.0))
    except LookupError as exc:
        print(exc)
'''


def test_the_no_gradient_error_is_the_same_with_families_loaded_lazily(tmp_path):
    lazily = run_fresh(tmp_path, NO_RULE.replace('LOAD_ALL', 'False'))
    all_loaded = run_fresh(tmp_path, NO_RULE.replace('LOAD_ALL', 'True'))
    assert lazily == all_loaded
    assert lazily.startswith("No gradient defined for operation 'np.apply_along_axis' at "), lazily


def test_a_users_rule_replaces_a_familys_rule_loaded_after_it(tmp_path):
    # registered before any family is loaded: the families load first, so the
    # user's rule is the one that stays
    assert run_fresh(tmp_path, '''
        import numpy as np
        import s2sgrad as sg

        @sg.register_gradient(np.tanh)
        def tanh_grad(dy, y, x):
            return dy * 2.0

        def f(x):
            return np.sum(np.tanh(x))

        print(sg.grad(f)(np.array([0.5, -1.0])))
    ''') == '[2. 2.]'


def test_every_module_of_rules_that_registers_is_a_family():
    # a module missing from FAMILIES would never be loaded: its rules would be missed
    package = pathlib.Path(s2sgrad.rules.__file__).parent
    machinery = {'__init__', 'registry', 'template', 'catalog'}
    modules = {path.stem for path in package.glob('*.py')} - machinery
    assert modules == {name for name, _ in FAMILIES}


def test_listing_every_rule_loads_every_family(tmp_path):
    out = run_fresh(tmp_path, '''
        import sys
        from s2sgrad.rules import FAMILIES, registry

        families = {rule.fn.__module__ for rule in registry.all_rules()}
        missing = [name for name, _ in FAMILIES if f's2sgrad.rules.{name}' not in sys.modules]
        print(missing, 's2sgrad.rules.elementwise' in families)
    ''')
    assert out == '[] True'


def test_a_first_gradient_reads_sources_without_inspects_search(tmp_path):
    # the first gradient of a process reads the user's function and the rules it
    # expands from linecache by indentation (frontend/source.py): inspect's search,
    # which scans every loaded module, is not asked (bench/ times the first call)
    assert run_fresh(tmp_path, '''
        import inspect
        import sys
        import numpy as np
        import s2sgrad as sg

        def asked(*args, **kwargs):
            raise AssertionError('inspect.getsourcelines was asked')
        inspect.getsourcelines = asked

        @sg.graph
        def layer(W, x):
            return np.tanh(x @ W)

        def loss(W, x,
                 scale=0.5):
            z = layer(W, x)
            return np.mean(z ** 2) + scale * np.einsum('ij,ij->', z, z)

        W, x = np.full((3, 2), 0.1), np.linspace(-1.0, 1.0, 12).reshape(4, 3)
        dW = sg.grad(loss)(W, x)
        z = np.tanh(x @ W)
        want = x.T @ ((2.0 / z.size + 2 * 0.5) * z * (1 - z * z))
        print(np.allclose(dW, want), 'numpy.random' in sys.modules)
    ''') == 'True False'
