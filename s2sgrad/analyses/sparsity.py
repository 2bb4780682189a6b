"""The sparsity pattern of a Jacobian, found from the function's graph for one call.

`dependency_pattern(graph, args, wrt)` walks the graph (ir/nodes.py) as the
code would run for these arguments, and gives each value, beside the value
itself, which elements of the differentiated argument x each of its elements
depends on: a boolean `scipy.sparse` csr matrix of shape (value.size, x.size)
(None: depends on none).  The result's is the Jacobian's pattern, a superset
of its nonzeros: a dependency is dropped only where the derivative is zero
whatever the values (an integer or boolean result, `stop_gradient`).

Values are computed for the call because integer arguments decide what is
read (`cams[obs[:, 0]]`), how often a loop runs and which branch is taken.
A value is *stable* when it is the same for every call with the same shapes
and integer arguments (it depends on no float argument): the pattern is kept
for those calls, so only stable values may decide an index, a loop's count or
a branch.  A branch on an unstable test takes the union of both sides.  What
cannot be followed (an op without a pattern rule, an index or a loop count
computed from floats, ...) raises `PatternUnknown`, naming the op and the
user's line; the caller then computes the Jacobian densely.

One pattern rule per family of primitives (`_rule`):
  shaped like   np.zeros_like(x), ...: x's shape only (np.full_like: its fill)
  scattered     `_sg_scatter_add` (`y[idx] += v` with repeated indices): each
                element of v into the element it is added to
  elementwise   ufuncs, np.where, np.clip, casts: each output element depends on
                the elements its operands broadcast to it
  rearranged    indexing, reshape, transpose, concatenate, stack, tile, pad, ... and
                writes into an array: the op itself run on arrays of element ids
  reduced       np.sum, np.mean, np.max, ... over `axis`
  along axis    np.cumsum, np.sort, np.diff, np.cross: the whole line along the axis
  matmul        `@`, np.dot: the row of the left and the column of the right
  einsum        np.einsum with explicit labels: the elements whose shared labels agree
  dense         np.linalg, np.fft, ... (einsum with `...`): every element on every element
"""
import sys

import numpy as np
import scipy.sparse as sp

from ..ad import interface
from ..ir import prims
from ..ir.nodes import Const, If, Loop, Pack, Slice, Value, managed
from ..ir.primitives import axis_operand, info
from ..runtime import helpers


class PatternUnknown(Exception):
    """The pattern cannot be found from the graph: why, and the op's origin."""

    def __init__(self, reason, origin=None):
        super().__init__(reason)
        self.reason, self.origin = reason, origin

    def __str__(self):
        return self.reason + (f' at {self.origin.short}' if self.origin is not None else '')


class Abstract:
    """A value of this call and the pattern of its elements (see the module docstring)."""

    __slots__ = ('value', 'pattern', 'stable')

    def __init__(self, value, pattern=None, stable=True):
        self.value, self.pattern, self.stable = value, pattern, stable


class Items:
    """A list, tuple or dict whose items are Abstracts (or Items)."""

    __slots__ = ('kind', 'items', 'keys')

    def __init__(self, kind, items, keys=None):
        self.kind, self.items, self.keys = kind, list(items), keys

    @property
    def value(self):
        return self.rebuilt([item.value for item in self.items])

    @property
    def stable(self):
        return all(item.stable for item in self.items)

    def rebuilt(self, values):
        if self.kind == 'dict':
            return dict(zip(self.keys, values))
        return list(values) if self.kind == 'list' else tuple(values)


