"""Which values certainly have the same shape.

Each value gets a shape class: `SCALAR`, a concrete shape (a tuple) when the
shapes of the function's arguments are known (a specialisation for a call's
argument shapes), or a token shared by values whose shapes are equal by
construction (an elementwise op's result has its array operand's shape when
the other operands are scalars or of the same class).  The AD pass uses it to
leave out unbroadcasting where no broadcast happened and to seed scalar
outputs with 1.0 instead of an array of ones.  Only shapes that follow
certainly from an op are computed: anything else gets a token of its own.

A specialisation serves every call whose arrays have its ranks, dtypes and
unit dimensions (api.GradFunction), so a shape derived from sizes in a way
that holds for these sizes only (a slice's bounds, a reshape's target, a
diagonal) is noted in `sizes_used`; a rule asking a shape or a count gets a
constant only where no size is in it (`size_free_shape`).  An elementwise
result of an operand's class has that operand's shape at every size
(`witnesses`): a shape read of the one may read the other.  Every other derivation keeps each dimension an
argument's, 1, or one NumPy requires to be equal to another (broadcasting,
products), so the decisions taken from these classes hold for any sizes the
call runs with: two dimensions taken to be equal are, or NumPy raises.
"""
import numpy as np

from ..ir import prims
from ..runtime import helpers
from ..ir.nodes import Const, If, Loop, Op, Pack, Slice, Value
from ..ir.primitives import axis_operand, einsum_terms, einsum_tokens, elementwise, info
from .leaves import Leaf, LeafPaths

SCALAR = 'scalar'

