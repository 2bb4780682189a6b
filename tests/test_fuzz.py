"""The differential fuzzer: a fixed-seed run, and tests that it can fail.

A few hundred random programs (tests/fuzz) must each be right or refused at
the user's line.  Features listed in fuzz.PENDING_FEATURES still fail on
main: their programs run and are reported but not asserted, and each pending
feature must still fail (strict xfail), so the set is emptied as fixes land.
The command for thousands: python -m tests.fuzz --programs 5000 --jobs 2.
"""
import inspect
import io
import time

import numpy as np
import pytest

import s2sgrad as sg
from fuzz import PENDING_FEATURES, oracle
from fuzz.__main__ import main, report, run_many
from fuzz.generator import BLOCKS, FEATURES, Program, generate
from fuzz.shrink import shrink

SETTLED = tuple(f for f in FEATURES if f not in PENDING_FEATURES)


def failures(outcomes):
    return [o for o in outcomes if o.cls not in ('right', 'refused')]


def summary(outcomes):
    out = io.StringIO()
    report(outcomes, None, 0.0, out=out)
    return out.getvalue()


@pytest.fixture(scope='module')
def directory(tmp_path_factory):
    return str(tmp_path_factory.mktemp('fuzz'))


def test_the_settled_features_are_right_or_refused(directory):
    outcomes = run_many(range(200), SETTLED, directory)
    assert not failures(outcomes), summary(outcomes)
    assert sum(o.cls == 'right' for o in outcomes) > 100, summary(outcomes)


def test_every_feature_mixed_is_right_or_refused_unless_pending(directory, capsys):
    outcomes = run_many(range(10_000, 10_200), None, directory)
    pending = [o for o in outcomes if set(o.features) & PENDING_FEATURES]
    checked = [o for o in outcomes if o not in pending]
    assert not failures(checked), summary(checked)
    assert not [o for o in pending if o.cls == 'invalid'], summary(pending)
    with capsys.disabled():
        print(f'\nfuzz: {len(checked)} programs asserted, {len(pending)} with pending '
              f'features {sorted(PENDING_FEATURES)}: '
              f'{len(failures(pending))} of them wrong or crashed')


@pytest.mark.parametrize('feature', sorted(PENDING_FEATURES))
@pytest.mark.xfail(strict=True, reason='a pending feature: remove it from '
                   'PENDING_FEATURES in tests/fuzz/__init__.py when this passes')
def test_a_pending_feature(feature, directory):
    outcomes = run_many(range(20_000, 20_040), (feature,), directory)
    assert not failures(outcomes), summary(outcomes)


# -- findings of the fuzzer not fixed yet: each must still fail (strict), each is a
# program of its pending feature, shrunk; docs/fuzzing.md lists them

KNOWN_FINDINGS = {
}


# -- findings of the fuzzer fixed since: each program stays right
FIXED_FINDINGS = {
    # a dict passed under two names, written through one and read through the other:
    # the value was Python's without the aliasing (now a TypeError before it runs)
    'dict_passed_twice': ('def program(r, p, p2):\n'
                          '    p2["b"] = p2["b"] * 0.5 + r\n'
                          '    return np.sum(p["b"] * 1.0)\n',
                          ('r', 'p', 'p2'), ('r',), {'p': 'dict'}, {'p2': 'p'}, False),
    # a method named like an ndarray's was lowered as the array's: a zero gradient
    'method_named_repeat': ('@dataclasses.dataclass\nclass Model:\n'
                            '    W: np.ndarray\n    b: np.ndarray\n    h: np.ndarray\n'
                            '    n: int\n    act: str\n    opt: object\n\n'
                            '    def repeat(self, x):\n'
                            '        return np.tanh(x @ self.W + self.b)\n\n\n'
                            'def program(r, model):\n'
                            '    return np.sum(model.repeat(r))\n',
                            ('r', 'model'), ('r',), {'model': 'dataclass'}, {}, False),
}


def _outcome_of(finding, directory):
    body, params, wrt, trees, aliases, second_order = finding
    source = 'import dataclasses\nimport numpy as np\nimport s2sgrad as sg\n\n\n' + body
    return oracle.run(program(source, wrt=wrt, params=params, trees=trees, aliases=aliases,
                              second_order=second_order), directory)


