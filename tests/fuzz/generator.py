"""Random user-style programs for the differential fuzzer, one per seed.

A program is the text of a Python module: ``import numpy as np``, optional
module globals and helper functions, and ``def program(...)``, most often
returning a float.  It is written into a real file, since s2sgrad reads source.

The body is a sequence of *blocks*.  A block is one small statement template
(a Python function below, registered with ``@block(feature)``) that reads
values already in scope, may define new ones, and adds a term to the running
float ``acc``.  Each template belongs to one *feature*; the features a
program was built from are recorded so a report can be broken down by them.

Values in scope have a *kind*, a fixed shape, so templates combine freely:

    M (3, 4)   R (4,)   C (3, 1)   S scalar   X (5, 4) rows read in loops
    W (4, 4)   P list of (W, b) tuples        D dict of arrays

The arguments are ``A`` (M), ``r`` (R), ``c`` (C), ``s`` (S, spelled as a
Python float, an ``np.float64`` or a 0-d array), ``X``, ``W`` and, when the
``container_args`` feature is on, ``P`` and ``D``; the blocks of ``trees.py``
add ``p`` (a dict), ``model`` (an object of a class the module defines) and
``T`` (a NamedTuple or a list of tuples), and may pass one object twice.  ``wrt``
is a random non-empty subset of them.  The templates register through
``registry.py``; those of containers and objects passed in are in ``trees.py``.
New values enter scope as blocks define them, and later blocks prefer the
newest value of a kind, so the blocks chain.

Three features change more than the body: ``globals`` adds module state (or a
closure cell: ``program`` is then made by a factory) that the oracle changes
after a first call (``Program.rebind``); ``outputs`` picks
what the function returns (a float spelled several ways, a tuple, an array,
None, a string); ``keywords`` makes the caller pass the last parameters by
name (``Program.keywords``).  A ``names`` block may add a parameter with a
default, named like something generated code uses (``reversed``, ``_sg_...``).

Programs are numerically tame: values pass through tanh, sin and exp(-x*x),
factors are small, no division by a value that can be near zero, and every
loop has a bound, so central differences are reliable and every program ends.

Everything is deterministic per seed (``random.Random(seed)``): the same seed
and feature list give the same source, arguments and ``wrt``.
"""
import dataclasses
import random
import re

import numpy as np

from . import runtime_lists, trees  # noqa: F401 (their blocks register)
from .registry import BLOCKS, Builder, block, indent

SHAPES = {'M': (3, 4), 'R': (4,), 'C': (3, 1), 'X': (5, 4), 'W': (4, 4)}
# The sizes of a second call of the same gradient: each size of SHAPES made
# another, none 1, so the ranks and unit dimensions stay and a specialisation
# made for the first call serves it (Program.arguments(SECOND_SIZES)).
SECOND_SIZES = {3: 5, 4: 7, 5: 6}