class ShapeClasses:
    def __init__(self, ops, scalars=(), shapes=None, integer_arrays=()):
        self.classes = {v: SCALAR for v in scalars}     # values known to be scalars
        # values known to be arrays of integers (parameters a caller knows of, and
        # their basic slices): an index by one has its shape (`cams[obs[:, 0]]`)
        self.integer_arrays = set(integer_arrays)
        self.shape_index = {}                           # np.shape(x) values -> x
        self.ranges = set()                             # values that are range(...)
        self.integers = set()           # values that are integer scalars (an index's shape)
        self.sizes = {}                 # integer values read off known shapes -> their int
        self.pieces = {}                # a concatenation's gradient split -> its pieces' classes
        self.items = {}                 # a list (LIST_NEW, LIST_APPEND) -> its items' known class
        self.taped = {}                 # a tape -> the class of what is pushed on it
        self.tapes_of = {}              # reversed(tapes) -> the tapes, in order
        self.new_tapes = set()          # tapes made by TAPE_NEW
        self.taped_ranges = {}          # a tape -> is every value pushed on it a range
        self.taped_sizes = {}           # a tape -> the one size pushed on it (or None)
        self.inner_tapes = {}           # a tape of tapes -> the one tape value pushed on it
        self.stands_for = {}            # a tape walked back by a loop -> the tape it was
        self.sizes_used = False         # a shape holds for these exact sizes only
        self.witnesses = {}             # a value -> an operand of its shape at every size
        self.leaves = LeafPaths(shapes)   # params['W1'], model.W: the leaves' shapes
        for v, shape in (shapes or {}).items():
            if not isinstance(v, Leaf):
                self.classes[v] = SCALAR if shape == () else tuple(shape)
        self.add(ops)

    def add(self, ops):
        """Classify the values `ops` define (for a region's block, once its turn comes)."""
        for op in ops:
            if getattr(op, 'prim', None) is np.shape:
                self.shape_index[op.outputs[0]] = op.args[0]
            if getattr(op, 'prim', None) is range:
                self.ranges.add(op.outputs[0])
            if getattr(op, 'prim', None) is prims.TAPE_NEW:
                self.new_tapes.add(op.outputs[0])
            if getattr(op, 'prim', None) is prims.TAPE_PUSH:
                self._push(*op.args)
            if getattr(op, 'prim', None) is prims.TAPE_REVERSED:
                self.tapes_of[op.outputs[0]] = list(op.args)
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
                    self._note_integer(out, self.is_integer(rt) and self.is_integer(re_))
                continue
            leaves = [_token(leaf) if isinstance(leaf, tuple) else None
                      for leaf in self.leaves.fact(op)]
            token = leaves[0] if leaves and leaves[0] is not None else self._result(op)
            pieces = self.pieces.get(op.args[0]) if getattr(op, 'prim', None) is \
                prims.UNPACK and len(op.args) == 1 else None
            if pieces is not None and len(pieces) != len(op.outputs):
                pieces = None
            for k, (out, leaf) in enumerate(zip(op.outputs, leaves)):
                self.classes[out] = token if len(op.outputs) == 1 else \
                    pieces[k] if pieces is not None else object() if leaf is None else leaf
            if len(op.outputs) == 1:
                self._note_integer(op.outputs[0], self._integer_result(op))
                if op.prim is prims.GETITEM and op.args[0] in self.integer_arrays and \
                        self._indexed(*op.args) is not None:
                    self.integer_arrays.add(op.outputs[0])
                self._note_size(op)
                self._note_items(op)
            if len(op.outputs) == 1 and token is not SCALAR:
                self._witness(op, token)
            if len(op.outputs) == 1:
                self.pieces.pop(op.outputs[0], None)
                split = self._split(op)
                if split is not None:
                    self.pieces[op.outputs[0]] = split

    def _witness(self, op, token):
        """An elementwise result of one operand's shape class has that operand's shape
        for every size the classes serve (a concrete shape's unit dimensions are
        fixed, and broadcasting makes every other dimension the result's)."""
        if not (info(op.prim).same_shape or elementwise(op) or op.prim is np.where):
            return
        for arg in op.args:
            if isinstance(arg, Value) and arg in self.classes and (
                    self.classes[arg] is token or _known(token) and self.classes[arg] == token):
                self.witnesses[op.outputs[0]] = arg
                return

    def of(self, operand):
        if isinstance(operand, Const):
            value = operand.value
            if isinstance(value, (int, float, complex, bool, np.number, np.bool_)):
                return SCALAR
            if type(value) is np.ndarray:
                # a constant array (a global, a folded literal): its shape is the
                # guards' to watch (frontend/guards.py: shape and dtype)
                return SCALAR if value.shape == () else value.shape
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

    def size_free_shape(self, operand):
        """The concrete shape of an operand where every size a specialisation serves
        gives it (no dimension over 1), to be written as a constant; else None."""
        shape = self.shape_of(operand)
        return shape if shape is not None and all(n < 2 for n in shape) else None

    def _reduced(self, op):
        """The shape after a reduction with a constant axis and keepdims."""
        base = self.shape_of(op.args[0])
        if base is None:
            return None
        axis = axis_operand(op)
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

    def _running(self, op):
        """The shape of np.cumsum(x, axis) with a constant axis: x's, flat for None."""
        base = self.shape_of(op.args[0])
        axis = _axis(op)
        if base is None or len(op.args) > 2 or set(op.kwargs) - {'axis'}:
            return None
        if axis is None:
            return (int(np.prod(base, dtype=np.int64)),)
        return base if type(axis) is int and -len(base) <= axis < len(base) else None

    def _indexed(self, base, index):
        """The shape of `base[index]` for a basic index (ints, slices, None, Ellipsis)
        whose slices are constants, or None."""
        shape = self.shape_of(base) if isinstance(base, Value) else None
        if shape is None:
            return None
        parts = index.items if isinstance(index, Pack) and index.kind == 'index' else [index]
        example = []
        for part in parts:
            if isinstance(part, Value) and part in self.integers:
                example.append(0)       # any int in range gives the same shape
            elif isinstance(part, Value) and part in self.integer_arrays and \
                    self.shape_of(part) is not None:
                # any ints in range give the same shape; it is the index's, so these
                # sizes' only
                example.append(np.zeros(self.shape_of(part), np.intp))
                self.sizes_used = True
            elif isinstance(part, Const) and _basic(part.value):
                example.append(part.value)
            elif isinstance(part, Slice) and all(isinstance(p, Const) for p in (
                    part.start, part.stop, part.step)) and _basic(slice(
                    part.start.value, part.stop.value, part.step.value)):
                example.append(slice(part.start.value, part.stop.value, part.step.value))
            elif isinstance(part, Slice) and all(
                    isinstance(p, Const) and p.value is None or self.size_value(p) is not None
                    for p in (part.start, part.stop, part.step)):
                # bounds read off shapes: a slice of these sizes
                self.sizes_used = True
                example.append(slice(*[None if isinstance(p, Const) and p.value is None
                                       else self.size_value(p)
                                       for p in (part.start, part.stop, part.step)]))
            else:
                return None
        example = tuple(example) if isinstance(index, Pack) else example[0]
        if not _size_free(example):
            self.sizes_used = True
        try:
            return _stand_in(shape)[example].shape
        except (IndexError, TypeError, ValueError):
            return None

    def _rearranged(self, op):
        """The shape of transpose(x, axes), swapaxes, reshape, ... with constant
        options: the function itself, run on a stand-in of x's shape."""
        shape = self.shape_of(op.args[0]) if isinstance(op.args[0], Value) else None
        rest = list(op.args[1:]) + list(op.kwargs.values())
        if shape is None or not all(isinstance(a, Const) for a in rest):
            return None
        if op.prim not in _SIZE_FREE_REARRANGEMENTS:
            self.sizes_used = True
        try:
            return op.prim(_stand_in(shape), *[a.value for a in op.args[1:]],
                           **{k: v.value for k, v in op.kwargs.items()}).shape
        except Exception:       # (what NumPy would refuse: not known here)
            return None

    def _split(self, op):
        """The classes of the pieces of `_sg_split_like(g, arrays, axis)` (a
        concatenation's gradient, unpacked next) where g has the shape of the arrays
        concatenated: the arrays'."""
        if op.prim is not helpers._sg_split_like or len(op.args) != 3 or op.kwargs or \
                not isinstance(op.args[1], Pack):
            return None
        joined = self._joined(Op(np.concatenate, op.args[1:], {}, [], op.origin))
        if joined is None or self.shape_of(op.args[0]) != joined:
            return None
        return [self.of(a) for a in op.args[1].items]

    def _joined(self, op):
        """The shape of np.concatenate or np.stack of a tuple or list of arrays of known
        shapes with a constant axis (a concatenation's for these sizes only), or None."""
        arrays, rest = op.args[0], list(op.args[1:]) + list(op.kwargs.values())
        if not isinstance(arrays, Pack) or arrays.kind not in ('tuple', 'list') or \
                len(op.args) > 2 or set(op.kwargs) - {'axis'} or \
                not all(isinstance(a, Const) for a in rest):
            return None
        shapes = [self.shape_of(a) for a in arrays.items]
        if not shapes or any(s is None for s in shapes):
            return None
        axis = op.args[1].value if len(op.args) > 1 else \
            op.kwargs['axis'].value if 'axis' in op.kwargs else 0
        if type(axis) is not int or len(set(map(len, shapes))) != 1:
            return None
        rank = len(shapes[0]) + (op.prim is np.stack)
        if not -rank <= axis < rank:
            return None
        axis %= rank
        if op.prim is np.stack:
            return shapes[0][:axis] + (len(shapes),) + shapes[0][axis:] \
                if len(set(shapes)) == 1 else None
        if len({s[:axis] + s[axis + 1:] for s in shapes}) != 1:
            return None
        self.sizes_used = True          # (a sum of sizes: for these sizes only)
        return shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]

    def unbatched_product(self, op):
        """a @ b of operands known to have at most 2 dimensions: each gradient has its
        operand's shape already (only stacks of matrices broadcast)."""
        if info(getattr(op, 'prim', None)).family != 'matmul' or len(op.args) != 2:
            return False
        tokens = [self.of(a) for a in op.args]
        return all(_known(t) and len(_shape(t)) <= 2 for t in tokens) and \
            all(_known(t) and len(_shape(t)) >= 1 for t in tokens)

    def _push(self, tape, value):
        """What a tape holds has a class when every push agrees on a known one."""
        token = self.of(value)
        before = self.taped.setdefault(tape, token)
        if not (_known(token) and _known(before) and token == before):
            self.taped[tape] = object()
        # a loop's tape pushed on its enclosing loop's tape of tapes (a nested loop):
        # each tape the reversed outer loop takes off it is that one
        if self.inner_tapes.setdefault(tape, value) is not value:
            self.inner_tapes[tape] = None
        self.taped_ranges[tape] = value in self.ranges and self.taped_ranges.get(tape, True)
        size = self.size_value(value)
        if self.taped_sizes.setdefault(tape, size) != size:
            self.taped_sizes[tape] = None

    def is_integer(self, operand):
        """Is an operand certainly an integer scalar (any of which indexes the same shape)?"""
        if isinstance(operand, Const):
            return type(operand.value) is int
        return operand in self.integers

    def _note_integer(self, value, integer):
        if integer:
            self.integers.add(value)
        else:
            self.integers.discard(value)    # (a loop's body classified again)

    def _note_size(self, op):
        """The int a value certainly is, where it is read off a known shape (`len(x)`,
        `x.shape[0]`) or is +, - or * of such ints and constants: what a slice's
        bounds may be (`gates[hsize:2 * hsize]`).  Known for these sizes only."""
        out = op.outputs[0]
        self.sizes.pop(out, None)       # (a loop's body classified again)
        prim = getattr(op, 'prim', None)
        size = None
        if prim is len and len(op.args) == 1 and not op.kwargs:
            shape = self.shape_of(op.args[0])
            size = shape[0] if shape else None
        elif prim is prims.GETITEM and len(op.args) == 2 and isinstance(op.args[1], Const) \
                and type(op.args[1].value) is int and op.args[0] in self.shape_index:
            shape = self.shape_of(self.shape_index[op.args[0]])
            if shape is not None and -len(shape) <= op.args[1].value < len(shape):
                size = shape[op.args[1].value]
        elif prim in _INTEGER_ARITHMETIC and len(op.args) == 2 and not op.kwargs:
            a, b = (self.size_value(x) for x in op.args)
            if a is not None and b is not None:
                size = int(prim(a, b))
        if size is not None:
            self.sizes[out] = size

    def _note_items(self, op):
        """A list made or appended to (`[state]`, `states.append(s)`) whose every item has
        one known shape: an item read by an integer index has it."""
        out = op.outputs[0]
        self.items.pop(out, None)       # (a loop's body classified again)
        prim = getattr(op, 'prim', None)
        if prim is prims.LIST_NEW and op.args and isinstance(op.args[0], Pack) and \
                op.args[0].items:
            tokens = [self.of(a) for a in op.args[0].items]
            if _known(tokens[0]) and all(t == tokens[0] for t in tokens):
                self.items[out] = tokens[0]
        elif prim is prims.LIST_APPEND and len(op.args) >= 2:
            token = self.items.get(op.args[0])
            if token is not None and self.of(op.args[1]) == token:
                self.items[out] = token

    def size_value(self, operand):
        """The int an operand certainly is (a constant, or a size read off a shape), or None."""
        if isinstance(operand, Const):
            return operand.value if type(operand.value) is int else None
        return self.sizes.get(operand)

    def _integer_result(self, op):
        """An int read off a shape (`len(xs)`, `xs.shape[0]`), or +, - or * of ints."""
        prim = getattr(op, 'prim', None)
        if info(prim).counts:
            return True
        if prim is prims.GETITEM and len(op.args) == 2 and isinstance(op.args[1], Const) \
                and type(op.args[1].value) is int and op.args[0] in self.shape_index:
            return True
        return prim in _INTEGER_ARITHMETIC and not op.kwargs and \
            all(self.is_integer(a) for a in op.args)

    def _loop(self, op):
        """A carried variable keeps its initial shape if an iteration gives it back;
        a counter stays an integer if an iteration gives back an integer."""
        counts = op.kind == 'for' and (op.iterable in self.ranges or isinstance(
            op.iterable, Const) and isinstance(op.iterable.value, range))
        for v in op.targets:
            self.classes[v] = SCALAR if counts else object()
            self._note_integer(v, counts)     # `for i in range(n)`: i is an int
        tapes = self.tapes_of.get(op.iterable)
        if tapes is not None and len(tapes) == len(op.targets):
            for v, tape in zip(op.targets, tapes):  # a reverse loop: what the forward saved
                tape = self.stands_for.get(tape, tape)
                self.classes[v] = self.taped.get(tape, object())
                if self.inner_tapes.get(tape) in self.new_tapes:
                    self.stands_for[v] = self.inner_tapes[tape]
                if self.taped_ranges.get(tape):
                    self.ranges.add(v)  # (a nested loop's range, walked back)
                if self.taped_sizes.get(tape) is not None:
                    self.sizes[v] = self.taped_sizes[tape]
                if tape in self.ranges or isinstance(tape, Const) and \
                        isinstance(tape.value, range):  # (or a range walked back: an index)
                    self.classes[v] = SCALAR
                    self._note_integer(v, True)
        assumed = {phi: self.of(init) for phi, init in zip(op.phis, op.inits)}
        counters = {phi for phi, init in zip(op.phis, op.inits) if self.is_integer(init)}
        items = {phi: self.items.get(init) for phi, init in zip(op.phis, op.inits)}
        while True:
            for phi in op.phis:
                self.classes[phi] = assumed[phi] if _known(assumed[phi]) else object()
                self._note_integer(phi, phi in counters)
                if items[phi] is None:
                    self.items.pop(phi, None)
                else:
                    self.items[phi] = items[phi]
            self.add(op.cond_block.ops)
            self.add(op.body.ops)
            broken = [phi for phi, nxt in zip(op.phis, op.nexts)
                      if _known(assumed[phi]) and self.of(nxt) != assumed[phi]]
            uncounted = {phi for phi, nxt in zip(op.phis, op.nexts)
                         if phi in counters and not self.is_integer(nxt)}
            unlisted = [phi for phi, nxt in zip(op.phis, op.nexts)
                        if items[phi] is not None and self.items.get(nxt) != items[phi]]
            if not broken and not uncounted and not unlisted:
                break
            for phi in broken:
                assumed[phi] = None
            for phi in unlisted:
                items[phi] = None
            counters -= uncounted
        for out, phi in zip(op.outputs, op.phis):
            self.classes[out] = self.classes[phi] if _known(self.classes[phi]) else object()
            self._note_integer(out, phi in counters)
            if items[phi] is not None:
                self.items[out] = items[phi]

    def _result(self, op):
        prim = op.prim
        facts = info(prim)
        if prim is prims.TAPE_POP:
            return self.taped.get(op.args[0], object())
        if facts.same_shape:
            return self.of(op.args[0])
        if facts.shape_of is not None and len(op.args) > facts.shape_of:
            return self.of(op.args[facts.shape_of])
        if facts.reduction == 'axis' and not op.kwargs.get('keepdims', Const(False)).value \
                and _axis(op) is None and len(op.args) <= 2:
            return SCALAR
        if facts.scalar_cast and len(op.args) == 1 and self.of(op.args[0]) == SCALAR:
            return SCALAR
        if prim is float or getattr(prim, '__module__', None) == 'math':
            return SCALAR               # math's functions and float() return a Python float
        if facts.counts:
            return SCALAR
        if prim is prims.GETITEM and len(op.args) == 2 and isinstance(op.args[1], Const) \
                and isinstance(op.args[1].value, int) and isinstance(op.args[0], Value) \
                and op.args[0] in self.shape_index:
            return SCALAR               # x.shape[0]: an int
        if prim is np.shape:
            return object()
        if prim is prims.SETITEM and op.args:
            return self.of(op.args[0])  # a write into x: a new version of x's shape
        if prim in (np.concatenate, np.stack) and op.args:
            return _token(self._joined(op))
        if prim in _OF_FIRST and op.args:
            return self.of(op.args[0])  # a stand-in of x's shape, x with zeros at an index
        if prim is helpers._sg_list_item and len(op.args) == 3:
            return self.of(op.args[2])  # the gradient of a list's item: the item's shape
        if prim is helpers._sg_accumulate and len(op.args) == 2:
            a, b = (self.of(x) for x in op.args)     # (two gradients of one value)
            return a if _known(a) and a == b else object()
        if prim is helpers._sg_scatter_add and len(op.args) == 3 and \
                isinstance(op.args[1], Value) and _known(self.of(op.args[1])):
            return self.of(op.args[1])  # zeros of an array x's shape, g added at an index
        if prim is prims.GETITEM and len(op.args) == 2 and op.args[0] in self.items and \
                self.is_integer(op.args[1]):
            return self.items[op.args[0]]           # an item of a list of one shape
        if prim is prims.GETITEM and len(op.args) == 2:
            return _token(self._indexed(*op.args))
        if facts.rearranges and op.args:
            return _token(self._rearranged(op))
        rearranged = self._rearranged(op) if prim is np.reshape and op.args else None
        if rearranged is not None:
            return _token(rearranged)               # (also with a -1 in the shape)
        if prim in (np.broadcast_to, np.reshape) and len(op.args) == 2 and not op.kwargs:
            target = op.args[1]
            if isinstance(target, Const) and isinstance(target.value, tuple) and \
                    all(type(n) is int and n >= 0 for n in target.value):
                return _token(target.value)
            if target in self.shape_index:     # broadcast_to(g, np.shape(x)): x's shape
                return self.of(self.shape_index[target])
            return object()
        if facts.reduction == 'axis' and op.args:
            reduced = self._reduced(op)
            if reduced is not None:
                return reduced
        if facts.reduction == 'running' and op.args:
            return _token(self._running(op))
        if elementwise(op) or prim is np.where:
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
        if prim is np.cross and len(op.args) == 2 and not op.kwargs:
            # of 3-vectors along the last axis: the other axes broadcast
            shapes = [self.shape_of(a) for a in op.args]
            if all(shape is not None and shape[-1:] == (3,) for shape in shapes):
                try:
                    return _token(np.broadcast_shapes(*shapes))
                except ValueError:
                    return object()
        if prim is np.einsum and len(op.args) > 1 and isinstance(op.args[0], Const) and \
                isinstance(op.args[0].value, str) and not set(op.kwargs) - {'optimize'}:
            return _token(_einsum_shape(op.args[0].value,
                                        [self.shape_of(a) for a in op.args[1:]]))
        if facts.family == 'matmul' and len(op.args) == 2 and not op.kwargs:
            a, b = (self.of(x) for x in op.args)
            if _known(a) and _known(b):
                product = _matmul_shape if prim is np.matmul else _dot_shape
                return _token(product(_shape(a), _shape(b)))
        return object()


