"""Writes into memory: lowered as new versions, every alias rebound.

A write (`v *= 2.0`, `row[0] = 1.0`, `x.sort()`, `np.sin(x, out=y)`,
`np.fill_diagonal(Q, 0.0)`) computes the new contents of the memory it writes
as a value (the functional form: `y_1 = np.sin(x)`), writes it back through
the views it was made by into the whole memory (`B_1[0] = row_1`: a
SETITEM, a transpose undone), and rebinds every name that shows that memory
(analyses/aliases.py says which): the name written, views of it, the array
it is a view of and its other views, the same array under other names, in a
list or dict, or in a caller's variables.  So the IR stays values (SSA), the
AD sees the write as it is, and passes/inplace writes in place where nothing
can tell.  What cannot be followed is refused at the user's line.

The lowering of side effects is here too: every NumPy function known to
write one of its arguments (`writes` in ir/primitives.py) and every array
method that changes its array, each lowered to its functional form (plus the
write) or refused.  Nothing that writes is ever left as an op whose result
nobody reads (dead code would drop it).
"""
import functools
import inspect

import numpy as np

from ..analyses.aliases import (SAME, IndexStep, Opaque, Pending, Stale, TransposeStep, View)
from ..runtime import containers, helpers
from . import prims
from .primitives import info
from .nodes import Const, Loop, Pack, Value, blocks_in, values_in

ELLIPSIS = Const(Ellipsis)


# ---- the lowering of writes ---------------------------------------------------------------
# NumPy functions that write into an argument (`writes` in ir/primitives.py): the
# lowering of each (below); one without a lowering is refused.  Any call with `out=`
# is lowered by `out_call` whatever the function.
def _fill_diagonal(low, args, kwargs, origin):
    a, val = _bind(low, np.fill_diagonal, args, kwargs, origin, 'a', 'val')
    wrap = kwargs.get('wrap', args[2] if len(args) > 2 else Const(False))
    shape = low.builder.emit(np.shape, [a], {}, origin, '_shape')
    index = low.builder.emit(helpers._sg_diagonal_index, [shape, wrap], {}, origin, '_diagonal')
    return a, _setitem(low, a, index, val, origin)


def _put(low, args, kwargs, origin):
    a, ind, v = _bind(low, np.put, args, kwargs, origin, 'a', 'ind', 'v')
    mode = kwargs.get('mode', args[3] if len(args) > 3 else Const('raise'))
    if not (isinstance(mode, Const) and mode.value == 'raise'):
        raise low.error_at("np.put with mode other than 'raise' cannot be transformed", origin)
    shape = low.builder.emit(np.shape, [a], {}, origin, '_shape')
    index = low.builder.emit(helpers._sg_flat_index, [shape, ind], {}, origin, '_index')
    return a, _setitem(low, a, index, v, origin)


def _putmask(low, args, kwargs, origin):
    a, mask, values = _bind(low, np.putmask, args, kwargs, origin, 'a', 'mask', 'values')
    chosen = low.builder.emit(np.where, [mask, values, a], {}, origin, '_where')
    return a, _setitem(low, a, ELLIPSIS, chosen, origin)


def _copyto(low, args, kwargs, origin):
    dst, src = _bind(low, np.copyto, args, kwargs, origin, 'dst', 'src')
    where = kwargs.get('where', args[3] if len(args) > 3 else Const(True))
    if not (isinstance(where, Const) and where.value is True):
        src = low.builder.emit(np.where, [where, src, dst], {}, origin, '_where')
    return dst, _setitem(low, dst, ELLIPSIS, src, origin)


def _place(low, args, kwargs, origin):
    arr, mask, vals = _bind(low, np.place, args, kwargs, origin, 'arr', 'mask', 'vals')
    return arr, _setitem(low, arr, mask, vals, origin)


def _ufunc_at(ufunc, low, args, kwargs, origin):
    if ufunc not in (np.add, np.subtract) or kwargs or len(args) != 3:
        raise low.error_at(f'np.{ufunc.__name__}.at writes into its first argument; only '
                           f'np.add.at(a, indices, b) and np.subtract.at are transformed',
                           origin)
    a, index, b = args
    # repeated indices add up, as np.add.at does
    spread = low.builder.emit(helpers._sg_scatter_add, [b, a, index], {}, origin, '_spread')
    new = low.builder.emit(ufunc, [a, spread], {}, origin, a.hint if isinstance(a, Value)
                           else '_at')
    return a, new