def dependency_pattern(graph, args, wrt, keep=None):
    """The Jacobian's pattern of `graph`'s result w.r.t. the parameters in `wrt` (a
    tuple of positions; their elements are the columns, in that order), for a call
    with `args` (one per parameter, by position): csr bool (out.size, n).  `keep`: a
    dict whose Values are filled with their Abstracts for this call."""
    sizes = [int(np.size(args[i])) for i in wrt]
    n = sum(sizes)
    starts = dict(zip(wrt, np.cumsum([0] + sizes)))
    env = {}
    for i, (param, arg) in enumerate(zip(graph.params, args)):
        env[param.value] = _argument(arg) if i not in wrt else Abstract(
            np.asarray(arg), sp.csr_matrix((np.ones(np.size(arg), bool), (
                np.arange(np.size(arg)), starts[i] + np.arange(np.size(arg)))),
                shape=(np.size(arg), n)), False)
    interpreter = _Interpreter(env, n)
    interpreter.block(graph.body)
    result = graph.result
    if result is None:      # (the last output of the returning If that ends the body)
        result = [op for op in graph.body.ops if isinstance(op, If) and op.returns][-1] \
            .outputs[-1]
    out = interpreter.operand(result)
    if not isinstance(out, Abstract) or not isinstance(out.value, (np.ndarray, float, np.number)):
        raise PatternUnknown('a result that is not an array or a float',
                             graph.return_origin or graph.origin)
    for value in keep or ():
        keep[value] = interpreter.env.get(value)
    return _pattern(out, n)


def _argument(arg):
    """An argument other than x: its containers item by item; floats unstable."""
    if isinstance(arg, (list, tuple)) and not hasattr(arg, '_fields'):
        return Items('list' if isinstance(arg, list) else 'tuple',
                     [_argument(item) for item in arg])
    if isinstance(arg, dict):
        return Items('dict', [_argument(item) for item in arg.values()], list(arg))
    return Abstract(arg, None, not _floating(arg))


def _floating(value):
    """Does a value hold floats (its elements may vary between calls of one key)?"""
    if isinstance(value, (bool, int, str, bytes, type(None), range, slice)):
        return False
    try:
        return np.issubdtype(np.result_type(value), np.inexact)
    except (TypeError, ValueError):
        return True     # (an object: taken as varying)


def _pattern(abstract, n):
    """An array Abstract's pattern, empty rows where it has none."""
    size = int(np.size(abstract.value))
    if abstract.pattern is None:
        return sp.csr_matrix((size, n), dtype=bool)
    return abstract.pattern