@dataclasses.dataclass
class Program:
    seed: int
    features: tuple          # sorted names of the features its blocks came from
    source: str              # the module text
    params: tuple            # parameter names of `program`
    wrt: tuple               # the differentiated parameters (names)
    scalar_spelling: str     # 'float', 'float64' or '0d'
    rebind: dict             # target ('G', 'CFG.gain', "CONF['k']") -> source of its new value
    graph_gradients: bool    # the module also defines `program_grads` (sg.gradients)
    keywords: tuple = ()     # the last parameters, passed by keyword
    trees: dict = dataclasses.field(default_factory=dict)    # 'p', 'model', 'T' -> kind
    aliases: dict = dataclasses.field(default_factory=dict)  # parameter -> one passed the same
    second_order: bool = False   # also check sg.grad(sg.grad(program)) (no loop in it)

    def arguments(self, sizes=None, module=None):
        """Fresh argument values (deterministic per seed); with `sizes` (a map of
        the sizes of SHAPES to others: SECOND_SIZES) arrays of those sizes, other
        values.  `module`, the program's, gives the classes of its objects."""
        rng = np.random.default_rng(self.seed if sizes is None else self.seed + 104_729)
        sizes = sizes or {}

        def shape(*dims):
            return tuple(sizes.get(d, d) for d in dims)
        values = {}
        for name in self.params:
            if name == 's':
                x = float(rng.uniform(0.5, 1.2))
                values[name] = {'float': x, 'float64': np.float64(x),
                                '0d': np.array(x)}[self.scalar_spelling]
            elif name == 'P':
                values[name] = [(rng.uniform(-0.6, 0.6, shape(4, 4)),
                                 rng.uniform(-0.5, 0.5, shape(4))) for _ in range(2)]
            elif name in self.trees:
                values[name] = trees.value(self.trees[name], rng, shape, module)
            elif name in self.aliases:
                continue
            elif name == 'D':
                values[name] = {'w': rng.uniform(-1, 1, shape(4)),
                                'm': rng.uniform(-1, 1, shape(3, 4))}
            else:
                kind = {'A': 'M', 'r': 'R', 'c': 'C', 'X': 'X', 'W': 'W'}[name]
                scale = 0.6 if kind == 'W' else 1.0
                values[name] = rng.uniform(-scale, scale, shape(*SHAPES[kind]))
        for name, same in self.aliases.items():
            values[name] = values[same]
        return [values[name] for name in self.params]


# -- straight-line code --------------------------------------------------------

@block('straight')
def elementwise(g):
    m, r, c, s = g.pick('M'), g.pick('R'), g.pick('C'), g.pick('S')
    y = g.new('M')
    expr = g.choice([f'np.tanh({m} * 0.5 + {r})', f'np.sin({m}) * {c} + {s}',
                     f'np.exp(-{m} * {m}) * {s}', f'{m} * {r} - {c}',
                     f'np.maximum({m}, 0.2 * {m})', f'{m} - np.max({m}, axis=-1, keepdims=True)',
                     f'np.where({m} > 0.0, {m}, 0.5 * {m})', f'({m} + {c}) ** 2 * 0.5'])
    return [f'{y} = {expr}', g.add(f'{y} * {y}')]


@block('straight')
def reductions(g):
    m = g.pick('M')
    r, c, z = g.new('R'), g.new('C', 'w'), g.new('S', 'z')
    return [f'{r} = ' + g.choice([f'np.sum({m}, axis=0) * 0.3', f'np.mean({m}, axis=0)',
                                  f'np.max({m}, axis=0)']),
            f'{c} = ' + g.choice([f'np.mean({m}, axis=1, keepdims=True)',
                                  f'np.sum({m} * {m}, axis=-1, keepdims=True) * 0.2']),
            f'{z} = ' + g.choice([f'np.sum(np.exp(-{m} * {m})) * 0.1', f'np.mean({m} ** 2)',
                                  f'float(np.sum({r} * {r}))']),
            g.add(f'{r} * {z}'), g.add(c)]


# -- matmul ------------------------------------------------------------------

@block('matmul')
def matmuls(g):
    m, w, r = g.pick('M'), g.pick('W'), g.pick('R')
    y, h, z = g.new('M'), g.new('R', 'h'), g.new('S', 'z')
    return [f'{y} = np.tanh({g.matmul(m, w)} * 0.5)',
            f'{h} = {g.matmul(r, w)} + {r}',
            f'{z} = {g.matmul(h, r)} * 0.1',
            g.add(f'{g.matmul(m, h)}'), g.add(y), f'acc = acc + {z}']


# -- loops -------------------------------------------------------------------

@block('for_range')
def range_loop(g):
    r, s, x = g.pick('R'), g.pick('S'), g.pick('X')
    h, t = g.new('R', 'h'), g.name('t')
    header = g.choice([f'for {t} in range({x}.shape[0]):', f'for {t} in range(len({x})):',
                       f'for {t} in range(5):', f'for {t} in range(1, 5):'])
    body = [f'{h} = np.tanh({h} * 0.7 + {x}[{t}] * {s})']
    if g.coin():
        body.append(g.add(h, '0.1'))
    return [f'{h} = {r} * 1.0', header] + indent(body) + [g.add(h)]