def _nan_to_num(low, args, kwargs, origin):
    copy = kwargs.get('copy', args[1] if len(args) > 1 else Const(True))
    if isinstance(copy, Const) and copy.value is True:
        return None                 # a new array: an ordinary call
    raise low.error_at('np.nan_to_num(..., copy=False) writes into its argument; it cannot '
                       'be transformed', origin)


LOWERINGS = {
    np.fill_diagonal: _fill_diagonal, np.put: _put, np.putmask: _putmask,
    np.copyto: _copyto, np.place: _place, np.nan_to_num: _nan_to_num,
}
# Array methods that change the array: the functional form, or None (refused).
IN_PLACE_METHODS = {
    'sort': np.sort, 'partition': np.partition, 'fill': 'fill', 'put': 'put',
    'resize': None, 'setfield': None, 'itemset': None, 'byteswap': 'inplace',
    'setflags': None, 'shuffle': None,
}
_UFUNC_METHODS_WITH_OUT = {'reduce': 3, 'accumulate': 3, 'reduceat': 4}


def _bind(low, fn, args, kwargs, origin, *names):
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise low.error_at(f'{fn.__name__}(): {exc}', origin) from None
    return [bound.arguments[n] for n in names]


def _setitem(low, base, index, value, origin):
    return low.builder.emit(prims.SETITEM, [base, index, value], {}, origin,
                            base.hint if isinstance(base, Value) else '_written',
                            style=('setitem',), temp=False)


def writes_argument(fn):
    """Does `fn` write one of its arguments (`writes` in ir/primitives.py, a ufunc's
    .at, a random generator's shuffle)?  (Asked of every op by dead code: answers
    are kept.)"""
    try:
        known = _writers.get(fn)
    except TypeError:
        return False
    if known is None:
        known = _writers[fn] = info(fn).writes is not None or \
            _is_ufunc_method(fn, 'at') or _shuffles(fn)
    return known


_writers = {}


def _shuffles(fn):
    # (np.random.shuffle is the global RandomState's; the name first, so that
    # numpy.random, some 10 ms to import, is touched only for a `shuffle`)
    return getattr(fn, '__name__', None) == 'shuffle' and isinstance(
        getattr(fn, '__self__', None), (np.random.Generator, np.random.RandomState))


def _is_ufunc_method(fn, name=None):
    return isinstance(getattr(fn, '__self__', None), np.ufunc) and \
        (name is None or getattr(fn, '__name__', None) == name)


def lower_call(low, fn, args, kwargs, origin, emit):
    """A call to a library function that writes an argument: its value (None: an
    ordinary call).  `emit(args, kwargs, hint)` emits the call as the user spelled it."""
    name = getattr(fn, '__name__', None)
    if isinstance(getattr(fn, '__self__', None), np.ndarray) and name in IN_PLACE_METHODS:
        raise low.error_at(f'.{name}() on a global array cannot be transformed (it would '
                           f'change module state)', origin)
    if _is_ufunc_method(fn, 'at'):
        handler = functools.partial(_ufunc_at, fn.__self__)
    elif _shuffles(fn):
        handler = None
    elif info(fn).writes is not None:
        handler = LOWERINGS.get(fn)         # (None: refused)
    else:
        handler = _ORDINARY
    if handler is None:
        raise low.error_at(f'{_name(fn)}() writes into its argument; it cannot be '
                           f'transformed', origin)
    written = None if handler is _ORDINARY else handler(low, args, kwargs, origin)
    if written is None:
        return out_call(low, fn, args, kwargs, origin, emit)
    target, new = written
    write(low, target, new, origin)
    return Const(None)


_ORDINARY = object()        # not in the table: an ordinary call (out= aside)


def out_call(low, fn, args, kwargs, origin, emit, method=None):
    """`f(..., out=o)`: `r = f(...)` written into o; the call's value is o.  None
    where the call has no out."""
    out, args, kwargs = _split_out(fn, args, kwargs, method)
    if out is None:
        return None
    if isinstance(out, Pack) and out.kind == 'tuple':
        if len(out.items) != 1:
            raise low.error_at('out= with several arrays cannot be transformed', origin)
        out = out.items[0]
    if isinstance(out, Const) and out.value is None:
        return emit(args, kwargs, None)
    if 'where' in kwargs and not (isinstance(kwargs['where'], Const) and
                                  kwargs['where'].value is True):
        raise low.error_at('out= together with where= cannot be transformed', origin)
    if not isinstance(out, Value):
        raise low.error_at('out= must be an array made in the function (writing into a '
                           'global would change module state)', origin)
    result = emit(args, kwargs, '_' + (method or _name(fn)))
    return write(low, out, _setitem(low, out, ELLIPSIS, result, origin), origin)