class _Interpreter:
    """The graph run for one call, each value an Abstract (or Items)."""

    def __init__(self, env, n):
        self.env, self.n = env, n

    # ---- operands ---------------------------------------------------------------------
    def operand(self, operand):
        if isinstance(operand, Value):
            return self.env[operand]
        if isinstance(operand, Const):
            return Abstract(operand.value)
        if isinstance(operand, Pack):
            items = [self.operand(item) for item in operand.items]
            return Items('tuple' if operand.kind == 'index' else operand.kind, items,
                         operand.keys)
        if isinstance(operand, Slice):
            parts = [self.operand(part) for part in (operand.start, operand.stop, operand.step)]
            return Abstract(slice(*(part.value for part in parts)), None,
                            all(part.stable for part in parts))
        raise PatternUnknown(f'an operand {type(operand).__name__}')

    # ---- blocks and regions -----------------------------------------------------------
    def block(self, block):
        for op in block.ops:
            if isinstance(op, If):
                self.branch(op)
            elif isinstance(op, Loop):
                self.loop(op)
            else:
                self.op(op)

    def branch(self, region):
        test = None if managed(region) is not None else self.operand(region.test)
        if test is None or test.stable:
            taken = test is None or bool(test.value)
            self.block(region.then_block if taken else region.else_block)
            results = region.then_results if taken else region.else_results
            for output, result in zip(region.outputs, results):
                if result is not None:
                    self.env[output] = self.operand(result)
            return
        # a test computed from floats: another call of the key may take the other side
        taken = bool(test.value)
        sides = []
        for block, results in ((region.then_block, region.then_results),
                               (region.else_block, region.else_results)):
            try:
                self.block(block)
            except PatternUnknown:
                raise
            except Exception as exc:
                raise PatternUnknown(f'a branch on values computed from floats whose other '
                                     f'side fails for these arguments ({type(exc).__name__})',
                                     region.origin) from None
            sides.append([None if r is None else self.operand(r) for r in results])
        for output, then, other in zip(region.outputs, *sides):
            first, second = (then, other) if taken else (other, then)
            if first is None:
                continue
            self.env[output] = first if second is None else \
                _merged(first, second, self.n, region.origin)

    def loop(self, region):
        carried = [self.operand(init) for init in region.inits]
        if region.kind == 'for':
            iterable = self.operand(region.iterable)
            if not isinstance(iterable, Items) and not iterable.stable:
                raise PatternUnknown('a loop whose count is computed from floats', region.origin)
            steps = iter(iterable.items) if isinstance(iterable, Items) else \
                (Abstract(item, None, True) for item in iterable.value)
        else:
            steps = None
        while True:
            for phi, value in zip(region.phis, carried):
                self.env[phi] = value
            if steps is not None:
                try:
                    item = next(steps)
                except StopIteration:
                    break
                targets = [item] if len(region.targets) == 1 else \
                    _unpacked(item, len(region.targets))
                for target, value in zip(region.targets, targets):
                    self.env[target] = value
            else:
                self.block(region.cond_block)
                test = self.operand(region.cond)
                if not test.stable:
                    raise PatternUnknown('a while loop whose test is computed from floats',
                                         region.origin)
                if not test.value:
                    break
            self.block(region.body)
            carried = [self.operand(nxt) for nxt in region.nexts]
            if region.exit is not None:
                leave = self.operand(region.exit)
                if not leave.stable:
                    raise PatternUnknown('a break whose test is computed from floats',
                                         region.origin)
                if leave.value:
                    break
        for output, value in zip(region.outputs, carried):
            self.env[output] = value

    # ---- ops --------------------------------------------------------------------------
    def op(self, op):
        args = [self.operand(a) for a in op.args]
        kwargs = {k: self.operand(v) for k, v in op.kwargs.items()}
        special = _SPECIALS.get(op.prim)
        if special is not None:
            results = special(self, op, args, kwargs)
        else:
            results = self.call(op, args, kwargs)
        if len(op.outputs) == 1:
            self.env[op.outputs[0]] = results
        else:
            for output, result in zip(op.outputs, _unpacked(results, len(op.outputs))):
                self.env[output] = result

    def call(self, op, args, kwargs):
        with np.errstate(all='ignore'):
            value = op.prim(*(a.value for a in args), **{k: v.value for k, v in kwargs.items()})
        record = info(op.prim)
        read_for_shape = record.shape_only
        stable = all(a.stable for i, a in enumerate(args) if i not in read_for_shape) and \
            all(v.stable for v in kwargs.values()) and not _random(op.prim)
        active = [a for a in list(args) + list(kwargs.values()) if _has_pattern(a)]
        if not active or op.prim is interface.stop_gradient:
            return _lifted(value, stable)
        rule = _rule(op.prim)
        if rule is None:
            if not _holds_floats(value):
                return _lifted(value, stable)
            raise PatternUnknown(f'{_name(op.prim)} has no sparsity pattern rule', op.origin)
        return rule(self, op, args, kwargs, value, stable)


def _lifted(value, stable, patterns=None):
    """A result as Abstracts (a tuple or list of arrays item by item)."""
    if isinstance(value, (tuple, list)) and not hasattr(value, '_fields'):
        return Items('list' if isinstance(value, list) else 'tuple',
                     [_lifted(v, stable, None if patterns is None else patterns[i])
                      for i, v in enumerate(value)])
    pattern = patterns if patterns is not None and _float_array(value) else None
    return Abstract(value, pattern, stable)


def _float_array(value):
    return isinstance(value, (np.ndarray, float, np.number)) and \
        np.issubdtype(np.result_type(value), np.inexact)