@block('for_rows')
def rows_loop(g):
    r, m, x = g.pick('R'), g.pick('M'), g.pick('X')
    h, row, i = g.new('R', 'h'), g.name('row'), g.name('i')
    header, step = g.choice([
        (f'for {row} in {x}:', f'{row}'),
        (f'for {row} in {m}:', f'{row} * 0.5'),
        (f'for {i}, {row} in enumerate({x}):', f'{row} * (0.1 * {i})'),
        (f'for {row}, {i} in zip({x}, {x}[1:]):', f'{row} * {i}'),
        (f'for {i}, ({row}, q{g.index}) in enumerate(zip({x}, {x}[::-1])):',
         f'{row} - q{g.index}'),
    ])
    return [f'{h} = {r} * 0.5', header,
            f'    {h} = np.tanh({h} + {step})', g.add(h)]


@block('while')
def while_loop(g):
    r, x = g.pick('R'), g.pick('X')
    z, k, h = g.new('S', 'z'), g.name('k'), g.new('R', 'h')
    limit = g.choice(['1.5', '2.0', '2.5'])
    return [f'{z} = np.sum({r} * {r}) * 0.1', f'{h} = {r} * 1.0', f'{k} = 0',
            f'while {z} < {limit} and {k} < 6:',
            f'    {z} = {z} + 0.3 + 0.1 * np.tanh({z})',
            f'    {h} = np.tanh({h} + {x}[{k} % 5] * 0.5)',
            f'    {k} += 1',
            f'acc = acc + {z} * 0.1', g.add(h)]


@block('early_exit')
def exit_range(g):
    r, x = g.pick('R'), g.pick('X')
    h, t = g.new('R', 'h'), g.name('t')
    exit_line = g.choice([
        [f'if np.sum({h} * {h}) > 1.5:', '    break'],
        [f'if np.sum({x}[{t}]) < -0.3:', '    continue'],
        [f'if {t} % 2 == 1:', '    continue'],
        [f'if np.sum({h}) > 2.5:', f'    return acc + np.sum({h})'],
    ])
    return ([f'{h} = {r} * 0.5', f'for {t} in range(5):'] + indent(exit_line) +
            [f'    {h} = np.tanh({h} + {x}[{t}])', g.add(h)])


@block('early_exit')
def exit_normalise(g):
    # the corpus case: a loop with `break` normalising in place
    r = g.pick('R')
    v, n, t = g.new('R'), g.name('n'), g.name('t')
    return [f'{v} = {r} * 2.0', f'for {t} in range(4):',
            f'    {n} = np.sqrt(np.sum({v} * {v}) + 1.0)',
            f'    if {n} < 1.2:', '        break',
            f'    {v} /= {n}', g.add(f'{v} * {v}')]


@block('early_exit')
def exit_list(g):
    m, r = g.pick('M'), g.pick('R')
    items, it, total = g.name('items'), g.name('it'), g.new('S', 'z')
    exit_line = g.choice([
        [f'if np.sum({it}) > 1.0:', '    break'],
        [f'if np.max({it}) < 0.0:', '    continue'],
        [f'if np.sum({it}) > 2.0:', f'    return acc + {total}'],
    ])
    build = g.choice([f'{items} = [{m} * 0.5, np.tanh({m}), {m} * {r}, np.sin({m})]',
                      f'{items} = []\nfor q{g.index} in range(4):\n'
                      f'    {items}.append(np.tanh({m} * (0.3 * q{g.index} + 0.1)))'])
    return (build.split('\n') + [f'{total} = 0.0', f'for {it} in {items}:'] +
            indent(exit_line) + [f'    {total} = {total} + np.sum({it} * {it}) * 0.1',
                                 f'acc = acc + {total}'])