def _split_out(fn, args, kwargs, method):
    """(the out operand or None, args and kwargs without it)."""
    if 'out' in kwargs:
        kwargs = dict(kwargs)
        return kwargs.pop('out'), list(args), kwargs
    if method is not None:
        position = _METHOD_OUT.get(method)
        if position is not None and len(args) > position:
            return args[position], list(args[:position]) + list(args[position + 1:]), kwargs
        return None, args, kwargs
    if isinstance(fn, np.ufunc):
        if len(args) > fn.nin:
            outs = args[fn.nin:]
            return (outs[0] if len(outs) == 1 else Pack('tuple', outs)), list(args[:fn.nin]), \
                kwargs
        return None, args, kwargs
    if _is_ufunc_method(fn):
        position = _UFUNC_METHODS_WITH_OUT.get(fn.__name__)
    else:
        position = _out_position(fn)
    if position is not None and len(args) > position:
        return args[position], list(args[:position]) + list(args[position + 1:]), kwargs
    return None, args, kwargs


# positions of `out` among an array method's arguments (the array not counted)
_METHOD_OUT = {'sum': 2, 'mean': 2, 'prod': 2, 'max': 1, 'min': 1, 'cumsum': 2,
               'cumprod': 2, 'clip': 2, 'round': 1, 'argmax': 1, 'argmin': 1, 'any': 1,
               'all': 1, 'var': 2, 'std': 2, 'trace': 4, 'ptp': 1, 'dot': 1}
_out_positions = {}


def _out_position(fn):
    try:
        if fn in _out_positions:
            return _out_positions[fn]
    except TypeError:
        return None
    position = None
    try:
        params = list(inspect.signature(fn).parameters.values())
        names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
        position = names.index('out') if 'out' in names else None
    except (TypeError, ValueError):
        pass
    _out_positions[fn] = position
    return position


def method_write(low, base, name, args, kwargs, origin):
    """`x.sort()`, `x.fill(v)`, `x.put(i, v)`, `x.partition(k)`: a write into x."""
    form = IN_PLACE_METHODS[name]
    if form is None or form == 'inplace':
        raise low.error_at(f'.{name}() changes the array in place; it cannot be transformed',
                           origin)
    if form == 'fill':
        (value,) = args
        new = _setitem(low, base, ELLIPSIS, value, origin)
    elif form == 'put':
        _, new = _put(low, [base] + list(args), kwargs, origin)
    else:
        new = low.builder.emit(form, [base] + list(args), kwargs, origin,
                               base.hint if isinstance(base, Value) else '_' + name)
    write(low, base, new, origin)
    return Const(None)


def _name(fn):
    return getattr(fn, '__name__', None) or type(fn).__name__


# ---- writes ---------------------------------------------------------------------------
def write(low, target, new, origin, maybe_number=False):
    """`target`'s memory now holds `new`: write it back into what target is a view
    of, rebind every name that shows that memory; returns `new`.

    `maybe_number`: `target += ...` on a value that may be a Python number (which
    rebinds the name only): other names bound to the same value see the change
    only where it is an array (decided when the code runs).
    """
    memory = low.ctx.memory
    if isinstance(target, Const):
        raise low.error_at('writing into a global array cannot be transformed (it would '
                           'change module state)', origin)
    root, links, opaque = memory.chain(target)
    if opaque is not None and root is target and low.made_by(target, prims.GETITEM) and \
            low.producing_op(target).args[0] in low.ctx.lists:
        raise list_item_write_error(low, origin)
    if opaque is not None:
        raise low.error_at(f'writing through {opaque.why} cannot be transformed: it may '
                           f'share memory with another array in a way not followed here; '
                           f'copy it first (np.copy) or write into the array itself', origin)
    if isinstance(root, Const):
        raise low.error_at('writing into a view of a global array cannot be transformed '
                           '(it would change module state)', origin)
    if root in low.ctx.lists:
        raise low.error_at('writing into an item of a run-time list cannot be transformed',
                           origin)
    if low.made_by(root, containers._sg_field):
        # each read of obj.h is a value of its own: another would not see the write
        raise low.error_at('writing into an array read from an attribute (obj.h[0] = ..., '
                           'obj.h += ...) cannot be transformed: other reads of the attribute '
                           'would not see it; assign the attribute a new array '
                           '(obj.h = ...)', origin)
    if _untracked_item(low, root):
        # an item a loop walks or an unpacking took out (for row in X, W, b = layer): the
        # array or list it came from is not followed, and would not see the write
        raise low.error_at('writing into an item taken out of an array or a list by a loop '
                           'or an unpacking (for row in X: row[0] = ...) cannot be '
                           'transformed: what it came from would not see the write; index '
                           'that instead (X[i, 0] = ...), or copy the item first (np.copy)',
                           origin)
    if _read_by_key(low, root):
        # each read of p['h'] is a value of its own, as an attribute's
        raise low.error_at("writing into an array read from a dict (p['h'][0] = ..., "
                           "p['h'] += ...) cannot be transformed: other reads of the item "
                           "would not see it; assign the item a new array (p['h'] = ...)",
                           origin)
    is_array = None
    if maybe_number and (_held_by_name(low, target) or _aliased_by_name(low, target)):
        is_array = low.builder.emit(helpers._sg_is_array, [target], {}, origin, '_is_array')
    replacements = {target: new}
    current = new
    for base, step, child in links:
        new_base, step = _write_back(low, base, step, child, current, origin)
        if new_base is not current:         # (the same array under two names: one value)
            memory.records[current] = View(new_base, step)
        replacements[base] = new_base
        current = new_base
    memory.storage[current] = memory.storage_of(root)
    _rebind(low, memory.storage_of(root), root, current, replacements, origin, target,
            is_array)
    return new