def _holds_floats(value):
    if isinstance(value, (tuple, list)):
        return any(_holds_floats(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_floats(v) for v in value.values())
    return _float_array(value) or not isinstance(
        value, (np.ndarray, np.number, bool, int, str, bytes, type(None), range, slice))


def _has_pattern(a):
    if isinstance(a, Items):
        return any(_has_pattern(item) for item in a.items)
    return a.pattern is not None


def _unpacked(result, count):
    if isinstance(result, Items):
        return result.items
    return [Abstract(v, None, result.stable) for v in result.value]


def _random(prim):
    """Does the op draw random numbers (its result differs between calls)?"""
    name = getattr(prim, '__qualname__', None) or ''
    return 'random' in (getattr(prim, '__module__', None) or '') or \
        name.startswith(('Generator.', 'RandomState.'))


def _name(prim):
    name = getattr(prim, '__name__', None) or type(prim).__name__
    module = getattr(prim, '__module__', None) or ''
    return f'np.{name}' if module.startswith('numpy') or isinstance(prim, np.ufunc) else name


def _merged(first, second, n, origin):
    """Both sides of a branch on floats: first's value, the union of the patterns."""
    if isinstance(first, Items) and isinstance(second, Items) and \
            len(first.items) == len(second.items):
        return Items(first.kind, [_merged(a, b, n, origin)
                                  for a, b in zip(first.items, second.items)], first.keys)
    if isinstance(first, Items) or isinstance(second, Items) or \
            np.shape(first.value) != np.shape(second.value):
        raise PatternUnknown('a branch on values computed from floats whose sides differ in '
                             'shape or structure', origin)
    pattern = None if first.pattern is None and second.pattern is None else \
        _pattern(first, n) + _pattern(second, n)
    return Abstract(first.value, pattern if _float_array(first.value) else None, False)


# ---- the compiler's specials ------------------------------------------------------------
def _getitem(interp, op, args, kwargs):
    base, index = args
    if not index.stable:
        raise PatternUnknown('an index computed from floats', op.origin)
    if isinstance(base, Items):
        picked = base.items[base.keys.index(index.value)] if base.kind == 'dict' else \
            base.items[index.value]
        return Items(base.kind, picked) if isinstance(picked, list) else picked
    return interp.call(op, args, kwargs)


def _setitem(interp, op, args, kwargs):
    base, index, item = args
    if not index.stable:
        raise PatternUnknown('an index computed from floats', op.origin)
    if isinstance(base, Items):
        items = list(base.items)
        if base.kind == 'dict':
            keys = list(base.keys)
            if index.value in keys:
                items[keys.index(index.value)] = item
            else:
                keys.append(index.value)
                items.append(item)
            return Items('dict', items, keys)
        items[index.value] = item
        return Items(base.kind, items)
    return _written(interp, op, base, index, item)


def _written(interp, op, base, index, item):
    def write(x, i, v):
        y = np.array(x, copy=True)
        y[i] = v
        return y
    with np.errstate(all='ignore'):
        value = write(base.value, index.value, item.value)
    stable = base.stable and item.stable
    if not (_has_pattern(base) or _has_pattern(item)):
        return Abstract(value, None, stable)
    return _rearranged(interp, op, [base, index, item], {}, value, stable, function=write)


def _same(interp, op, args, kwargs):
    return args[0]


def _inplace_add(interp, op, args, kwargs):
    with np.errstate(all='ignore'):
        value = args[0].value + args[1].value
    stable = args[0].stable and args[1].stable
    if not (_has_pattern(args[0]) or _has_pattern(args[1])):
        return Abstract(value, None, stable)
    return _elementwise(interp, op, args, {}, value, stable)


def _unpack(interp, op, args, kwargs):
    seq = args[0]
    if isinstance(seq, Items):
        return seq
    items = []
    for i in range(len(op.outputs)):
        index = Abstract(i)
        items.append(_getitem(interp, _Indexed(op), [seq, index], {}))
    return Items('tuple', items)


class _Indexed:
    """An unpack's item read, as a getitem op at its origin."""

    prim = prims.GETITEM

    def __init__(self, op):
        self.origin = op.origin


def _gate(interp, op, args, kwargs):
    return Items('tuple', args)


def _list_new(interp, op, args, kwargs):
    return Items('list', args[0].items)


def _list_append(interp, op, args, kwargs):
    return Items('list', list(args[0].items) + [args[1]])


def _nothing(interp, op, args, kwargs):
    return Abstract(None)


def _fstring(interp, op, args, kwargs):
    return Abstract('', None, True)


_SPECIALS = {
    prims.GETITEM: _getitem, prims.SETITEM: _setitem, prims.ALIAS: _same,
    prims.INPLACE_ADD: _inplace_add, prims.UNPACK: _unpack, prims.GATE: _gate,
    prims.LIST_NEW: _list_new, prims.LIST_APPEND: _list_append, prims.ASSERT: _nothing,
    prims.RAISE: _nothing, prims.FSTRING: _fstring,
}


# ---- pattern rules ------------------------------------------------------------------------
def _broadcast_rows(abstract, shape, n):
    """The pattern of an operand broadcast to `shape` (row per element of shape)."""
    own = np.shape(abstract.value)
    pattern = _pattern(abstract, n)
    if own == tuple(shape):
        return pattern
    try:
        ids = np.broadcast_to(np.arange(int(np.prod(own))).reshape(own), shape)
    except ValueError:
        raise PatternUnknown(f'an operand of shape {own} that does not broadcast to '
                             f'{tuple(shape)}') from None
    return pattern[ids.ravel()]


def _union(patterns, rows, n):
    found = sp.csr_matrix((rows, n), dtype=bool)
    for pattern in patterns:
        found = found + pattern
    return found


def _elementwise(interp, op, args, kwargs, value, stable):
    shape = np.shape(value[0] if isinstance(value, tuple) else value)
    rows = int(np.prod(shape))
    operands = [a for a in list(args) + list(kwargs.values()) if _has_pattern(a)]
    if any(isinstance(a, Items) for a in operands):
        raise PatternUnknown(f'{_name(op.prim)} of a list', op.origin)
    try:
        pattern = _union([_broadcast_rows(a, shape, interp.n) for a in operands], rows, interp.n)
    except PatternUnknown as exc:
        raise PatternUnknown(f'{_name(op.prim)}: {exc.reason}', op.origin) from None
    if isinstance(value, tuple):        # (np.modf, np.frexp: each result alike)
        return _lifted(value, stable, [pattern] * len(value))
    return _lifted(value, stable, pattern)


def _rearranged(interp, op, args, kwargs, value, stable, function=None):
    """The op run on arrays of element ids (1 + the row in the stacked patterns of the
    operands; 0: no dependency, a constant), the result's ids read back."""
    blocks = [sp.csr_matrix((1, interp.n), dtype=bool)]
    count = [1]

    def ids(a):
        if isinstance(a, Items):
            return a.rebuilt([ids(item) for item in a.items])
        if isinstance(a.value, (list, tuple)) and _holds_floats(a.value):
            return np.zeros(np.shape(a.value), np.int64)     # (constants: no dependency)
        if not _float_array(a.value):
            if not a.stable and not isinstance(a.value, (str, type(None))):
                raise PatternUnknown(f'{_name(op.prim)} by values computed from floats',
                                     op.origin)
            return a.value
        shape = np.shape(a.value)
        if a.pattern is None:
            return np.zeros(shape, np.int64)
        size = int(np.prod(shape))
        found = np.arange(count[0], count[0] + size, dtype=np.int64).reshape(shape)
        blocks.append(a.pattern)
        count[0] += size
        return found

    call = function or op.prim
    if op.prim is np.pad and (kwargs.get('mode') or Abstract('constant')).value not in _PADS \
            or len(args) > 2 and op.prim is np.pad:
        return _dense(interp, op, args, kwargs, value, stable)
    kw = {k: ids(v) for k, v in kwargs.items() if k != 'dtype'}
    result = call(*(ids(a) for a in args), **kw)
    stacked = sp.vstack(blocks, format='csr')

    def read(ids_, like):
        if isinstance(like, (tuple, list)):
            return [read(i, l) for i, l in zip(ids_, like)]
        if not _float_array(like):
            return None
        ids_ = np.asarray(ids_)
        if ids_.dtype.kind == 'f' and ids_.dtype.itemsize < 8 or ids_.dtype.kind not in 'iuf':
            raise PatternUnknown(f'{_name(op.prim)} changed the ids\' dtype to {ids_.dtype}',
                                 op.origin)
        if ids_.shape != np.shape(like):
            raise PatternUnknown(f'{_name(op.prim)} on ids gave another shape', op.origin)
        rows = ids_.astype(np.int64).ravel()
        if np.any(rows != ids_.ravel()) or np.any(rows < 0) or np.any(rows >= count[0]):
            # (a rule for an op that computes with its elements: never silently wrong)
            raise PatternUnknown(f'{_name(op.prim)} computed with the ids', op.origin)
        return stacked[rows]

    return _lifted(value, stable, read(result, value))


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(int(a) % ndim for a in axes)) if ndim else ()