# -- branches ----------------------------------------------------------------

@block('branch')
def if_else(g):
    m, s, r = g.pick('M'), g.pick('S'), g.pick('R')
    y = g.new('M')
    cond = g.choice([f'np.sum({m}) > 0.0', f'{s} > 0.8', f'np.max({r}) < 0.5',
                     f'np.mean({m}) > 0.1 and {s} < 1.0'])
    if g.coin(0.3):
        return [f'{y} = np.tanh({m}) if {cond} else {m} * 0.5', g.add(y)]
    return [f'if {cond}:', f'    {y} = np.tanh({m} * {s})', 'else:',
            f'    {y} = {m} * 0.5 + {r}', g.add(f'{y} * {y}')]


# -- containers built in the function ------------------------------------------

@block('containers')
def list_tuple(g):
    m, r, s = g.pick('M'), g.pick('R'), g.pick('S')
    lst, a, b = g.name('lst'), g.new('M', 'a'), g.new('S', 'b')
    lines = g.choice([
        [f'{lst} = [{m}, np.tanh({m}), {m} * 0.5]', f'{a} = {lst}[1] + {lst}[-1]'],
        [f'{lst} = [{m} * 0.5]', f'{lst}[0] = np.tanh({lst}[0])', f'{a} = {lst}[0] * 2.0'],
        [f'{lst} = []', f'{lst} += [{m}]', f'{lst} += [np.sin({m})]', f'{a} = {lst}[0] * {lst}[1]'],
    ])
    pair = g.choice([[f'tup{g.index} = ({r}, {s})', f'e{g.index}, {b} = tup{g.index}'],
                     [f'tup{g.index} = ({r}, {s})',
                      f'{b} = tup{g.index}[1] * np.sum(tup{g.index}[0])']])
    return lines + pair + [g.add(a), f'acc = acc + 0.1 * {b}']


@block('containers')
def dict_iteration(g):
    m, r = g.pick('M'), g.pick('R')
    d, k, v = g.name('dd'), g.name('k'), g.name('val')
    total = g.new('S', 'z')
    loop = g.choice([
        [f'for {k} in {d}:', f'    {total} = {total} + np.sum({d}[{k}]) * 0.1'],
        [f'for {k} in {d}:', f'    if {k} == "p":',
         f'        {total} = {total} + np.sum({d}[{k}])'],
        [f'for {k}, {v} in {d}.items():', f'    {total} = {total} + np.sum({v} * {v}) * 0.1'],
        [f'for {k} in {d}.keys():', f'    {total} = {total} + np.sum({d}[{k}]) * len({k})'],
        [f'for {v} in {d}.values():', f'    {total} = {total} + np.sum(np.tanh({v}))'],
    ])
    return ([f'{d} = {{"p": {r}, "qq": np.tanh({m})}}', f'{total} = 0.0'] + loop +
            [f'acc = acc + {total}'])


@block('containers')
def list_in_loop(g):
    r, x = g.pick('R'), g.pick('X')
    hs, t = g.name('hs'), g.name('t')
    return [f'{hs} = [{r}]', f'for {t} in range(3):',
            f'    {hs}.append(np.tanh({hs}[-1] + {x}[{t}]))', g.add(f'{hs}[-1]'),
            g.add(f'{hs}[1] * {hs}[2]')]


# -- helpers -----------------------------------------------------------------

@block('helper_pure')
def pure_helper(g):
    m, r = g.pick('M'), g.pick('R')
    name, y = f'layer{g.index}', g.new('M')
    g.helpers.append(f'def {name}(a, b, scale=0.5):\n'
                     f'    return np.tanh(a * scale + b)\n')
    call = g.choice([f'{name}({m}, {r})', f'{name}({m}, b={r}, scale=0.3)'])
    return [f'{y} = {call}', g.add(f'{y} * {y}')]