def list_item_write_error(low, origin):
    """The refusal of a write into an item of a run-time list (which may be a list or
    an array, held by other lists and names too)."""
    return low.error_at('writing into an item of a run-time list (lst[i][j] = ..., '
                        'lst[i] += ...) cannot be transformed: other lists and names may '
                        'hold the same object; assign the item a new value instead '
                        '(lst[i] = [h, c], lst[i] = lst[i] + v)', origin)


def _untracked_item(low, value):
    """Is `value` (a write's root) an item a loop walks (`for row in X`: a version of
    the walked sequence) or an unpacking of a run-time value took out (`W, b =
    layer`)?  Memory does not follow either back to the array or list it came from."""
    return low.made_by(value, prims.UNPACK) or low.made_by(value, helpers._sg_iterable)


def _read_by_key(low, value):
    """Is `value` an item of a dict read by key (`p['h']`, `p.get('h')`)?"""
    if low.made_by(value, containers._sg_get):
        return True
    op = low.producing_op(value) if low.made_by(value, prims.GETITEM) else None
    return op is not None and isinstance(op.args[1], Const) and \
        isinstance(op.args[1].value, str)


def current(low, value):
    """The version of `value`'s memory a name shows now (a loop walking an array the
    body writes into reads it as it is), or `value` itself."""
    memory = low.ctx.memory
    if not isinstance(value, Value) or value in memory.records:
        return value
    key = memory.storage_of(value)
    for b in low.env.values():
        if isinstance(b, Value) and b not in memory.records and memory.storage_of(b) == key:
            return b
    return value


def _held_by_name(low, value):
    """Does a name (or a list or dict under a name) hold `value`?"""
    def holds(b):
        return b is value or isinstance(b, Pack) and any(holds(i) for i in b.items)
    return any(holds(b) for env in low.envs_sharing() for b in env.values())


def _aliased_by_name(low, value):
    """Does a name hold another value that is `value` itself, the same memory by
    SAME steps only (two loop variables set from one value before the loop)?"""
    memory = low.ctx.memory
    for env in low.envs_sharing():
        for b in env.values():
            if isinstance(b, Value) and b is not value:
                root, links, opaque = memory.chain(b)
                if opaque is None and root is value and links and \
                        all(step is SAME for _, step, _ in links):
                    return True
    return False


def _write_back(low, base, step, child, new_child, origin):
    """The new version of `base` once its view `child` holds `new_child` (and the step
    that makes the new child, a view of it)."""
    if isinstance(step, IndexStep):
        if step.certain:
            return _setitem(low, base, step.index, new_child, origin), step
        witness = step.witness if step.witness is not None else \
            low.builder.emit(helpers._sg_is_view, [child, base], {}, origin, '_is_view')
        new_base = low.conditional_value(
            witness, lambda: _setitem(low, base, step.index, new_child, origin),
            lambda: base, origin, base.hint if isinstance(base, Value) else None)
        return new_base, IndexStep(step.index, False, witness)
    if isinstance(step, TransposeStep):
        axes = None if step.axes is None else tuple(int(k) for k in np.argsort(step.axes))
        args = [new_child] if axes is None else [new_child, Const(axes)]
        new_base = low.builder.emit(np.transpose, args, {}, origin,
                                    base.hint if isinstance(base, Value) else '_transpose')
        low.ctx.memory.records.pop(new_base, None)      # the base: the child is its view
        return new_base, step
    return new_child, step          # SAME


