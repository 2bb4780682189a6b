"""Containers and objects as arguments: their values, their classes, and the
blocks that read, write, call and alias them.

Three container parameters may join ``program``'s, each when a block first
uses it, its kind then chosen once per program:

    p      a dict                  {'W', 'b', 'h': arrays, 'n': int, 'act': str, 'opt': None}
    model  a dataclass or a plain object of the class ``Model`` the program's
           module defines, with the same fields and the methods blocks ask for
    T      a NamedTuple ``Params`` with the same fields, or a list of two
           ``(W, b)`` tuples

``W`` is (4, 4), ``b`` and ``h`` are (4,); ``n``, ``act`` and ``opt`` are
constant leaves, read in ranges and branches (and drawn anew for the call at
other sizes, so each call may take its own branch).  An ``aliasing`` block may
add a parameter passed the very object another one is (``Builder.aliases``):
such a parameter is never differentiated, the oracle keeps the two one object
in every call (``copy.deepcopy`` of the argument list keeps it).

What these blocks write is the part of issue 13 that was found wrong by hand:
writes into a dict passed in, attribute writes, state a method writes into
``self``, writes into arrays that a container, a loop or an unpacking handed
out, and writes through an alias.  Each must be right or refused at its line.
"""
import types

from .registry import block

KINDS = {'p': ('dict',), 'model': ('dataclass', 'object'), 'T': ('namedtuple', 'tuples')}
FIELDS = ('W', 'b', 'h', 'n', 'act', 'opt')
CONSTANTS = ('n', 'act', 'opt')


def tree(g, name):
    """The kind of the container parameter `name`, chosen when first used."""
    if name not in g.trees:
        g.trees[name] = g.choice(KINDS[name])
    return g.trees[name]


def leaf(g, name, key, layer=0):
    """How the program reads the field `key` of the container `name`."""
    kind = tree(g, name)
    if kind == 'dict':
        return f'{name}["{key}"]'
    if kind == 'tuples':
        return f'{name}[{layer}][{0 if key == "W" else 1}]'
    return f'{name}.{key}'


def with_fields(g, need=('W', 'b')):
    """A container parameter that has the fields `need` (the list of tuples has W
    and b only); a dict only if it still holds them."""
    names = ['p', 'model', 'T']
    g.rng.shuffle(names)
    for name in names:
        if g.trees.get(name) == 'tuples' and set(need) - {'W', 'b'}:
            continue
        if name == 'p' and not set(need) - set(CONSTANTS) <= set(g.dict_keys):
            continue
        kind = tree(g, name)
        if kind == 'tuples' and set(need) - {'W', 'b'}:
            g.trees[name] = 'namedtuple'     # chosen just now: the kind with constants
        return name
    return 'model'


def begin(g, name):
    """A block on the container `name`: the (4,) value it starts from, the name it defines."""
    tree(g, name)
    return g.pick('R'), g.new('R', 'h')


# -- argument values -----------------------------------------------------------------

def fields(rng, shape):
    """Fresh field values; the constants drawn too, so another call may differ."""
    return {'W': rng.uniform(-0.6, 0.6, shape(4, 4)), 'b': rng.uniform(-0.5, 0.5, shape(4)),
            'h': rng.uniform(-1, 1, shape(4)), 'n': int(rng.integers(1, 4)),
            'act': str(rng.choice(['tanh', 'sin'])), 'opt': None}


def value(kind, rng, shape, module):
    """The argument of `kind`; classes are the program module's (a stand-in
    without one: the generator's own tests compare values only)."""
    values = fields(rng, shape)
    if kind == 'dict':
        return values
    if kind == 'tuples':
        return [(values['W'], values['b']),
                (rng.uniform(-0.6, 0.6, shape(4, 4)), rng.uniform(-0.5, 0.5, shape(4)))]
    if kind == 'namedtuple':
        return module.Params(**values) if module else tuple(values.values())
    return module.Model(**values) if module else types.SimpleNamespace(**values)


