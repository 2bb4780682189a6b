"""Which values certainly have the same shape.

Each value gets a shape class: `SCALAR`, a concrete shape (a tuple) when the
shapes of the function's arguments are known (a specialisation for a call's
argument shapes), or a token shared by values whose shapes are equal by
construction (an elementwise op's result has its array operand's shape when
the other operands are scalars or of the same class).  The AD pass uses it to
leave out unbroadcasting where no broadcast happened and to seed scalar
outputs with 1.0 instead of an array of ones.  Only shapes that follow
certainly from an op are computed: anything else gets a token of its own.
"""
import numpy as np

from ..ad import interface
from ..ir import prims
from ..ir.nodes import Const, If, Loop, Pack, Slice, Value
from ..runtime import helpers

SCALAR = 'scalar'
_FULL_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std}
_SCALAR_CASTS = {float, np.float64, np.float32, np.float16}
_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin}
_SAME_SHAPE = {prims.ALIAS, interface.stop_gradient, prims.INPLACE_ADD,
               helpers._sg_zeros_like, helpers._sg_ones_like}


class ShapeClasses:
    def __init__(self, ops, scalars=(), shapes=None):
        self.classes = {v: SCALAR for v in scalars}     # values known to be scalars
        self.shape_index = {}                           # values that are np.shape(...)
        self.ranges, self.ints = set(), set()           # range(...) values, Python ints
        for v, shape in (shapes or {}).items():
            self.classes[v] = SCALAR if shape == () else tuple(shape)
        self.add(ops)

    def add(self, ops):
        """Classify the values `ops` define (for a region's block, once its turn comes)."""
        for op in ops:
            if getattr(op, 'prim', None) is np.shape:
                self.shape_index[op.outputs[0]] = True
            if getattr(op, 'prim', None) is range:
                self.ranges.add(op.outputs[0])
            if isinstance(op, Loop):
                self._loop(op)
                continue
            if isinstance(op, If):
                for out, rt, re_ in zip(op.outputs, op.then_results, op.else_results):
                    self.classes[out] = object()
                self.add(op.then_block.ops)
                self.add(op.else_block.ops)
                for out, rt, re_ in zip(op.outputs, op.then_results, op.else_results):
                    a, b = self.of(rt), self.of(re_)
                    if rt is not None and re_ is not None and _known(a) and a == b:
                        self.classes[out] = a
                continue
            token = self._result(op)
            for out in op.outputs:
                self.classes[out] = token if len(op.outputs) == 1 else object()

    def of(self, operand):
        if isinstance(operand, Const):
            value = operand.value
            if isinstance(value, (int, float, complex, bool, np.number, np.bool_)):
                return SCALAR
            return object()
        if isinstance(operand, Value):
            return self.classes.setdefault(operand, object())
        return object()

    def same(self, a, b):
        ca, cb = self.of(a), self.of(b)
        return ca is cb or (_known(ca) and _known(cb) and ca == cb)

    def shape_of(self, operand):
        """The concrete shape of an operand, or None when it is not known."""
        token = self.of(operand)
        return _shape(token) if _known(token) else None

    def _reduced(self, op):
        """The shape after a reduction with a constant axis and keepdims."""
        base = self.shape_of(op.args[0])
        if base is None:
            return None
        axis = op.args[1] if len(op.args) > 1 else op.kwargs.get('axis', Const(None))
        keepdims = op.kwargs.get('keepdims', Const(False))
        if len(op.args) > 2 or set(op.kwargs) - {'axis', 'keepdims'} or \
                not isinstance(axis, Const) or not isinstance(keepdims, Const):
            return None
        axes = axis.value
        if axes is None:
            axes = tuple(range(len(base)))
        elif isinstance(axes, int):
            axes = (axes,)
        if not isinstance(axes, tuple) or not all(isinstance(a, int) for a in axes):
            return None
        try:
            axes = {a % len(base) for a in axes} if base else set()
        except ZeroDivisionError:
            return None
        if keepdims.value:
            return _token(tuple(1 if k in axes else n for k, n in enumerate(base)))
        return _token(tuple(n for k, n in enumerate(base) if k not in axes))

    def unbatched_product(self, op):
        """a @ b of operands known to have at most 2 dimensions: each gradient has its
        operand's shape already (only stacks of matrices broadcast)."""
        if getattr(op, 'prim', None) not in (np.matmul, np.dot) or len(op.args) != 2:
            return False
        tokens = [self.of(a) for a in op.args]
        return all(_known(t) and len(_shape(t)) <= 2 for t in tokens) and \
            all(_known(t) and len(_shape(t)) >= 1 for t in tokens)

    def _loop(self, op):
        """A carried variable keeps its initial shape if an iteration gives it back."""
        counts = op.iterable in self.ranges          # for i in range(n): i is an int
        for v in op.targets:
            self.classes[v] = SCALAR if counts else object()
            if counts:
                self.ints.add(v)
        assumed = {phi: self.of(init) for phi, init in zip(op.phis, op.inits)}
        while True:
            for phi in op.phis:
                self.classes[phi] = assumed[phi] if _known(assumed[phi]) else object()
            self.add(op.cond_block.ops)
            self.add(op.body.ops)
            broken = [phi for phi, nxt in zip(op.phis, op.nexts)
                      if _known(assumed[phi]) and self.of(nxt) != assumed[phi]]
            if not broken:
                break
            for phi in broken:
                assumed[phi] = None
        for out, phi in zip(op.outputs, op.phis):
            self.classes[out] = self.classes[phi] if _known(self.classes[phi]) else object()

    def _result(self, op):
        prim = op.prim
        if prim in _SAME_SHAPE:
            return self.of(op.args[0])
        if prim in _FULL_REDUCTIONS and not op.kwargs.get('keepdims', Const(False)).value \
                and _axis(op) is None and len(op.args) <= 2:
            return SCALAR
        if prim in _SCALAR_CASTS and len(op.args) == 1 and self.of(op.args[0]) == SCALAR:
            return SCALAR
        if prim is float or getattr(prim, '__module__', None) == 'math':
            return SCALAR               # math's functions and float() return a Python float
        if prim in (np.ndim, np.size, len):
            return SCALAR
        if prim is prims.GETITEM and len(op.args) == 2 and isinstance(op.args[1], Const) \
                and isinstance(op.args[1].value, int) and isinstance(op.args[0], Value) \
                and self.shape_index.get(op.args[0]):
            return SCALAR               # x.shape[0]: an int
        if prim is prims.GETITEM and len(op.args) == 2 or \
                prim is np.expand_dims and len(op.args) == 2 and not op.kwargs:
            shape = _indexed(self.shape_of(op.args[0]), op.args[1], prim is np.expand_dims,
                             self.ints)
            if shape is not None:
                return _token(shape)
        if prim is np.shape:
            return object()
        if prim is np.transpose and len(op.args) == 1 and not op.kwargs:
            base = self.shape_of(op.args[0])
            return object() if base is None else _token(base[::-1])
        if prim is np.broadcast_to and len(op.args) == 2 and isinstance(op.args[1], Const) \
                and isinstance(op.args[1].value, tuple) and not op.kwargs:
            return _token(op.args[1].value)
        if prim in _REDUCTIONS and op.args:
            reduced = self._reduced(op)
            if reduced is not None:
                return reduced
        elementwise = (isinstance(prim, np.ufunc) and prim.nin == len(op.args) and prim.nout == 1
                       and not op.kwargs and prim is not np.matmul) or prim is np.where
        if elementwise:
            tokens = [self.of(a) for a in op.args]
            arrays = [t for t in tokens if t is not SCALAR]
            if not arrays:
                return SCALAR
            if all(t is arrays[0] for t in arrays):
                return arrays[0]
            if all(_known(t) for t in tokens):
                try:
                    return _token(np.broadcast_shapes(*[_shape(t) for t in tokens]))
                except ValueError:
                    return object()
        if prim is np.matmul and len(op.args) == 2 and not op.kwargs:
            a, b = (self.of(x) for x in op.args)
            if _known(a) and _known(b):
                return _token(_matmul_shape(_shape(a), _shape(b)))
        return object()