def _rebind(low, storage, old_root, new_root, replacements, origin, target, is_array):
    memory = low.ctx.memory
    why = f'written at {origin.short}'
    # an assignment into the array (not `+=` on it): passes/inplace checks, when the
    # code runs, that an item `tmp = y[i]` read after it is not a view
    checked = any(getattr(op, 'prim', None) is prims.SETITEM and new_root in op.outputs
                  for op in low.builder.block.ops[-3:])

    def rebound(b):
        if isinstance(b, Pack):
            items = [rebound(i) for i in b.items]
            if all(x is y for x, y in zip(items, b.items)):
                return b
            return Pack(b.kind, items, b.keys)
        if isinstance(b, Pending):
            if memory.storage_of(b.old_root) == storage or b.root is old_root:
                return Pending(b.old, b.old_root, new_root, b.steps)
            return b
        if not isinstance(b, Value):
            return b
        if b in replacements:
            new = replacements[b]
            if is_array is not None and b is target:
                # another name for what may be a number: it changes only if an array,
                # and is then that array (a number has no memory to share: a later
                # `+=` through either rebinds only its own name, the same way)
                shown = low.conditional_value(is_array, lambda: new, lambda: b, origin, b.hint)
                memory.records[shown] = View(new, SAME)
                return shown
            return new
        shown = memory.storages(b)
        if shown is not None and storage not in shown:
            return b
        root, links, opaque = memory.chain(b)
        if opaque is None and root is new_root:
            return b                # made from the new memory already
        if opaque is None and root is old_root and links:
            if is_array is not None and all(step is SAME for _, step, _ in links):
                # another value of what may be a number (`start = d` carried by a loop
                # as two values): it is the new array only if an array
                shown = low.conditional_value(is_array, lambda: new_root, lambda: b, origin,
                                              b.hint)
                memory.records[shown] = View(new_root, SAME)
                return shown
            if checked and any(isinstance(step, IndexStep) and not step.certain and
                               step.witness is None for _, step, _ in links):
                # `tmp = y[i]`: a scalar copy of a 1-d y, a view otherwise; kept as it
                # is, read through a check that it is not a view (passes/inplace)
                return b
            return Pending(b, old_root, new_root, list(reversed(links)))
        return Stale(f'it shows memory {why} in a way not followed here (a view made by '
                     f'{opaque.why})' if opaque is not None else
                     f'it shows memory {why}', origin)

    for env in low.envs_sharing():
        for name, b in list(env.items()):
            env[name] = rebound(b)


def materialize(low, binding, origin):
    """The value a Pending binding shows now (emitting the view ops); Stale refused."""
    if isinstance(binding, Stale):
        raise low.error_at(f'this value cannot be read here: {binding.why}; copy it first '
                           f'(np.copy) or read it before the write', origin)
    if isinstance(binding, Pack):
        items = [materialize(low, i, origin) for i in binding.items]
        if all(x is y for x, y in zip(items, binding.items)):
            return binding
        return Pack(binding.kind, items, binding.keys)
    if not isinstance(binding, Pending):
        return binding
    memory = low.ctx.memory
    value, witnesses = binding.root, []
    for base, step, child in binding.steps:
        parent = value
        if isinstance(step, IndexStep):
            value = low.builder.emit(prims.GETITEM, [value, step.index], {}, origin,
                                     child.hint, style=('subscript',))
            if not step.certain:
                witnesses.append(step.witness if step.witness is not None else
                                 low.builder.emit(helpers._sg_is_view, [child, base], {},
                                                  origin, '_is_view'))
        elif isinstance(step, TransposeStep):
            args = [value] if step.axes is None else [value, Const(step.axes)]
            value = low.builder.emit(np.transpose, args, {}, origin, child.hint)
        if value is not parent:
            memory.records[value] = View(parent, step)
    if witnesses:
        test = witnesses[0]
        for w in witnesses[1:]:
            test = low.builder.emit(np.logical_and, [test, w], {}, origin, '_is_view')
        fresh = value
        value = low.conditional_value(test, lambda: fresh, lambda: binding.old, origin,
                                      binding.old.hint)
        last = binding.steps[-1][1]
        memory.records[value] = View(binding.root, IndexStep(last.index, False, test)) \
            if len(binding.steps) == 1 else \
            Opaque((binding.root, binding.old), 'a view that may be a copy')
    return value


def _stale_in(binding):
    if isinstance(binding, Stale):
        return binding
    if isinstance(binding, Pack):
        for item in binding.items:
            found = _stale_in(item)
            if found is not None:
                return found
    return None