# -- the classes the program's module defines ---------------------------------------------

METHODS = {      # name -> (source, the methods it calls)
    '__call__': ('def __call__(self, x):\n    return np.tanh(x @ self.W + self.b)', ()),
    'forward': ('def forward(self, x, scale=1.0):\n'
                '    return self.activate(x @ self.W * scale) + self.b', ('activate',)),
    'activate': ('def activate(self, z):\n    if self.act == "tanh":\n'
                 '        return np.tanh(z)\n    return np.sin(z)', ()),
    'step': ('def step(self, x):\n    self.h = np.tanh(self.h @ self.W + x)\n'
             '    return self.h', ()),
    'energy': ('def energy(self):\n    return np.sum(self.h * self.h) + np.sum(self.b) * 0.5', ()),
    'decay': ('def decay(self, rate=0.5):\n    self.h = self.h * rate', ()),
    'unroll': ('def unroll(self, x):\n    for _ in range(self.n):\n        x = self(x)\n'
               '    return x', ('__call__',)),
}


def method(g, name):
    """Ask for the method `name` (and those it calls) in the class Model."""
    source, calls = METHODS[name]
    g.methods[name] = source
    for other in calls:
        method(g, other)
    return name


def class_sources(trees, methods):
    """The imports and the source lines of the classes the program's arguments are
    made of (two blank lines between classes)."""
    imports, classes = [], []
    if trees.get('T') == 'namedtuple':
        imports.append('import typing')
        classes.append(['class Params(typing.NamedTuple):'] + [
            f'    {f}: {t}' for f, t in zip(FIELDS, ANNOTATIONS)])
    kind = trees.get('model')
    if kind == 'dataclass':
        imports.append('import dataclasses')
        model = ['@dataclasses.dataclass', 'class Model:'] + [
            f'    {f}: {t}' for f, t in zip(FIELDS, ANNOTATIONS)]
    elif kind == 'object':
        model = ['class Model:', '    def __init__(self, ' + ', '.join(FIELDS) + '):'] + [
            f'        self.{f} = {f}' for f in FIELDS]
    if kind:
        for name in sorted(methods):
            model += [''] + ['    ' + line for line in methods[name].split('\n')]
        classes.append(model)
    lines = [line for c in classes for line in c + ['', '']][:-2]
    return sorted(imports), lines


ANNOTATIONS = ('np.ndarray', 'np.ndarray', 'np.ndarray', 'int', 'str', 'object')


# -- reading containers passed in ---------------------------------------------------------

@block('pytree_args')
def tree_reads(g):
    r = g.pick('R')
    h = g.new('R', 'h')
    name = with_fields(g)
    W, b = leaf(g, name, 'W'), leaf(g, name, 'b')
    n = g.index
    if tree(g, name) == 'tuples':
        lines = g.choice([
            [f'{h} = np.tanh({g.matmul(r, W)} + {b})'],
            [f'(W{n}, b{n}), (V{n}, c{n}) = {name}',
             f'{h} = np.tanh({g.matmul(r, f"W{n}")} + b{n}) * np.sum(c{n})'],
            [f'{h} = {r} * 1.0', f'for W{n}, b{n} in {name}:',
             f'    {h} = np.tanh({g.matmul(h, f"W{n}")} + b{n})'],
        ])
        return lines + [g.add(h)]
    lines = g.choice([
        [f'{h} = np.tanh({g.matmul(r, W)} + {b})'],
        [f'{h} = np.tanh({g.matmul(leaf(g, name, "h"), W)}) * {b} + {r}']
        if name != 'p' or 'h' in g.dict_keys else [f'{h} = {b} * {r}'],
    ] + ([[f'{h} = {r} * 0.0', f'for k{n}, v{n} in {name}.items():',
           f'    if k{n} == "b":', f'        {h} = {h} + v{n}'],
          [f'q{n} = dict({name})', f'{h} = np.tanh(q{n}["b"] + {r})']]
         if tree(g, name) == 'dict' else []) +
        ([[f'W{n}, b{n}, *rest{n} = {name}', f'{h} = np.tanh({g.matmul(r, f"W{n}")}) + b{n}']]
         if tree(g, name) == 'namedtuple' else []))
    return lines + [g.add(h)]