def _lines(abstract, axes, n):
    """The pattern of each line of `abstract` over `axes`: shape kept with those axes 1."""
    shape = np.shape(abstract.value)
    kept = tuple(1 if i in axes else s for i, s in enumerate(shape))
    size = int(np.prod(shape))
    groups = np.broadcast_to(np.arange(int(np.prod(kept))).reshape(kept), shape).ravel()
    reduce = sp.csr_matrix((np.ones(size, bool), (groups, np.arange(size))),
                           shape=(int(np.prod(kept)), size))
    return kept, reduce @ _pattern(abstract, n)


def _reduced(interp, op, args, kwargs, value, stable):
    axis = interp.operand(axis_operand(op)).value
    x = args[0]
    if any(_has_pattern(a) for a in list(args[1:]) + [v for k, v in kwargs.items()
                                                        if k not in ('axis',)]):
        raise PatternUnknown(f'{_name(op.prim)} with a differentiated option', op.origin)
    kept, pattern = _lines(x, _axes(axis, np.ndim(x.value)), interp.n)
    if int(np.prod(kept)) != np.size(value):
        raise PatternUnknown(f'{_name(op.prim)}: a result of an unexpected size', op.origin)
    return _lifted(value, stable, pattern)


def _along(interp, op, args, kwargs, value, stable, axis_at=1, default=-1):
    """Each output element depends on the line along `axis` of each operand it
    broadcasts from (axis None: the whole of each operand)."""
    axis = args[axis_at].value if len(args) > axis_at and not _float_array(args[axis_at].value) \
        else kwargs['axis'].value if 'axis' in kwargs else default
    value_shape = np.shape(value)
    patterns = []
    for a in list(args) + list(kwargs.values()):
        if not _has_pattern(a):
            continue
        if isinstance(a, Items):
            raise PatternUnknown(f'{_name(op.prim)} of a list', op.origin)
        kept, lines = _lines(a, _axes(axis, np.ndim(a.value)), interp.n)
        if axis is None:
            patterns.append(lines[np.zeros(int(np.prod(value_shape)), np.int64)])
            continue
        try:
            patterns.append(_broadcast_rows(Abstract(np.empty(kept), lines), value_shape,
                                            interp.n))
        except PatternUnknown as exc:
            raise PatternUnknown(f'{_name(op.prim)}: {exc.reason}', op.origin) from None
    return _lifted(value, stable, _union(patterns, int(np.prod(value_shape)), interp.n))