def is_pending(binding):
    """Is a binding to recompute (or refuse) before it is used?"""
    if isinstance(binding, (Pending, Stale)):
        return True
    return isinstance(binding, Pack) and any(is_pending(i) for i in binding.items)


def settle(low, before, origin, names=None, keep=False):
    """Before a branch or a loop body ends: the views it changed are recomputed in
    it (a name showing memory that cannot be followed stays Stale).  `keep`: a
    plain Pending stays (the If merges it: merged_pending)."""
    for name in list(low.env) if names is None else names:
        b = low.env.get(name)
        if b is before.get(name) or not is_pending(b) or keep and isinstance(b, Pending):
            continue
        stale = _stale_in(b)
        low.env[name] = stale if stale is not None else materialize(low, b, origin)


def _defined_in(blocks):
    inner = set()
    for block in blocks:
        for b in blocks_in(block):
            for op in b.ops:
                inner.update(getattr(op, 'outputs', ()))
                if isinstance(op, Loop):
                    inner.update(op.defined())
    return inner


def _local(step, inner):
    return any(v in inner for operand in step.operands() for v in values_in(operand))


def merged(low, outputs, pairs, blocks):
    """The records of a region's outputs, each one of its candidates (an If's two
    branch results): a view where every candidate is the same view of one output,
    the same array as another output, a new array where no candidate shares memory
    with anything else bound; otherwise opaque (writes through it are refused)."""
    memory = low.ctx.memory
    inner = _defined_in(blocks)
    first = {}                  # candidates (by identity) -> the first output of them
    roots, views = [], []
    for out, pair in zip(outputs, pairs):
        key = tuple(id(c) for c in pair)
        if key in first:
            memory.records[out] = View(first[key], SAME)
            continue
        first[key] = out
        recs = [memory.records.get(c) if isinstance(c, Value) else None for c in pair]
        if all(r is None for r in recs):
            roots.append((out, pair))
        elif all(isinstance(r, View) for r in recs) and \
                all(r.step is recs[0].step for r in recs) and not _local(recs[0].step, inner):
            views.append((out, pair, recs))
        else:
            memory.records[out] = Opaque(tuple(c for c in pair if isinstance(c, Value)),
                                         'a value that may be one of several arrays')
    by_candidates = {tuple(id(c) for c in pair): out for out, pair in zip(outputs, pairs)}
    for out, pair, recs in views:
        bases = [r.base for r in recs]
        base = by_candidates.get(tuple(id(b) for b in bases))
        if base is None and all(b is bases[0] for b in bases) and bases[0] not in inner:
            base = bases[0]
        memory.records[out] = View(base, recs[0].step) if base is not None else \
            Opaque(tuple(pair), 'a value that may be one of several arrays')
    outs = set(outputs)
    others = [b for b in low.env.values() if not (isinstance(b, Value) and b in outs)]
    for out, pair in roots:
        mine = set()
        for c in pair:
            mine |= memory.storages(c) or set()
        if len(mine) == 1 and all(isinstance(c, Value) for c in pair):
            # versions of one array (a branch wrote into it): that array still
            memory.storage[out] = next(iter(mine))
            continue
        clash = False
        # the candidates of the other outputs, but views of this one's
        rivals = [c for o, p in zip(outputs, pairs)
                  if o is not out and memory.chain(o)[0] is not out for c in p]
        for b in others + rivals:
            shown = memory.storages(b) if isinstance(b, (Value, Pack)) else set()
            if shown is None or shown & mine:
                clash = True
                break
        if clash:
            memory.records[out] = Opaque(tuple(c for c in pair if isinstance(c, Value)),
                                         'a value that may be one of several arrays')


# ---- loops ------------------------------------------------------------------------------
class Again(Exception):
    """A loop body to lower again, knowing more (LoopFacts)."""


class LoopFacts:
    """What earlier attempts at lowering a loop found."""

    def __init__(self):
        self.extra = set()          # names the body changes without assigning them
        self.opaque = {}            # slots whose sharing changes from one iteration on ->
                                    # (slots, values before the loop) they may share with
        self.stale = {}             # names the body leaves unreadable -> their Stale
        self.dead = set()           # names the body assigns before reading them
        self.held = {}              # run-time list slots -> memories (first roots) that
                                    # an iteration's items may show