@block('pytree_args')
def constant_leaves(g):
    r = g.pick('R')
    h = g.new('R', 'h')
    name = with_fields(g, ('W', 'b', 'n', 'act', 'opt'))
    W, b = leaf(g, name, 'W'), leaf(g, name, 'b')
    n, act, opt = (leaf(g, name, k) for k in CONSTANTS)
    lines = g.choice([
        [f'{h} = {r} * 1.0', f'for t{g.index} in range({n}):',
         f'    {h} = np.tanh({g.matmul(h, W)} + {b})'],
        [f'if {act} == "tanh":', f'    {h} = np.tanh({r} + {b})', 'else:',
         f'    {h} = np.sin({r}) * {b}'],
        [f'{h} = {r} * {n} + {b}'],
        [f'if {opt} is not None:', f'    {h} = {r} + {opt}', 'else:',
         f'    {h} = {r} * 0.5 + {b}'],
        [f'{h} = {b} * len({act}) * 0.1 + {r}'],
        [f'{h} = np.tanh({r}) if {n} > 1 else {b}'],
    ])
    return lines + [g.add(h)]


# -- writes into a dict passed in ------------------------------------------------------------

READ_B = 'def read_b(d):\n    return np.tanh(d["b"])\n'
WRITE_B = 'def write_b(d, v):\n    d["b"] = d["b"] + v\n'


@block('dict_writes')
def dict_writes(g):
    r, h = begin(g, 'p')
    s, n = g.pick('S'), g.index
    W = 'p["W"]'
    options = [
        [f'p["W"] = p["W"] * 0.5 + {s} * 0.1', f'{h} = np.tanh({g.matmul(r, W)})'],
        [f'p["k{n}"] = np.tanh({r})', f'{h} = p["k{n}"] * p["b"]'],
        [f'p.update({{"b": p["b"] * {s}, "k{n}": {r} * 2.0}})', f'{h} = p["b"] + p["k{n}"]'],
        [f'q{n} = dict(p)', f'q{n}["b"] = q{n}["b"] * 2.0 + {r}', f'{h} = q{n}["b"] - p["b"]'],
        [f'q{n} = {{**p, "b": np.sin({r})}}', f'{h} = q{n}["b"] * p["b"]'],
        [f'p.setdefault("k{n}", {r} * 3.0)', f'{h} = p["k{n}"] + p["b"]'],
        [f'p["b"] = np.tanh(p["b"] + {r})', f'{h} = read_b(p) * 1.0'],
        [f'write_b(p, {r} * {s})', f'{h} = p["b"] * 1.0'],
    ]
    if 'h' in g.dict_keys:
        options += [[f'del p["h"]', f'{h} = {r} + len(p) * 0.01'],
                    [f'v{n} = p.pop("h")', f'{h} = v{n} * {r} + len(p) * 0.01']]
    lines = g.choice(options)
    for helper in (READ_B, WRITE_B):
        if helper.split('(')[0][4:] + '(' in '\n'.join(lines) and helper not in g.helpers:
            g.helpers.append(helper)
    if lines[0].startswith(('del p["h"]', f'v{n} = p.pop')):
        g.dict_keys.remove('h')
    if f'"k{n}"' in lines[0]:
        g.dict_keys.append(f'k{n}')
    return lines + [g.add(h)]


@block('dict_get')
def dict_get(g):
    # .get with a default, the key there or not (its second order once crashed)
    r, h = begin(g, 'p')
    key = g.choice(['b', 'missing'])
    return [f'{h} = p.get("{key}", {r}) * p.get("missing", {r})', g.add(h)]