# runtime helpers whose result has their first argument's shape (an array's)
_OF_FIRST = frozenset([helpers._sg_shape_of, helpers._sg_zero_at])


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


def _dot_shape(a, b):
    """The shape of np.dot(a, b), or None where NumPy would refuse: a product with a
    0-d operand, else a sum over a's last axis and b's second-to-last (its last
    when 1-D): matmul's for vectors and matrices, not for stacks."""
    if not a or not b:
        try:
            return tuple(np.broadcast_shapes(a, b))
        except ValueError:
            return None
    k = -2 if len(b) >= 2 else -1
    if a[-1] != b[k]:
        return None
    return a[:-1] + b[:k] + (b[-1:] if len(b) >= 2 else ())


def _einsum_shape(subscripts, shapes):
    """The shape of np.einsum(subscripts, *operands) of these shapes, or None: each
    label's size (1 where every operand has 1: NumPy broadcasts the others), the
    '...' parts broadcast together."""
    try:
        inputs, output = einsum_terms(subscripts)
    except ValueError:
        return None
    if len(inputs) != len(shapes) or any(shape is None for shape in shapes):
        return None
    sizes, ellipses = {}, []
    for term, shape in zip(inputs, shapes):
        tokens = einsum_tokens(term)
        if '...' in tokens:
            at = tokens.index('...')
            after = len(tokens) - at - 1
            if len(shape) < len(tokens) - 1:
                return None
            ellipses.append(shape[at:len(shape) - after])
            dims = list(zip(tokens[:at], shape[:at])) + \
                list(zip(tokens[at + 1:], shape[len(shape) - after:]))
        elif len(tokens) == len(shape):
            dims = list(zip(tokens, shape))
        else:
            return None
        for label, n in dims:
            if n == 1:
                sizes.setdefault(label, 1)
            elif sizes.get(label, 1) in (1, n):
                sizes[label] = n
            else:
                return None
    try:
        ellipsis = tuple(np.broadcast_shapes(*ellipses))
    except ValueError:
        return None
    if ellipsis and '...' not in output:
        return None                     # (NumPy refuses it)
    shape = []
    for token in einsum_tokens(output):
        if token == '...':
            shape.extend(ellipsis)
        elif token in sizes:
            shape.append(sizes[token])
        else:
            return None
    return tuple(shape)