def phi_records(low, slots, phis, inits, facts):
    """What each loop variable shares, assumed from its value before the loop (and
    checked against its value after an iteration: check_loop)."""
    memory = low.ctx.memory
    phi_of = {}
    for phi, init in zip(phis, inits):
        if isinstance(init, Value):
            phi_of.setdefault(init, phi)
    for slot, phi, init in zip(slots, phis, inits):
        if phi in memory.lists:
            # a run-time list holds what it held before the loop and what the
            # iterations put into it (found by check_loop)
            phi_of_slot = dict(zip(slots, phis))
            memory.note_list(phi, [init] + [phi_of_slot.get(m, m) if isinstance(m, tuple)
                                            else m for m in facts.held.get(slot, ())])
        if slot[0] in facts.dead:
            continue                # never read: what it shares does not matter
        if slot in facts.opaque:
            partners, outer = facts.opaque[slot]
            if partners is None:
                bases = None
            else:
                bases = tuple(v for v in [init] if isinstance(v, Value)) + tuple(
                    p for s_, p in zip(slots, phis) if s_ in partners) + tuple(outer)
            memory.records[phi] = Opaque(bases, 'a loop variable whose memory changes '
                                                'from one iteration to the next')
            continue
        if not isinstance(init, Value):
            continue
        rec = memory.records.get(init)
        if phi_of[init] is not phi:
            memory.records[phi] = View(phi_of[init], SAME)
        elif rec is None:
            # the memory of its value before the loop: a write through it changes
            # what other names show of that (they are then carried: check_loop)
            memory.storage[phi] = memory.storage_of(init)
        elif isinstance(rec, View):
            memory.records[phi] = View(phi_of.get(rec.base, rec.base), rec.step)
        elif rec.bases is not None:
            # what its value before the loop may share (check_loop: and no more after
            # an iteration)
            memory.records[phi] = Opaque((init,), 'a loop variable that may share memory '
                                                  'with another array')
        else:
            memory.records[phi] = Opaque(None, 'a loop variable that may share memory '
                                               'with another array')


def check_loop(low, slots, phis, nexts, carried, before, target_names, facts, body):
    """After a loop body: Again where the assumptions of phi_records do not hold of
    the values the next iteration starts with, or the body changed a name it does
    not assign (a view's base, a caller's variable)."""
    memory = low.ctx.memory
    again = False
    for name, b in low.env.items():
        if name in carried or name in target_names or name not in before:
            continue
        if b is not before[name]:
            facts.extra.add(name)       # carried from now on
            again = True
    if again:
        raise Again()                   # (the carried values decide the rest)
    next_of = dict(zip(phis, nexts))
    inner = None
    for slot, phi, nxt in zip(slots, phis, nexts):
        if isinstance(nxt, Stale):
            facts.stale[slot[0]] = nxt
            again = True
            continue
        if phi in memory.lists and slot not in facts.opaque and \
                memory.storages(phi) is not None:
            # the items an iteration put into a run-time list are there in the next
            # one: the memories they show (but those made anew by each iteration)
            inner = _defined_in([body]) if inner is None else inner
            shown = memory.storages(nxt)
            if shown is None:
                facts.opaque[slot] = (None, ())
                again = True
                continue
            new = {m for m in shown if m not in inner} - memory.storages(phi)
            if new:
                # (this loop's variables by slot: each attempt makes them anew)
                slot_of = {p: s_ for s_, p in zip(slots, phis)}
                facts.held[slot] = facts.held.get(slot, set()) | {
                    slot_of.get(m, m) for m in new}
                again = True
        rec = memory.records.get(phi)
        if isinstance(rec, Opaque) and rec.bases is not None and slot not in facts.opaque \
                and slot[0] not in facts.dead:
            # assumed to share what its value before the loop shares: so must its value
            # after an iteration (but the memories each iteration makes anew)
            inner = _defined_in([body]) if inner is None else inner
            shown = memory.storages(nxt) if isinstance(nxt, (Value, Pack)) else set()
            if shown is None or {m for m in shown if m not in inner} - memory.storages(phi):
                facts.opaque[slot] = _sharers(memory, nxt, slots, nexts, body)
                again = True
            continue
        if isinstance(rec, Opaque) or slot[0] in facts.dead:
            continue
        if rec is not None and rec.step is SAME:
            # (or a value shown as that memory: what may be a number, chosen when the
            # code runs between the base's array and its own number)
            got = memory.records.get(nxt) if isinstance(nxt, Value) else None
            ok = nxt is next_of.get(rec.base) or isinstance(got, View) and \
                got.step is SAME and got.base is next_of.get(rec.base)
        elif rec is not None:
            got = memory.records.get(nxt) if isinstance(nxt, Value) else None
            ok = isinstance(got, View) and got.step is rec.step and \
                got.base is next_of.get(rec.base, rec.base)
        elif not isinstance(nxt, Value):
            ok = True
        else:
            covered = [n for s_, n in zip(slots, nexts) if s_[0] in facts.dead or
                       s_ in facts.opaque and (facts.opaque[s_][0] is None or
                                               slot in facts.opaque[s_][0])]
            _, links, opaque = memory.chain(nxt)
            # (the loop's targets not carried are bound afresh before the next
            # iteration reads them: what they show at the end does not matter)
            rebound = {n for n in target_names if n not in carried}
            ok = opaque is None and all(step is SAME for _, step, _ in links) and \
                _alone(low, phi, nxt, phis, nexts, covered, rebound)  # (SAME: `+=` on either)
        if not ok:
            facts.opaque[slot] = _sharers(memory, nxt, slots, nexts, body)
            again = True
    if again:
        raise Again()