# -- methods and attribute writes ----------------------------------------------------------

@block('methods')
def methods(g):
    r, h = begin(g, 'model')
    x, n = g.pick('X'), g.index
    lines, calls = g.choice([
        ([f'{h} = model({r})'], ['__call__']),
        ([f'{h} = model.forward({r}, scale=0.5)'], ['forward']),
        ([f'model.step({r})', f'{h} = model.h * 1.0'], ['step']),
        ([f'{h} = model.step({r}) + model.step({x}[0])'], ['step']),
        ([f'model.step({r})', f'{h} = {r} * model.energy()'], ['step', 'energy']),
        ([f'model.decay()', f'{h} = model.h + {r}'], ['decay']),
        ([f'model.h = model.h * 0.5 + {r}', f'{h} = model.h * 1.0'], []),
        ([f'model.W = model.W * 0.9', f'{h} = model({r})'], ['__call__']),
        ([f'model.b = np.tanh({r})', f'{h} = model.forward({r})'], ['forward']),
        ([f'{h} = model.unroll({r})'], ['unroll']),
        ([f'for t{n} in range(2):', f'    model.step({x}[t{n}])', f'{h} = model.h * 1.0'],
         ['step']),
    ])
    for name in calls:
        method(g, name)
    return lines + [g.add(h)]


# (those named like array methods with a rule that takes the object's arguments; 'sum',
# 'mean', 'max', ... are refused, if with a message that does not say why)
ARRAY_METHOD_NAMES = ('repeat', 'copy', 'reshape', 'take', 'round', 'squeeze', 'dot')


@block('method_names')
def method_names(g):
    # a method named like an ndarray's is lowered as the array's: a zero gradient
    # (repeat, copy, ...) or a crash (dot): docs/fuzzing.md, known findings
    r, h = begin(g, 'model')
    name = g.choice(ARRAY_METHOD_NAMES)
    g.methods[name] = METHODS['__call__'][0].replace('__call__', name)
    return [f'{h} = model.{name}({r})', g.add(h)]


# -- writes into arrays a container, a loop or an unpacking handed out ------------------------

@block('item_writes')
def item_writes(g):
    m, r, s, x = g.pick('M'), g.pick('R'), g.pick('S'), g.pick('X')
    n = g.index
    y = g.new('M', 'y')
    options = [
        [f'{y} = {m} * 1.0', f'for row{n} in {y}:', f'    row{n}[0] = {s}'],
        [f'{y} = {m} * 1.0', f'for row{n} in {y}:', f'    row{n} *= 0.5'],
        [f'Y{n} = {x} * 1.0', f'for row{n} in Y{n}:', f'    row{n}[1] = row{n}[0] * {s}',
         f'{y} = Y{n}[:3] * 1.0'],
        [f'for row{n} in {x}:', f'    row{n}[0] = 0.5', f'{y} = {x}[:3] * {m}'],
        [f'lst{n} = [{m} * 1.0, {m} * 2.0]', f'for a{n} in lst{n}:', f'    a{n}[0] = {r}',
         f'{y} = lst{n}[0] + lst{n}[1]'],
        [f'a{n}, b{n} = {m} * 1.0, {r} * 1.0', f'a{n}[0] = b{n}', f'{y} = a{n} * 1.0'],
        [f'd{n} = {{"a": {m} * 1.0}}', f'for k{n}, v{n} in d{n}.items():', f'    v{n}[0] = {r}',
         f'{y} = d{n}["a"] * 1.0'],
        [f'd{n} = {{"a": {m} * 1.0}}', f'd{n}["a"][1] = {r}', f'{y} = d{n}["a"] * 1.0'],
        [f'{y} = {m} * 1.0', f'Y{n} = {y}.copy()', f'Y{n}[0] = {r}', f'{y} = {y} + Y{n}'],
    ]
    name = with_fields(g)
    W, b = leaf(g, name, 'W'), leaf(g, name, 'b')
    options += [
        [f'{b}[0] = {s}', f'{y} = {m} * {b}'],
        [f'{b}[1:] += {r}[:3]', f'{y} = {m} * {b}'],
        [f'V{n} = {W}', f'V{n}[0] = {r}', f'{y} = {m} @ {W}'],
        [f'V{n} = {W}.copy()', f'V{n}[0] = {r}', f'{y} = {m} @ V{n}'],
    ]
    if tree(g, name) == 'tuples':
        options += [[f'W{n}, b{n} = {name}[0]', f'W{n}[0] = {r}', f'{y} = {m} @ {name}[0][0]'],
                    [f'{name}[0][0][0] = {r}', f'{y} = {m} @ {name}[0][0]'],
                    [f'for W{n}, b{n} in {name}:', f'    W{n} *= 0.5', f'{y} = {m} @ {name}[1][0]']]
    if tree(g, name) == 'dict':
        options += [[f'for k{n}, v{n} in {name}.items():', f'    if k{n} == "b":',
                     f'        v{n}[0] = {s}', f'{y} = {m} * {name}["b"]'],
                    [f'{name}["b"] += {r}', f'{y} = {m} * {name}["b"]']]
    if tree(g, name) in ('dataclass', 'object'):
        options += [[f'{name}.h += {r}', f'{y} = {m} * {name}.h'],
                    [f'{name}.W[0, 0] = {s}', f'{y} = {m} @ {name}.W']]
    return g.choice(options) + [g.add(f'{y} * {y}')]