@block('helper_mutate')
def mutating_helper(g):
    m, r = g.pick('M'), g.pick('R')
    n = g.index
    kind = g.choice(['scale', 'append', 'setitem', 'row'])
    if kind == 'scale':
        g.helpers.append(f'def scale_{n}(a):\n    a *= 3.0\n')
        y = g.new('M')
        return [f'{y} = {m} * 1.0', f'scale_{n}({y})', g.add(f'{y} * {y}')]
    if kind == 'append':
        g.helpers.append(f'def push_{n}(lst, v):\n    lst.append(v)\n')
        return [f'lst{n} = [{r}]', f'push_{n}(lst{n}, np.tanh({r}))',
                g.add(f'lst{n}[-1] * lst{n}[0]'), f'acc = acc + 0.1 * len(lst{n})']
    if kind == 'setitem':
        g.helpers.append(f'def put_{n}(d, v):\n    d["h"] = v\n')
        return [f'dd{n} = {{"a": {r}}}', f'put_{n}(dd{n}, np.sin({r}) * 2.0)',
                g.add(f'dd{n}["h"] + dd{n}["a"]')]
    g.helpers.append(f'def bump_{n}(B, v):\n    B[0] += v\n    return B\n')
    y = g.new('M')
    return [f'{y} = {m} * 1.0', f'bump_{n}({y}, {r})', g.add(f'np.tanh({y})')]


# -- views written through ---------------------------------------------------

@block('views')
def view_writes(g):
    m, r, c = g.pick('M'), g.pick('R'), g.pick('C')
    y, v, n = g.new('M', 'y'), g.name('vw'), g.index
    write = g.choice([
        [f'{v} = {y}[1:]', f'{v} *= 2.0'],
        [f'{v} = {y}[0]', f'{v} += {r}'],
        [f'{v} = {y}[:, 1]', f'{v} -= np.tanh({c}[:, 0])'],
        [f'{v} = {y}.reshape(12)', f'{v}[2:6] *= 0.5'],
        [f'{v} = {y}.reshape(2, 6)', f'{v} += 0.25'],
        [f'{v} = {y}.T', f'{v}[0] += {c}[:, 0]'],
        [f'{v} = {y}.ravel()', f'{v}[::2] *= 1.5'],
        [f'{v} = {y}[::2, 1:3]', f'{v}[...] = np.sin({v})'],
        [f'lst{n} = [{y}]', f'lst{n}[0] *= 2.0'],
        [f'dd{n} = {{"k": {y}}}', f'dd{n}["k"] += {r}'],
        [f'{y}[1:][0] *= 3.0'],
        [f'{y}[0][1:] = {r}[:3]'],
    ])
    return [f'{y} = {m} * 1.0'] + write + [g.add(f'{y} * {y}')]


# -- out= arguments and in-place NumPy functions ----------------------------------

@block('out_arg')
def out_args(g):
    m, r = g.pick('M'), g.pick('R')
    y = g.new('M', 'o')
    lines = g.choice([
        [f'{y} = np.empty_like({m})', f'np.multiply({m}, {m}, out={y})'],
        [f'{y} = {m} * 1.0', f'np.sin({y}, out={y})'],
        [f'{y} = np.zeros((3, 4))', f'np.tanh({m} * 0.5, out={y})'],
        [f'{y} = {m} * 1.0', f'np.add({y}, {r}, out={y})'],
        [f'{y} = np.zeros_like({m})', f'np.exp(-{m} * {m}, {y})'],
    ])
    return lines + [g.add(f'{y} * {m}')]