def _sharers(memory, nxt, slots, nexts, body):
    """(the slots whose next values share memory with nxt, the values from before the
    loop whose memory it shows), or (None, ()) where that is unknown."""
    mine = memory.storages(nxt)
    if mine is None:
        return None, ()
    inner = _defined_in([body])
    partners = set()
    for slot, other in zip(slots, nexts):
        shown = memory.storages(other) if isinstance(other, (Value, Pack)) else set()
        if shown is None:
            return None, ()
        if shown & mine:
            partners.add(slot)
    return partners, tuple(v for v in mine if isinstance(v, Value) and v not in inner)


def _alone(low, phi, nxt, phis, nexts, covered, rebound):
    """Does nothing bound at the end of a loop body share nxt's memory, but the loop
    variables that are views of it, those (`covered`) whose next values are opaque
    loop variables known to share it, and the names `rebound` before any read?"""
    memory = low.ctx.memory
    mine = memory.storages(nxt)
    if mine is None:
        return False
    mine_views = set()
    for p, n in zip(phis, nexts):
        if memory.chain(p)[0] is phi:
            mine_views.add(n)
    for name, b in low.env.items():
        if name in rebound or b is nxt or b in mine_views or any(b is c for c in covered) or \
                not isinstance(b, (Value, Pack, Pending)):
            continue
        if isinstance(b, Pending):
            b = b.old
        root, _, opaque = memory.chain(b) if isinstance(b, Value) else (None, None, None)
        if root is nxt and opaque is None:
            continue        # a view of it: its own slot is checked (or it is carried next)
        shown = memory.storages(b)
        if shown is None or shown & mine:
            return False
    return True


def loop_outputs(low, slots, phis, inits, nexts, outputs, facts):
    """A loop's results share what its variables share (one the body assigns before
    reading it: what its value before the loop or after an iteration shares)."""
    memory = low.ctx.memory
    out_of = dict(zip(phis, outputs))
    for slot, phi, init, nxt, out in zip(slots, phis, inits, nexts, outputs):
        rec = memory.records.get(phi)
        if slot[0] in facts.dead:
            candidates = tuple(c for c in (init, nxt) if isinstance(c, Value))
            if candidates:
                memory.records[out] = Opaque(candidates, 'a value that may be one of '
                                                         'several arrays')
        elif rec is None:
            memory.storage[out] = memory.storage_of(phi)
            if phi in memory.lists:
                memory.note_list(out, [phi, nxt])
        elif isinstance(rec, View):
            memory.records[out] = View(out_of.get(rec.base, rec.base), rec.step)
        elif isinstance(rec, Opaque):
            memory.records[out] = rec


def merged_pending(low, name, then_env, else_env, before, then_out, else_out):
    """After an If: a view both branches show of the same array (the same view, of
    the versions of one memory the If merged into one output): that view of the
    output, recomputed when read.  None where they do not agree."""
    memory = low.ctx.memory
    old = before.get(name)
    found = []
    for env, out_of in ((then_env, then_out), (else_env, else_out)):
        b = env.get(name, old)
        if isinstance(b, Pending):
            found.append((b.old, b.old_root, [s_ for _, s_, _ in b.steps],
                          out_of.get(id(b.root)), b.steps))
            continue
        if not isinstance(b, Value):
            return None
        root, links, opaque = memory.chain(b)
        if opaque is not None or not links:
            return None
        steps = list(reversed(links))
        found.append((b, root, [s_ for _, s_, _ in steps], out_of.get(id(root)), steps))
    first = found[0]
    if any(f[0] is not first[0] or f[1] is not first[1] or f[3] is None or
           f[3] is not first[3] or len(f[2]) != len(first[2]) or
           any(a is not b for a, b in zip(f[2], first[2])) for f in found):
        return None
    return Pending(first[0], first[1], first[3], first[4])