def _stand_in(shape):
    """An array of `shape` that takes one byte: every element is the same."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype=np.bool_), shape, (0,) * len(shape))


def _basic(index):
    """A basic index: ints, slices of ints, None and Ellipsis (alone or in a tuple)."""
    parts = index if type(index) is tuple else (index,)
    return all(p is None or p is Ellipsis or type(p) is int or type(p) is slice and all(
        q is None or type(q) is int for q in (p.start, p.stop, p.step)) for p in parts)


# Rearrangements whose result's dimensions are their argument's (moved, dropped
# where 1, joined); a reshape's, a diagonal's, a repeat's depend on the sizes.
_SIZE_FREE_REARRANGEMENTS = frozenset([
    np.transpose, np.swapaxes, np.moveaxis, np.squeeze, np.expand_dims, np.ravel,
    np.atleast_1d, np.atleast_2d, np.flip, np.fliplr, np.flipud, np.rot90, np.roll,
    np.trace])


# +, - and * of integer scalars are integer scalars (Python's operators, as
# NumPy's ufuncs on ints)
_INTEGER_ARITHMETIC = frozenset([np.add, np.subtract, np.multiply])


def _size_free(index):
    """Does a basic index give a shape that does not depend on the sizes indexed: no
    slice bounds, steps of 1 or -1 only?"""
    parts = index if type(index) is tuple else (index,)
    return all(type(p) is not slice or
               (p.start is None and p.stop is None and p.step in (None, 1, -1)) for p in parts)


def _axis(op):
    axis = axis_operand(op)
    return axis.value if isinstance(axis, Const) else 'unknown'