@block('inplace_np')
def inplace_functions(g):
    m, r = g.pick('M'), g.pick('R')
    q, y = g.new('W', 'Q'), g.new('M', 'y')
    call = g.choice([
        f'np.fill_diagonal({q}, 0.0)',
        f'np.put({y}, [0, 5], {r}[:2])',
        f'np.put({y}, [1, 7], [0.5, -0.5])',
        f'np.putmask({y}, {y} > 0.3, 0.3)',
        f'np.copyto({y}, {r})',
        f'np.copyto({y}, {m} * 2.0, where={m} > 0.0)',
        f'np.place({y}, {y} < -0.2, [0.0])',
        f'np.add.at({y}, ([0, 0, 1], [1, 1, 2]), {r}[:3])',
        f'{y}.sort()',
        f'{y}[0].sort()',
        f'{y}.sort(axis=0)',
    ])
    return [f'{q} = np.tanh({r}[:, None] * {r})', f'{y} = {m} * 1.0', call,
            g.add(f'{q} * {q}'), g.add(f'{y} * {y}')]


# -- containers of arrays as arguments -------------------------------------------

@block('container_args')
def layers_argument(g):
    r = g.pick('R')
    h, W, b = g.new('R', 'h'), g.name('Wl'), g.name('bl')
    g.uses_containers = True
    loop = g.choice([[f'for {W}, {b} in P:', f'    {h} = np.tanh({g.matmul(h, W)} + {b})'],
                     [f'for layer{g.index} in P:',
                      f'    {h} = np.tanh({g.matmul(h, f"layer{g.index}[0]")}'
                      f' + layer{g.index}[1])'],
                     [f'for j{g.index} in range(len(P)):',
                      f'    {h} = np.tanh({g.matmul(h, f"P[j{g.index}][0]")} + P[j{g.index}][1])']])
    return [f'{h} = {r} * 1.0'] + loop + [g.add(h)]


@block('container_args')
def dict_argument(g):
    m, r = g.pick('M'), g.pick('R')
    g.uses_containers = True
    total = g.new('S', 'z')
    use = g.choice([[f'{total} = np.sum(D["w"] * {r}) + np.sum(np.tanh(D["m"]) * {m})'],
                    [f'{total} = 0.0', f'for k{g.index} in D:',
                     f'    {total} = {total} + np.sum(D[k{g.index}] ** 2) * 0.1'],
                    [f'{total} = 0.0', f'for k{g.index}, v{g.index} in D.items():',
                     f'    {total} = {total} + np.sum(np.sin(v{g.index}))']])
    return use + [f'acc = acc + {total}']


# -- module globals rebound between calls ------------------------------------------

@block('globals')
def global_values(g):
    m, r = g.pick('M'), g.pick('R')
    n = g.index
    g.globals += [f'GAIN{n} = 0.5', f'SHIFT{n} = np.array([0.1, -0.2, 0.3, 0.0])']
    g.rebind[f'GAIN{n}'] = '1.25'
    g.rebind[f'SHIFT{n}'] = 'np.array([-0.3, 0.2, 0.1, 0.4])'
    y = g.new('M')
    use = g.choice([[f'{y} = np.tanh({m} * GAIN{n} + SHIFT{n} * {r})'],
                    [f'if GAIN{n} > 1.0:', f'    {y} = np.sin({m}) + SHIFT{n}', 'else:',
                     f'    {y} = {m} * GAIN{n}'],
                    [f'{y} = {m} * 1.0', f'for t{n} in range(2):',
                     f'    {y} = np.tanh({y} * GAIN{n} + SHIFT{n})']])
    return use + [g.add(y)]


@block('globals')
def global_containers(g):
    # state people keep in a module: a config object, a dict, read directly or by a helper
    m = g.pick('M')
    n = g.index
    y = g.new('M')
    kind = g.choice(['attribute', 'item', 'helper'])
    if kind == 'attribute':
        g.globals += ['import types', f'CFG{n} = types.SimpleNamespace(gain=0.5)']
        g.rebind[f'CFG{n}.gain'] = '1.5'
        return [f'{y} = np.tanh({m} * CFG{n}.gain)', g.add(y)]
    if kind == 'item':
        g.globals += [f'CONF{n} = {{"gain": 0.5, "bias": 0.1}}']
        g.rebind[f'CONF{n}["gain"]'] = '1.5'
        return [f'{y} = np.tanh({m} * CONF{n}["gain"] + CONF{n}["bias"])', g.add(y)]
    g.globals += [f'RATE{n} = 0.5']
    g.rebind[f'RATE{n}'] = '-0.75'
    g.helpers.append(f'def damp{n}(a):\n    return np.tanh(a * RATE{n})\n')
    return [f'{y} = damp{n}({m})', g.add(y)]