@pytest.mark.parametrize('name', sorted(KNOWN_FINDINGS))
@pytest.mark.xfail(strict=True, reason='a known finding (docs/fuzzing.md): when it '
                   'passes, move it to FIXED_FINDINGS and its feature out of PENDING_FEATURES')
def test_a_known_finding(name, tmp_path):
    outcome = _outcome_of(KNOWN_FINDINGS[name], str(tmp_path))
    assert outcome.cls in ('right', 'refused'), outcome


@pytest.mark.parametrize('name', sorted(FIXED_FINDINGS))
def test_a_fixed_finding(name, tmp_path):
    outcome = _outcome_of(FIXED_FINDINGS[name], str(tmp_path))
    assert outcome.cls in ('right', 'refused'), outcome


def test_the_new_argument_kinds_are_checked_leaf_by_leaf(tmp_path):
    # a dict with constant leaves, an object of the module's class, an alias
    source = ('import dataclasses\nimport numpy as np\nimport s2sgrad as sg\n\n\n'
              '@dataclasses.dataclass\nclass Model:\n'
              '    W: np.ndarray\n    b: np.ndarray\n    h: np.ndarray\n'
              '    n: int\n    act: str\n    opt: object\n\n'
              '    def step(self, x):\n        self.h = np.tanh(self.h @ self.W + x)\n'
              '        return self.h\n\n\n'
              'def program(r, p, model, q):\n'
              '    p["b"] = p["b"] * q["n"] + r\n'
              '    model.step(p["b"])\n'
              '    if p["act"] == "tanh":\n        return np.sum(np.tanh(model.h))\n'
              '    return np.sum(model.h * p["W"][0])\n')
    made = program(source, wrt=('r', 'model'), params=('r', 'p', 'model', 'q'),
                   trees={'p': 'dict', 'model': 'dataclass', 'q': 'dict'}, second_order=True)
    outcome = oracle.run(made, str(tmp_path))
    assert (outcome.cls, outcome.second_order) == ('right', 'right'), outcome
    # q the same dict as p, which the program writes into: refused before it runs
    made = program(source, wrt=('r', 'model'), params=('r', 'p', 'model', 'q'),
                   trees={'p': 'dict', 'model': 'dataclass'},
                   aliases={'q': 'p'}, second_order=True)
    outcome = oracle.run(made, str(tmp_path))
    assert outcome.cls == 'refused' and 'one dict or list in two places' in outcome.reason


def test_a_modified_object_argument_is_wrong(monkeypatch, tmp_path):
    def fault(args, v, g):
        args[1].h[0] += 1.0
        return v, g
    faulty_value_and_grad(monkeypatch, fault)
    source = ('import dataclasses\nimport numpy as np\nimport s2sgrad as sg\n\n\n'
              'class Model:\n    def __init__(self, W, b, h, n, act, opt):\n'
              '        self.W, self.b, self.h = W, b, h\n'
              '        self.n, self.act, self.opt = n, act, opt\n\n\n'
              'def program(r, model):\n    return np.sum(np.tanh(r @ model.W) * model.h)\n')
    outcome = oracle.run(program(source, wrt=('r', 'model'), params=('r', 'model'),
                                 trees={'model': 'object'}), str(tmp_path))
    assert outcome.cls == 'wrong' and 'modified' in outcome.reason


def test_a_wrong_second_order_is_wrong(monkeypatch, tmp_path):
    real = sg.grad

    def patched(f, wrt=0):
        g = real(f, wrt=wrt)
        if getattr(f, '__name__', '') != 'program':      # the outer grad: off by 1%
            return lambda *args: g(*args) * 1.01
        return g
    monkeypatch.setattr(oracle.sg, 'grad', patched)
    outcome = oracle.run(program(second_order=True), str(tmp_path))
    assert outcome.cls == 'wrong' and 'second-order' in outcome.reason


# -- the generator -----------------------------------------------------------------

def test_a_seed_gives_one_program():
    for seed in (0, 1, 77):
        a, b = generate(seed), generate(seed)
        assert a == b
        with np.printoptions(threshold=10**6, precision=17):
            assert [repr(x) for x in a.arguments()] == [repr(x) for x in b.arguments()]
    assert generate(0).source != generate(1).source


def test_features_restrict_the_blocks():
    for feature in FEATURES:
        program = generate(3, (feature,))
        assert program.features == (feature,)
    assert len(FEATURES) >= 15 and all(BLOCKS[f] for f in FEATURES)