def _cross(interp, op, args, kwargs, value, stable):
    if any(k in kwargs for k in ('axisa', 'axisb', 'axisc', 'axis')) or len(args) > 2:
        return _dense(interp, op, args, kwargs, value, stable)
    return _along(interp, op, args, {}, value, stable, axis_at=99, default=-1)


def _matmul(interp, op, args, kwargs, value, stable):
    a, b = args[:2]
    if len(args) > 2 or kwargs or isinstance(a, Items) or isinstance(b, Items):
        return _dense(interp, op, args, kwargs, value, stable)
    da, db = np.ndim(a.value), np.ndim(b.value)
    if da == 0 or db == 0:
        return _elementwise(interp, op, args, kwargs, value, stable)
    if op.prim is np.dot and (da > 2 or db > 2):
        return _dense(interp, op, args, kwargs, value, stable)
    n = interp.n
    # a's rows over its last axis, b's columns over its second last
    a2 = a.value if da > 1 else np.reshape(a.value, (1, -1))
    b2 = b.value if db > 1 else np.reshape(b.value, (-1, 1))
    rows_a = _lines(Abstract(a2, _pattern(a, n)), (a2.ndim - 1,), n)
    cols_b = _lines(Abstract(b2, _pattern(b, n)), (b2.ndim - 2,), n)
    shape = np.broadcast_shapes(rows_a[0], cols_b[0])
    pattern = _union([_broadcast_rows(Abstract(np.empty(kept), lines), shape, n)
                      for kept, lines in (rows_a, cols_b)], int(np.prod(shape)), n)
    if int(np.prod(shape)) != np.size(value):
        raise PatternUnknown(f'{_name(op.prim)}: a result of an unexpected size', op.origin)
    return _lifted(value, stable, pattern)


# (an einsum whose labels span more elements than this is taken as dense: still a superset)
EINSUM_MOST_ELEMENTS = 1 << 24