def _indexed(base, index, expand, ints=()):
    """The shape of x[index] (basic indexing by constants, or by `ints`: values known
    to be Python ints) or np.expand_dims(x, axis), for x of shape `base`; None
    when it does not follow."""
    if not base or not isinstance(index, (Const, Pack, Slice)) and index not in ints:
        return None
    if expand:
        axis = index.value if isinstance(index, Const) else None
        if not isinstance(axis, int) or not -len(base) - 1 <= axis <= len(base):
            return None
        axis %= len(base) + 1
        return base[:axis] + (1,) + base[axis:]
    items = index.items if isinstance(index, Pack) and index.kind == 'index' else [index]
    parts = []
    for item in items:
        if isinstance(item, Slice):
            bounds = [p.value if isinstance(p, Const) else item
                      for p in (item.start, item.stop, item.step)]
            if any(b is item or not (b is None or type(b) is int) for b in bounds):
                return None
            item = Const(slice(*bounds))
        if isinstance(item, Value) and item in ints:
            parts.append(item)
            continue
        if not isinstance(item, Const):
            return None                 # a run-time index (or an array of them)
        value = item.value
        if value is not None and value is not Ellipsis and type(value) not in (int, slice):
            return None
        parts.append(value)
    if parts.count(Ellipsis) > 1:
        return None
    used = sum(1 for p in parts if p is not None and p is not Ellipsis)
    if any(isinstance(p, Value) for p in parts) and Ellipsis in parts:
        return None
    if used > len(base):
        return None
    if Ellipsis in parts:
        k = parts.index(Ellipsis)
        parts[k:k + 1] = [slice(None)] * (len(base) - used)
    parts += [slice(None)] * (len(base) - sum(1 for p in parts if p is not None))
    shape, dims = [], iter(base)
    for p in parts:
        if p is None:
            shape.append(1)
            continue
        n = next(dims)
        if isinstance(p, slice):
            if p.step == 0:
                return None
            shape.append(len(range(*p.indices(n))))
        elif not isinstance(p, Value) and not -n <= p < n:
            return None
    return tuple(shape)


def _known(token):
    return token == SCALAR or isinstance(token, tuple)


def _shape(token):
    return () if token == SCALAR else token


def _token(shape):
    if shape is None:
        return object()
    return SCALAR if shape == () else tuple(shape)


def _matmul_shape(a, b):
    """The shape of a @ b, or None where NumPy would refuse (or it is not simple)."""
    if not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return () if a[0] == b[0] else None
    if len(a) == 1:
        return b[:-2] + b[-1:] if a[0] == b[-2] else None
    if len(b) == 1:
        return a[:-1] if a[-1] == b[0] else None
    if a[-1] != b[-2]:
        return None
    try:
        batch = np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        return None
    return tuple(batch) + (a[-2], b[-1])


def _axis(op):
    if len(op.args) > 1:
        axis = op.args[1]
    else:
        axis = op.kwargs.get('axis', Const(None))
    return axis.value if isinstance(axis, Const) else 'unknown'