def test_the_scalar_argument_takes_every_spelling():
    spellings = {generate(seed).scalar_spelling for seed in range(30)}
    assert spellings == {'float', 'float64', '0d'}


def test_fast_enough():
    # processor time, not wall time: other work on the machine must not fail this
    start = time.process_time()
    run_many(range(30_000, 30_040), ('straight', 'matmul', 'for_range', 'branch'))
    assert time.process_time() - start < 4.0      # >= 10 programs a second


def test_the_command_reports_and_replays(tmp_path, capsys):
    assert main(['--programs', '6', '--seed', '40', '--features', 'straight,branch',
                 '--keep', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith('6 programs in ') and '\nall ' in out and '\nbranch ' in out
    assert main(['--programs', '4', '--settled', '--keep', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert not any(f'\n{feature} ' in out for feature in PENDING_FEATURES)
    assert main(['--programs', '4', '--keep', str(tmp_path)]) == 0     # (the same default)
    out = capsys.readouterr().out
    assert not any(f'\n{feature} ' in out for feature in PENDING_FEATURES)
    assert ('not run: the pending features' in out) == bool(PENDING_FEATURES)
    assert main(['--replay', '41', '--features', 'straight,branch',
                 '--keep', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert generate(41, ('straight', 'branch')).source in out and '\nright: ' in out


# -- the oracle can fail -------------------------------------------------------------

SOURCE = '''\
import numpy as np
import s2sgrad as sg

SCALE = 0.5


def program(A, r, c, s, X, W):
    acc = 0.0
    y = np.tanh(A * SCALE + r) * s
    acc = acc + np.sum(y * c)
    return acc
'''


def program(source=SOURCE, wrt=('A', 'r', 's'), **changes):
    fields = dict(seed=4242, features=('unit',), source=source,
                  params=('A', 'r', 'c', 's', 'X', 'W'), wrt=wrt, scalar_spelling='float',
                  rebind={}, graph_gradients=False)
    fields.update(changes)
    return Program(**fields)


def faulty_value_and_grad(monkeypatch, fault):
    """Make value_and_grad's results pass through `fault(args, value, grads)`."""
    real = sg.value_and_grad

    def patched(f, wrt=0):
        transformed = real(f, wrt=wrt)
        return lambda *args: fault(args, *transformed(*args))
    monkeypatch.setattr(oracle.sg, 'value_and_grad', patched)


def test_a_right_program_is_right(tmp_path):
    assert oracle.run(program(), str(tmp_path)).cls == 'right'


def test_a_wrong_gradient_is_wrong(monkeypatch, tmp_path):
    faulty_value_and_grad(monkeypatch, lambda args, v, g: (v, (g[0] * 1.001,) + g[1:]))
    outcome = oracle.run(program(), str(tmp_path))
    assert outcome.cls == 'wrong' and 'central differences' in outcome.reason
    assert outcome.path.endswith('fuzz_4242.py')     # kept, to be replayed


def test_a_zero_gradient_is_wrong(monkeypatch, tmp_path):
    faulty_value_and_grad(monkeypatch, lambda args, v, g: (v, tuple(x * 0.0 for x in g)))
    assert oracle.run(program(), str(tmp_path)).cls == 'wrong'


def test_a_wrong_value_is_wrong(monkeypatch, tmp_path):
    faulty_value_and_grad(monkeypatch, lambda args, v, g: (v * (1 + 1e-7), g))
    outcome = oracle.run(program(), str(tmp_path))
    assert outcome.cls == 'wrong' and 'Python gives' in outcome.reason


def test_a_modified_argument_is_wrong(monkeypatch, tmp_path):
    def fault(args, v, g):
        args[0][0, 0] += 1.0
        return v, g
    faulty_value_and_grad(monkeypatch, fault)
    outcome = oracle.run(program(), str(tmp_path))
    assert outcome.cls == 'wrong' and 'modified' in outcome.reason


@pytest.mark.parametrize('fault', [
    lambda args, v, g: (v, (g[0].astype(np.float32),) + g[1:]),
    lambda args, v, g: (v, (g[0][0],) + g[1:]),
    lambda args, v, g: (v, g[:2] + (np.array(g[2]),)),      # a float's gradient as an array
    lambda args, v, g: (v, g[:2]),
])
def test_a_gradient_shaped_unlike_its_argument_is_wrong(fault, monkeypatch, tmp_path):
    faulty_value_and_grad(monkeypatch, fault)
    assert oracle.run(program(), str(tmp_path)).cls == 'wrong'


def shapes(args):
    return tuple(np.shape(a) for a in args)


def test_a_stale_global_is_wrong(monkeypatch, tmp_path):
    first = {}

    def fault(args, v, g):       # a call after the rebinding gives the first value
        return first.setdefault(shapes(args), (v, g))
    faulty_value_and_grad(monkeypatch, fault)
    outcome = oracle.run(program(rebind={'SCALE': '1.5'}), str(tmp_path))
    assert outcome.cls == 'wrong' and 'rebound' in outcome.reason


def test_a_wrong_gradient_at_a_second_size_is_wrong(monkeypatch, tmp_path):
    first = []

    def fault(args, v, g):       # right at the first sizes only
        first.append(shapes(args))
        return (v, g) if shapes(args) == first[0] else (v, (g[0] * 1.001,) + g[1:])
    faulty_value_and_grad(monkeypatch, fault)
    outcome = oracle.run(program(), str(tmp_path))
    assert outcome.cls == 'wrong' and 'second size' in outcome.reason


def test_the_same_gradient_serves_a_second_size(tmp_path):
    outcome = oracle.run(program(), str(tmp_path))
    assert outcome.cls == 'right' and outcome.second_size == 'reused'


def test_a_refusal_at_the_users_line_is_refused(tmp_path):
    source = SOURCE.replace('    acc = acc + np.sum(y * c)\n',
                            '    try:\n        acc = acc + np.sum(y * c)\n'
                            '    except ValueError:\n        pass\n')
    outcome = oracle.run(program(source), str(tmp_path))
    assert outcome.cls == 'refused' and outcome.reason.startswith('TransformError')


def test_a_missing_gradient_at_the_users_line_is_refused(tmp_path):
    source = SOURCE.replace('np.tanh(A * SCALE + r)', 'TANH(A * SCALE + r)').replace(
        'SCALE = 0.5\n', 'SCALE = 0.5\nTANH = np.vectorize(np.tanh)\n')
    outcome = oracle.run(program(source), str(tmp_path))
    assert outcome.cls == 'refused' and outcome.reason.startswith('LookupError')


def raising(monkeypatch, make_error):
    def patched(f, wrt=0):
        def call(*args):
            raise make_error(f.__code__.co_filename)
        return call
    monkeypatch.setattr(oracle.sg, 'value_and_grad', patched)


@pytest.mark.parametrize('make_error, cls', [
    (lambda path: ValueError(f'cannot do this ({path}:9)'), 'refused'),
    (lambda path: TypeError(f'cannot do this at {path}:9'), 'refused'),
    (lambda path: ValueError(f'cannot do this ({path}:99)'), 'crashed'),   # no such line
    (lambda path: ValueError('cannot do this (other.py:9)'), 'crashed'),
    (lambda path: KeyError(f'{path}:9'), 'crashed'),                      # not documented
    (lambda path: TypeError('unhashable type'), 'crashed'),
    (lambda path: sg.TransformError('cannot', None), 'crashed'),
    (lambda path: SyntaxError('bad', ('<s2sgrad program>', 3, 1, 'x\n')), 'crashed'),
])
def test_errors_are_classed_by_the_line_they_name(make_error, cls, monkeypatch, tmp_path):
    raising(monkeypatch, make_error)
    outcome = oracle.run(program(), str(tmp_path))
    assert outcome.cls == cls, outcome


def test_an_error_from_numpy_inside_generated_code_is_a_crash(tmp_path):
    # a note names the user's line, but NumPy raised it: Python ran the program
    def numpy_error(path):
        try:
            np.zeros(3) + np.zeros(4)
        except ValueError as exc:
            exc.add_note(f'{oracle.RUNTIME_NOTE}{path}:9: acc = acc + np.sum(y * c)')
            return exc
    exc = numpy_error(str(tmp_path / 'fuzz_1.py'))
    assert oracle.classify_error(exc, str(tmp_path / 'fuzz_1.py'), 12)[0] == 'crashed'
    exc.__notes__[0] = exc.__notes__[0].replace(oracle.RUNTIME_NOTE, 'from ')
    assert oracle.classify_error(exc, str(tmp_path / 'fuzz_1.py'), 12)[0] == 'refused'


def test_a_hang_is_a_crash(monkeypatch, tmp_path):
    def patched(f, wrt=0):
        def call(*args):
            while True:
                pass
        return call
    monkeypatch.setattr(oracle.sg, 'value_and_grad', patched)
    outcome = oracle.run(program(), str(tmp_path), timeout=0.5)
    assert (outcome.cls, outcome.reason) == ('crashed', 'timeout')


def test_a_gradient_of_no_value_is_wrong_and_its_refusal_refused(monkeypatch, tmp_path):
    source = SOURCE.replace('    return acc\n', '')            # forgets to return

    def zero_gradients(f, wrt=0):           # (s2sgrad itself refuses: a stand-in)
        names = list(inspect.signature(f).parameters)
        wrt = wrt if isinstance(wrt, tuple) else (wrt,)
        at = [names.index(w) if isinstance(w, str) else w for w in wrt]
        return lambda *args: (0.0, tuple(args[i] * 0.0 for i in at))
    monkeypatch.setattr(oracle.sg, 'value_and_grad', zero_gradients)
    outcome = oracle.run(program(source), str(tmp_path))
    assert outcome.cls == 'wrong' and 'returned None' in outcome.reason
    raising(monkeypatch, lambda path: TypeError(f'program returns None ({path}:11)'))
    assert oracle.run(program(source), str(tmp_path)).cls == 'refused'


def test_a_tuple_output_is_refused(tmp_path):
    # sg.grad of a function returning a tuple is an error naming has_aux, as in JAX
    source = SOURCE.replace('    return acc\n', '    return acc, acc * 0.5\n')
    assert oracle.run(program(source), str(tmp_path)).cls == 'refused'


@pytest.mark.parametrize('ret', ['acc * np.ones(2)', 'np.array(acc)'])
def test_several_outputs_are_compared_one_by_one(ret, monkeypatch, tmp_path):
    source = SOURCE.replace('    return acc\n', f'    return {ret}\n')
    assert oracle.run(program(source), str(tmp_path)).cls == 'right'

    def fault(args, v, g):
        return (v[0], v[1] * 1.01) if isinstance(v, tuple) else v * 1.01, g
    faulty_value_and_grad(monkeypatch, fault)
    assert oracle.run(program(source), str(tmp_path)).cls == 'wrong'


def test_a_program_python_cannot_run_is_invalid(tmp_path):
    source = SOURCE.replace('np.sum(y * c)', 'np.sum(y @ c)')
    assert oracle.run(program(source), str(tmp_path)).cls == 'invalid'


def test_a_kink_between_the_steps_is_not_called_wrong():
    # max(x - k, 0.2 (x - k)) just below its kink: the larger step straddles it, the
    # smaller does not, so the two differences disagree
    kink = 0.3 + 3e-4
    f = lambda a: float(np.maximum(a[0] - kink, 0.2 * (a[0] - kink)))   # noqa: E731
    check = oracle.Directional(f, [np.array([0.3])], [0], np.random.default_rng(0))
    check.direction = [np.array([1.0])]
    assert check.check(0.2, 'gradient') is False           # right: the smaller step agrees
    assert check.check(1.0, 'gradient') is True            # cannot judge: not called wrong
    smooth = oracle.Directional(lambda a: float(np.sum(np.sin(a))), [np.array([0.3])], [0],
                                np.random.default_rng(0))
    smooth.direction = [np.array([1.0])]
    assert smooth.check(np.cos(0.3), 'gradient') is False
    with pytest.raises(oracle.Wrong):
        smooth.check(np.cos(0.3) * (1 + 1e-4), 'gradient')


def test_the_shrinker_keeps_the_failure(monkeypatch, tmp_path):
    faulty_value_and_grad(monkeypatch, lambda args, v, g: (v, (g[0] * 1.5,) + g[1:]))
    big = generate(11, ('straight', 'branch', 'for_range'))
    small = shrink(big)
    assert oracle.signature(oracle.run(small, str(tmp_path))) == \
        oracle.signature(oracle.run(big, str(tmp_path)))
    assert len(small.source) < len(big.source)
    assert len(small.wrt) == 1
    assert len(small.params) < len(big.params)        # parameters the body never reads