def _einsum(interp, op, args, kwargs, value, stable):
    """np.einsum('pij,pj->pi', ...): an output element depends on the elements of each
    operand whose labels take the same values as its own (a label summed over: any)."""
    spec, operands = args[0].value, args[1:]
    if not isinstance(spec, str) or '.' in spec or set(kwargs) - {'optimize'} or \
            any(isinstance(a, Items) for a in operands):
        return _dense(interp, op, args, kwargs, value, stable)
    inputs, _, output = spec.replace(' ', '').partition('->')
    labels = inputs.split(',')
    if '->' not in spec:            # implicit: the labels seen once, in order
        output = ''.join(sorted(c for c in set(inputs) - {','} if inputs.count(c) == 1))
    shapes = [np.shape(a.value) for a in operands]
    if len(labels) != len(operands) or any(len(l) != len(s) for l, s in zip(labels, shapes)):
        return _dense(interp, op, args, kwargs, value, stable)
    sizes = {}
    for label, shape in zip(labels, shapes):
        for c, d in zip(label, shape):
            if sizes.setdefault(c, d) != d:
                sizes[c] = max(sizes[c], d)       # (broadcast of a 1: the larger)
    every = sorted(sizes)
    if int(np.prod([sizes[c] for c in every])) > EINSUM_MOST_ELEMENTS:
        return _dense(interp, op, args, kwargs, value, stable)
    where = dict(zip(every, np.indices([sizes[c] for c in every]).reshape(len(every), -1)))

    def element(label, shape):      # the element of an operand each point of the labels reads
        if not shape:
            return np.zeros(len(where[every[0]]) if every else 1, np.int64)
        coords = [where[c] % d for c, d in zip(label, shape)]     # (a broadcast 1: index 0)
        return np.ravel_multi_index(coords, shape)

    out_shape = np.shape(value)
    rows = element(output, out_shape)
    size = int(np.prod(out_shape))
    spread = [sp.csr_matrix((np.ones(len(rows), bool), (rows, element(l, s))),
                            shape=(size, int(np.prod(s)))) @ _pattern(a, interp.n)
              for l, s, a in zip(labels, shapes, operands) if _has_pattern(a)]
    return _lifted(value, stable, _union(spread, size, interp.n))


def _outer(interp, op, args, kwargs, value, stable):
    a, b = (Abstract(np.ravel(x.value), x.pattern) for x in args[:2])
    shape = np.shape(value)
    n = interp.n
    return _lifted(value, stable, _union(
        [_broadcast_rows(Abstract(np.reshape(a.value, (-1, 1)), a.pattern), shape, n),
         _broadcast_rows(Abstract(np.reshape(b.value, (1, -1)), b.pattern), shape, n)],
        int(np.prod(shape)), n))


def _shaped_like(interp, op, args, kwargs, value, stable):
    """np.zeros_like(x) and kin read x's shape only; np.full_like(x, v) puts v in."""
    fills = list(args[1:2]) + [v for k, v in kwargs.items() if k == 'fill_value']
    if op.prim is not np.full_like or not any(_has_pattern(a) for a in fills):
        return _lifted(value, stable)
    return _elementwise(interp, op, fills, {}, value, stable)


def _scattered(interp, op, args, kwargs, value, stable):
    """`_sg_scatter_add(g, x, index)`: zeros of x's shape, g added at x[index]."""
    g, x, index = args
    if not index.stable:
        raise PatternUnknown('an index computed from floats', op.origin)
    if isinstance(g, Items) or isinstance(x, Items) or _has_pattern(index):
        raise PatternUnknown('a scatter into a list', op.origin)
    size = int(np.size(x.value))
    targets = np.arange(size).reshape(np.shape(x.value))[index.value]
    sources = np.broadcast_to(np.arange(int(np.size(g.value))).reshape(np.shape(g.value)),
                              np.shape(targets))
    spread = sp.csr_matrix((np.ones(targets.size, bool), (targets.ravel(), sources.ravel())),
                           shape=(size, int(np.size(g.value))))
    return _lifted(value, stable, spread @ _pattern(g, interp.n))


def _dense(interp, op, args, kwargs, value, stable):
    """Every element of every result on every element of every operand."""
    n = interp.n
    every = _union([_pattern_all(a, n) for a in list(args) + list(kwargs.values())
                    if _has_pattern(a)], 1, n)

    def spread(v):
        if isinstance(v, (tuple, list)):
            return [spread(item) for item in v]
        return every[np.zeros(int(np.size(v)), np.int64)] if _float_array(v) else None
    return _lifted(value, stable, spread(value))