# -- one dict or object under two names ------------------------------------------------------

@block('aliasing')
def aliasing(g):
    r, s = g.pick('R'), g.pick('S')
    n = g.index
    h = g.new('R', 'h')
    name = g.choice(['p', 'model'])
    if name == 'p' and 'b' not in g.dict_keys:
        name = 'model'
    kind = tree(g, name)
    b = leaf(g, name, 'b')
    options = [
        [f'q{n} = {name}'] + write(f'q{n}', kind, r) + [f'{h} = {b} * {s}'],
        [f'lst{n} = [{name}, {r}]'] + write(name, kind, r) +
        [f'{h} = {b} + {access(f"lst{n}[0]", kind)}'],
        [f'lst{n} = [{name}]'] + write(f'lst{n}[0]', kind, r) + [f'{h} = {b} * 1.0'],
        [f'touch{n}({name}, {name})', f'{h} = {b} * 1.0'],
    ]
    if kind != 'dict' and g.coin(0.3):   # (a dict passed twice: aliased_args, pending)
        options.append(passed_twice(g, name, kind, r, h))
    lines = g.choice(options)
    if lines[0].startswith(f'touch{n}('):
        g.helpers.append(f'def touch{n}(a, b):\n' + '\n'.join(
            '    ' + line for line in write('a', kind, 'np.sum(b' + (
                '["b"])' if kind == 'dict' else '.b)'))) + '\n')
    return lines + [g.add(h)]


@block('aliased_args')
def aliased_args(g):
    # one dict passed under two names, written through one of them (docs/fuzzing.md,
    # known findings: the value is Python's without the aliasing)
    r, h = begin(g, 'p')
    if 'b' not in g.dict_keys:
        return [f'{h} = {r} * 1.0', g.add(h)]
    return passed_twice(g, 'p', 'dict', r, h) + [g.add(h)]


def passed_twice(g, name, kind, value, h):
    """Lines writing through `name`2, a parameter passed the very object `name` is,
    and reading through `name`; the parameter is added once."""
    other = f'{name}2'
    g.aliases[other] = name
    return write(other, kind, value) + [f'{h} = {access(name, kind)} * {access(other, kind)}']


def access(name, kind):
    return f'{name}["b"]' if kind == 'dict' else f'{name}.b'


def write(name, kind, value):
    """A write of the field b of the dict or object `name`."""
    return [f'{access(name, kind)} = {access(name, kind)} * 0.5 + {value}']
