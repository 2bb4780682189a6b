"""Random straight-line programs: the specialised gradient against central
differences and against the general code.

The shape specialisation rewrites a gradient in many small ways (written-out
sums, dropped broadcasts, shared terms, folded factors, results written into
dead operands, big arrays released).  Each rewrite has its own tests; here
they meet: programs mixing broadcasting (an (n, m) array, an (m,) row, an
(n, 1) column, Python floats), reductions with and without keepdims, and
nonlinearities, at a small size and at one big enough (80 KB arrays) for the
in-place and release paths.  A program is written into a module file, since
s2sgrad reads source.
"""
import importlib.util
import sys

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

# (template, kind of result): operands are named values of any kind; 'same'
# gives the broadcast of both operands' kinds
_LINES = [
    ('{a} * {b}', 'same'),
    ('{a} + {b}', 'same'),
    ('{a} - {b}', 'same'),
    ('-{a} * {b}', 'same'),
    ('{a} / (1.0 + {b} * {b})', 'same'),
    ('np.tanh({a}) * 0.5', 'a'),
    ('np.exp(-{a} * {a})', 'a'),
    ('np.sin({a}) * 0.1 * 3', 'a'),
    ('np.exp(-{a} ** 2) * 0.5', 'a'),
    ('-({a} * {a}) * 0.25', 'a'),
    ('np.log1p({a} * {a}) + {b}', 'same'),
    ('{a} - np.max({a}, axis=-1, keepdims=True)', 'a'),
    ('np.sum({a}, axis=0)', 'row'),
    ('np.sum({a}, axis=1, keepdims=True)', 'column'),
    ('np.mean({a}) * {b}', 'b'),
]
_KINDS = ['full', 'row', 'column', 'scalar']


def _broadcast(a, b):
    if 'full' in (a, b) or {a, b} == {'row', 'column'}:
        return 'full'
    return a if a != 'scalar' else b


def program_source(seed, n_lines=12):
    rng = np.random.default_rng(seed)
    names = {'A': 'full', 'r': 'row', 'c': 'column', 's': 'scalar'}
    lines = []
    for i in range(n_lines):
        template, kind = _LINES[int(rng.integers(len(_LINES)))]
        a, b = (list(names)[int(k)] for k in rng.integers(len(names), size=2))
        ka, kb = names[a], names[b]
        if template.startswith('np.sum({a}, axis=0)') and ka != 'full':
            continue
        if template.startswith('np.sum({a}, axis=1') and ka not in ('full', 'column'):
            continue
        if 'np.max' in template and ka not in ('full', 'row'):
            continue
        result = {'same': _broadcast(ka, kb), 'a': ka, 'b': kb, 'row': 'row',
                  'column': 'column'}[kind]
        v = f'v{i}'
        lines.append(f'    {v} = ' + template.format(a=a, b=b))
        names[v] = result
    last = list(names)[-1]
    fulls = [v for v, k in names.items() if k == 'full' and v != 'A']
    tail = f' + 0.5 * np.sum({fulls[0]} * {fulls[0]})' if fulls else ''
    return (f'def program(A, r, c, s):\n' + '\n'.join(lines) +
            f'\n    return np.sum({last}){tail}\n')


def load(source, tmp_path, name):
    path = tmp_path / f'{name}.py'
    path.write_text('import numpy as np\n\n\n' + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.program


def inputs(rng, n, m):
    return (rng.uniform(-1.0, 1.0, size=(n, m)), rng.uniform(-1.0, 1.0, size=m),
            rng.uniform(-1.0, 1.0, size=(n, 1)), float(rng.uniform(0.5, 1.5)))


@pytest.mark.parametrize('seed', range(40))
def test_a_random_program_small(seed, tmp_path):
    f = load(program_source(seed), tmp_path, f'random_small_{seed}')
    args = inputs(np.random.default_rng(seed), 4, 3)
    check_grads(f, *args, wrt=(0, 1, 2, 3), order=2 if seed % 4 == 0 else 1)
    g = sg.grad(f, wrt=(0, 1, 2, 3))
    for special, general in zip(g(*args), g.compiled.function(*args)):
        np.testing.assert_allclose(special, general, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('seed', range(40, 52))
def test_a_random_program_big(seed, tmp_path):
    # 128 x 80 float64: 80 KB, over the sizes where results go into dead operands
    # and big arrays are released
    f = load(program_source(seed), tmp_path, f'random_big_{seed}')
    args = inputs(np.random.default_rng(seed), 128, 80)
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    g = sg.grad(f, wrt=(0, 1, 2, 3))
    special = g(*args)
    for a, b in zip(args, copies):
        np.testing.assert_array_equal(a, b)         # arguments never written
    for s, general in zip(special, g.compiled.function(*args)):
        np.testing.assert_allclose(s, general, rtol=1e-12, atol=1e-14)
    check_grads(f, *args, wrt=(0, 1, 2, 3), order=1)


def loop_source(seed, n_lines=6):
    """A random body in a loop carrying a full array h (and, in half the programs,
    a row of the input read by the loop counter)."""
    body = program_source(seed, n_lines).split('\n')[1:-2]     # the lines, no return
    body = [line.replace('    v', '        v', 1) for line in body]
    for k, line in enumerate(body):
        body[k] = line.replace('A', 'h')
    last = body[-1].split('=')[0].strip() if body else 'h'
    row = '        r = X[i]\n' if seed % 2 else ''
    return ('def program(A, r, c, s, X):\n'
            '    h = A * 0.5\n'
            '    for i in range(3):\n' + row + '\n'.join(body) +
            f'\n        h = np.tanh(h + {last})\n'
            '    return np.sum(h * h)\n')


@pytest.mark.parametrize('seed', range(100, 116))
@pytest.mark.parametrize('n, m', [(4, 3), (128, 80)])
def test_a_random_loop(seed, n, m, tmp_path):
    f = load(loop_source(seed), tmp_path, f'random_loop_{seed}_{n}')
    rng = np.random.default_rng(seed)
    args = inputs(rng, n, m) + (rng.uniform(-1.0, 1.0, size=(3, m)),)
    g = sg.grad(f, wrt=(0, 1, 2, 3, 4))
    for s, general in zip(g(*args), g.compiled.function(*args)):
        np.testing.assert_allclose(s, general, rtol=1e-12, atol=1e-14)
    check_grads(f, *args, wrt=(0, 1, 2, 3, 4), order=1)