def _pattern_all(a, n):
    if isinstance(a, Items):
        return _union([_pattern_all(item, n) for item in a.items if _has_pattern(item)], 1, n)
    return sp.csr_matrix(_pattern(a, n).sum(axis=0, dtype=bool))


_ELEMENTWISE = {np.where, np.clip, np.round, np.around, np.real, np.imag, np.nan_to_num,
                np.astype, np.angle, np.sinc, float, np.float64, np.float32, np.float16,
                complex, np.complex128, np.copy, helpers._sg_iterable}
# (each only selects, moves or repeats its operands' elements, or puts zeros: run on ids)
_REARRANGED = {prims.GETITEM, np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis,
               np.squeeze, np.expand_dims, np.diagonal, np.flip, np.fliplr, np.flipud,
               np.rot90, np.repeat, np.tile, np.roll, np.concatenate, np.stack, np.hstack,
               np.vstack, np.column_stack, np.dstack, np.array, np.asarray, np.asanyarray,
               np.ascontiguousarray, np.broadcast_to, np.triu, np.tril, np.pad, np.take,
               np.take_along_axis, np.diag, np.append, np.split, np.array_split,
               np.hsplit, np.vsplit, np.meshgrid, np.broadcast_arrays, np.block,
               np.atleast_1d, np.atleast_2d, np.atleast_3d}
_PADS = ('constant', 'edge', 'wrap', 'reflect', 'symmetric')
_ALONG = {np.sort: (1, -1), np.diff: (2, -1)}
_REDUCTIONS = {np.linalg.norm: 2, np.average: 1, np.median: 1, np.nansum: 1, np.nanmean: 1,
               np.nanmax: 1, np.nanmin: 1, np.ptp: 1}
_DENSE_MODULES = ('numpy.linalg', 'numpy.fft', 'scipy.linalg')
_DENSE = {np.tensordot, np.kron, np.inner, np.trace, np.convolve, np.correlate,
          np.interp, np.polyval, np.vdot}


_SHAPED_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like,
                helpers._sg_zeros_like, helpers._sg_ones_like}


def _rule(prim):
    record = info(prim)
    if prim in _SHAPED_LIKE:
        return _shaped_like
    if prim is helpers._sg_scatter_add:
        return _scattered
    if record.family == 'matmul':
        return _matmul
    if prim is np.outer:
        return _outer
    if prim is np.einsum:
        return _einsum
    if prim is np.cross:
        return _cross
    if prim in _REARRANGED:
        return _rearranged
    if isinstance(prim, np.ufunc) or prim in _ELEMENTWISE:
        return _elementwise
    if record.reduction == 'axis':
        return _reduced
    if prim in _REDUCTIONS:
        position = _REDUCTIONS[prim]
        return lambda interp, op, args, kwargs, value, stable: _reduced_at(
            interp, op, args, kwargs, value, stable, position)
    if record.reduction == 'running':
        return lambda *a: _along(*a, axis_at=1, default=None)
    if prim in _ALONG:
        at, default = _ALONG[prim]
        return lambda *a: _along(*a, axis_at=at, default=default)
    special = sys.modules.get('scipy.special')
    if special is not None and prim is getattr(special, 'logsumexp', None):
        return lambda interp, op, args, kwargs, value, stable: _reduced_at(
            interp, op, args, kwargs, value, stable, 1)
    module = getattr(prim, '__module__', None) or ''
    if prim in _DENSE or module.startswith(_DENSE_MODULES):
        return _dense
    return None


def _reduced_at(interp, op, args, kwargs, value, stable, position):
    axis = args[position].value if len(args) > position else \
        kwargs['axis'].value if 'axis' in kwargs else None
    if any(_has_pattern(a) for a in list(args[1:]) + list(kwargs.values())):
        return _dense(interp, op, args, kwargs, value, stable)
    kept, pattern = _lines(args[0], _axes(axis, np.ndim(args[0].value)), interp.n)
    if int(np.prod(kept)) != np.size(value):
        raise PatternUnknown(f'{_name(op.prim)}: a result of an unexpected size', op.origin)
    return _lifted(value, stable, pattern)