@block('globals')
def closure_values(g):
    # a value the function closes over, changed in its cell between calls
    m = g.pick('M')
    n = g.index
    y = g.new('M')
    g.closure.append((f'gain{n}', '0.5'))
    g.rebind[f'program.__closure__[program.__code__.co_freevars.index("gain{n}")]'
             f'.cell_contents'] = '1.5'
    return [f'{y} = np.tanh({m} * gain{n})', g.add(y)]


# -- dependences that are easy to miss ---------------------------------------------

@block('hidden_dependence')
def hidden_dependence(g):
    m, r = g.pick('M'), g.pick('R')
    y = g.new('M', 'y')
    lines = g.choice([
        [f'{y} = getattr({m}, "T").T * 1.0'],
        [f'{y} = np.full_like({m}, np.sum({r}) * 0.1) + {m}'],
        [f'{y} = {m} * 1.0', f'{y}[0, [0, 0]] = {r}[:2]'],
        [f'{y} = {m} * 1.0', f'{y}[[0, 0, 1]] = np.tanh({m}[:3] * 0.5)'],
        [f'{y} = np.where({m} > 0.0, {m}, np.zeros_like({m}) + np.mean({r}))'],
        [f'{y} = np.asarray({m}) * np.float64(np.max({r}))'],
        [f'{y} = {m}.copy()', f'{y} += {r}'],
    ])
    return lines + [g.add(f'{y} * {y}')]


# -- names a generated program might also use ------------------------------------------

@block('names')
def shadowing_names(g):
    # a user's local or parameter named like a builtin or like what generated code calls
    # its temporaries, gradients and helpers; never a builtin the other blocks call
    m, r = g.pick('M'), g.pick('R')
    name = g.choice(['math', 'sum', 'abs', 'max', 'min', 'list', 'tuple', 'reversed',
                     'np_', 'result', 'grad', 'value', 'dh', 'dA', 'dr', 'h_1', 'acc_1',
                     '_tanh', '_multiply', '_tape_h', '_sg_0', '_sg_unbroadcast',
                     '_sg_cast_like', '_sg_items'])
    if name in g.taken() or name in [p for p, _ in g.extra_params]:
        name = f'{name}_{g.index}'
    if g.coin(0.4):
        g.extra_params.append((name, '0.5'))        # a parameter left at its default
        y = g.new('M')
        return [f'{y} = np.tanh({m} * {name} + {r})', g.add(f'{y} * {m}')]
    g.scope['M'].append(name)                        # later blocks may read it too
    return [f'{name} = np.tanh({m} + {r})', f'{name} = {name} * 0.5', g.add(f'{name} * {m}')]


# -- how the function is called -----------------------------------------------------------

@block('keywords')
def keyword_call(g):
    # the caller passes the last parameters by keyword (the block's lines are incidental)
    g.by_keyword = True
    m, c = g.pick('M'), g.pick('C')
    return [g.add(f'{m} * {c}')]


# -- what the function returns ---------------------------------------------------------

RETURNS = {
    'float': 'return acc',
    'python_float': 'return float(acc)',
    'float64': 'return np.float64(acc)',
    'array_0d': 'return np.array(acc)',
    'tuple': 'return acc, acc * 0.5',           # several outputs: refused, naming has_aux
    'array': 'return acc * np.ones(2)',
    'none': None,                               # forgets `return`: not a value to differentiate
    'string': 'return "done"',
}
SCALAR_RETURNS = ('float', 'python_float', 'float64', 'array_0d')
LOOP = re.compile(r'\b(for|while)\b')
NUMERIC_RETURNS = ('float', 'python_float', 'float64', 'array_0d', 'tuple', 'array')


@block('outputs')
def output_kind(g):
    m = g.pick('M')
    g.returns = g.choice(list(RETURNS)[1:])
    return [g.add(f'np.tanh({m})')]


FEATURES = tuple(BLOCKS)


def generate(seed, features=None, n_blocks=None):
    """The program of `seed`, built from blocks of `features` (default all)."""
    rng = random.Random(seed)
    features = tuple(features or FEATURES)
    n_blocks = n_blocks or rng.randint(2, 5)
    body, used = ['acc = 0.0'], set()
    builder = Builder(rng, 0)
    for index in range(n_blocks):
        feature = rng.choice(features)
        template = rng.choice(BLOCKS[feature])
        builder.index, builder.pending = index, []
        body += template(builder)
        for kind, name in builder.pending:
            builder.scope[kind].append(name)
        used.add(feature)

    params = ['A', 'r', 'c', 's', 'X', 'W'] + (['P', 'D'] if builder.uses_containers else [])
    params += [name for name in ('p', 'model', 'T') if name in builder.trees]
    params += list(builder.aliases)
    # one object passed under two names has no gradient of its own for either name
    shared = set(builder.aliases) | set(builder.aliases.values())
    candidates = [p for p in params if (p != 'X' or rng.random() < 0.5) and p not in shared]
    wrt = tuple(p for p in candidates if rng.random() < 0.5) or (rng.choice(candidates),)
    if builder.uses_containers and not {'P', 'D'} & set(wrt) and rng.random() < 0.7:
        wrt += (rng.choice(['P', 'D']),)
    containers = sorted(set(builder.trees) - shared)
    if containers and not set(containers) & set(wrt) and rng.random() < 0.7:
        wrt += (rng.choice(containers),)
    wrt = tuple(p for p in params if p in wrt)
    graph_gradients = not builder.uses_containers and not builder.trees \
        and rng.random() < 0.3 \
        and builder.returns in NUMERIC_RETURNS
    ret = RETURNS[builder.returns]

    signature = ', '.join(params)
    defaults = ''.join(f', {name}={value}' for name, value in builder.extra_params)
    imports, classes = trees.class_sources(builder.trees, builder.methods)
    lines = imports + ['import numpy as np', 'import s2sgrad as sg', '']
    if classes:
        lines += [''] + classes + ['']
    lines += builder.globals + ([''] if builder.globals else [])
    for h in builder.helpers:
        lines += ['', h.rstrip('\n'), '']
    body += [ret] if ret else []
    function = [f'def program({signature}{defaults}):'] + indent(body)
    if builder.closure:
        cells = ', '.join(f'{name}={value}' for name, value in builder.closure)
        function = ([f'def make_program({cells}):'] + indent(function) +
                    ['    return program', '', '', 'program = make_program()'])
    lines += [''] + function + ['']
    if graph_gradients:
        lines += ['', f'def program_grads({signature}):',
                  f'    y = program({signature})',
                  f'    return sg.gradients(y, [{", ".join(wrt)}])', '']
    keywords = tuple(params[rng.randrange(len(params)):]) if builder.by_keyword else ()
    source = '\n'.join(lines)
    second_order = builder.returns in SCALAR_RETURNS and not LOOP.search(source) \
        and rng.random() < 0.3
    return Program(seed=seed, trees=dict(builder.trees), aliases=dict(builder.aliases),
                   second_order=second_order, features=tuple(sorted(used)), source=source,
                   keywords=keywords,
                   params=tuple(params), wrt=wrt,
                   scalar_spelling=rng.choice(['float', 'float64', '0d']),
                   rebind=builder.rebind, graph_gradients=graph_gradients)
