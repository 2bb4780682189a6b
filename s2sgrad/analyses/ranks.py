"""How many axes each value has, where its shape is not known but its rank is.

A call's specialisation knows the shapes of the arguments, so the shape
classes (analyses/shapes.py) know the shape of most values; a size known only
when the code runs (`np.zeros((nbones + 3, 3))`, nbones an int argument; a
concatenation; an index array's reach) leaves a value without one, yet its
rank follows from the code alone, for every size.  `Ranks` computes it where
it follows certainly: from a known shape, else from the op -- a construction
from a shape tuple or like an array, basic indexing (integers, slices, None, `...`) and
indexing by arrays of rank 1 or constant integer or boolean arrays, a write into an
array (its base's), elementwise ops (the largest operand's), products,
reductions with a constant axis, transposes, reshapes and broadcasts to a tuple, stacks and
concatenations of items listed in the code or of run-time lists (the rank
their items agree on, through appends, writes and loops), np.array of nested
lists written in the code, einsum's output, and the values
branches and loops carry (where every path agrees).  None elsewhere.  Ranks
depend on no size, so they hold for every call the specialisation serves.
The batch rules of forward mode (ad/batching.py) read them.
"""
import numpy as np

from ..ir import prims
from ..ir.nodes import Const, If, Loop, Pack, Slice, Value, values_in
from ..ir.primitives import axis_operand, einsum_terms, einsum_tokens, elementwise, info

# the items of a list that has none yet: any rank
ANY = 'any'


def _join(a, b):
    """The rank of the items of a list holding items of ranks a and b (ANY: none)."""
    if a is ANY:
        return b
    if b is ANY or a == b:
        return a
    return None


# construction from a shape: its first argument (an int or a tuple of them)
_FROM_SHAPE = frozenset([np.zeros, np.ones, np.empty, np.full])
_LISTS = frozenset([prims.LIST_NEW, prims.LIST_APPEND])
_LIKE = frozenset([np.zeros_like, np.ones_like, np.empty_like, np.full_like])


class Ranks:
    def __init__(self, ops, shapes, dtypes=None):
        self.shapes = shapes            # analyses.shapes.ShapeClasses of the same ops
        self.dtypes = dtypes            # analyses.dtypes.Dtypes of the same ops, or None
        self.ranks = {}
        self.items = {}                 # a run-time list -> the rank of its items, or ANY
        self.lengths = {}               # a shape tuple (np.shape(x), x.shape + (1,)) -> its length
        self.ints = set()               # the results of int(...)
        self.add(ops)

    def is_integer(self, operand):
        """Is an operand certainly an integer scalar: a counter (the shape classes'), or
        a scalar whose dtype sample is an integer (an int argument, an element of an
        integer array: a sample may stand for a wider dtype than its value's, never
        for an integer where the value is a boolean)?"""
        if self.shapes.is_integer(operand) or isinstance(operand, Value) and operand in self.ints:
            return True
        sample = self.dtypes.sample(operand) if self.dtypes is not None else None
        return isinstance(operand, Value) and self.of(operand) == 0 and \
            isinstance(sample, (int, np.integer, np.ndarray)) and \
            not isinstance(sample, bool) and np.asarray(sample).dtype.kind in 'iu'

    def of(self, operand):
        """The rank of an operand, or None when it is not known."""
        rank = self._rank(operand)
        return None if rank is ANY else rank

    def _rank(self, operand):
        """The rank of an operand, None when it is not known, ANY while it is an item of
        a list that has none yet (in a loop appending to it: assumed to agree, until
        an item's rank is found)."""
        if isinstance(operand, Const):
            value = operand.value
            if isinstance(value, (int, float, complex, bool, np.number, np.bool_)):
                return 0
            return value.ndim if type(value) is np.ndarray else None
        if not isinstance(operand, Value):
            return None
        shape = self.shapes.shape_of(operand)
        if isinstance(shape, tuple):
            return len(shape)
        return self.ranks.get(operand)

    def add(self, ops):
        for op in ops:
            if isinstance(op, Loop):
                self._loop(op)
            elif isinstance(op, If):
                self.add(op.then_block.ops)
                self.add(op.else_block.ops)
                for out, a, b in zip(op.outputs, op.then_results, op.else_results):
                    self._note(out, self._agreed(a, b))
                    self._note_items(out, _join(self.items[a], self.items[b])
                                     if self._is_list(a) and self._is_list(b) else None)
            elif op.prim in _LISTS or op.prim is prims.SETITEM and self._is_list(op.args[0]):
                self._note_items(op.outputs[0], self._list(op))
            elif len(op.outputs) == 1:
                self._note(op.outputs[0], self._result(op))
                self._note_length(op)
            elif op.prim is prims.UNPACK and len(op.args) == 1:
                rank = self._rank(op.args[0])      # (an array's rows; a tuple has no rank)
                for out in op.outputs:
                    self._note(out, rank if rank is ANY else rank - 1 if rank else None)

    def _note(self, value, rank):
        if rank is None:
            self.ranks.pop(value, None)     # (a loop's body classified again)
        else:
            self.ranks[value] = rank

    def _note_length(self, op):
        """np.shape(x) (x.shape) has x's rank as its length; a sum of such tuples and
        tuples written in the code, theirs added up."""
        out = op.outputs[0]
        if op.prim is np.shape and len(op.args) == 1:
            length = self.of(op.args[0])
        elif op.prim is np.add and len(op.args) == 2 and not op.kwargs:
            lengths = [self.lengths.get(a) if isinstance(a, Value) else
                       len(a.value) if isinstance(a, Const) and type(a.value) is tuple else None
                       for a in op.args]
            length = None if None in lengths else sum(lengths)
        else:
            length = None
        if length is None:
            self.lengths.pop(out, None)
        else:
            self.lengths[out] = length

    def _shape_length(self, shape):
        """The number of dimensions a shape operand gives: an int's one, a tuple's length."""
        if isinstance(shape, Pack) and shape.kind == 'tuple':
            return len(shape.items)
        if isinstance(shape, Const):
            if type(shape.value) is tuple:
                return len(shape.value)
            return 1 if type(shape.value) is int else None
        return self.lengths.get(shape) if isinstance(shape, Value) else None

    def _is_list(self, operand):
        return isinstance(operand, Value) and operand in self.items

    def _note_items(self, value, rank):
        if rank is None:
            self.items.pop(value, None)
        else:
            self.items[value] = rank

    def _list(self, op):
        """The rank of the items of a run-time list made, appended to or written into."""
        if op.prim is prims.LIST_NEW:
            items = op.args[0] if op.args else None
            if not (isinstance(items, Pack) and items.kind in ('list', 'tuple')):
                return None
            rank = ANY
            for item in items.items:
                rank = _join(rank, self._rank(item))
            return rank
        base, value = op.args[0], op.args[2 if op.prim is prims.SETITEM else 1]
        if not self._is_list(base):
            return None
        return _join(self.items[base], self._rank(value))

    def _agreed(self, a, b):
        return _join(self._rank(a), self._rank(b))

    def _loop(self, op):
        """A carried value has its value's rank before the loop where every iteration
        gives back the same (found by classifying the body again until none
        changes)."""
        ranks = {phi: self._rank(init) for phi, init in zip(op.phis, op.inits)}
        items = {phi: self.items[init] if self._is_list(init) else None
                 for phi, init in zip(op.phis, op.inits)}
        while True:             # (ends: each round makes a rank None, or an ANY a rank)
            for phi in op.phis:
                self._note(phi, ranks[phi])
                self._note_items(phi, items[phi])
            self.add(op.cond_block.ops)
            self.add(op.body.ops)
            changed = False
            for phi, nxt in zip(op.phis, op.nexts):
                joined = _join(ranks[phi], self._rank(nxt))
                if joined != ranks[phi]:
                    ranks[phi], changed = joined, True
                joined = _join(items[phi], self.items[nxt]) \
                    if items[phi] is not None and self._is_list(nxt) else None
                if joined != items[phi]:
                    items[phi], changed = joined, True
            if not changed:
                break
        for out, phi in zip(op.outputs, op.phis):
            self._note(out, self._rank(phi))
            self._note_items(out, self.items.get(phi))

    # ---- the rank of an op's result -----------------------------------------------
    def _result(self, op):
        prim, args = op.prim, op.args
        facts = info(prim)
        if any(self._rank(v) is ANY for a in op.operands() for v in values_in(a)):
            return ANY              # (read from a list with no item yet: assumed to agree)
        if prim in (int, float, complex, bool) and len(args) == 1:
            if prim is int:
                self.ints.add(op.outputs[0])
            return 0                # (Python's scalars)
        if facts.same_shape and args:
            return self._rank(args[0])
        if facts.shape_of is not None and len(args) > facts.shape_of:
            return self._rank(args[facts.shape_of])
        if prim is prims.SETITEM:
            return self._rank(args[0])
        if prim is prims.GETITEM and len(args) == 2 and self._is_list(args[0]):
            rank = self.items[args[0]]      # (a list's item)
            return rank if self.is_integer(args[1]) else None
        if prim is prims.GETITEM and len(args) == 2:
            return self._indexed(*args)
        if elementwise(op) or prim is np.where:
            ranks = [self._rank(a) for a in args]
            return max(ranks) if ranks and None not in ranks else None
        if facts.family == 'matmul' and len(args) == 2 and not op.kwargs:
            return _product(prim, self._rank(args[0]), self._rank(args[1]))
        if prim in _FROM_SHAPE and args:
            return 1 if self._rank(args[0]) == 0 else self._shape_length(args[0])
        if prim in _LIKE and args and 'shape' not in op.kwargs:
            return self._rank(args[0])
        if prim in (np.eye, np.identity):
            return 2
        if facts.reduction == 'axis' and args:
            return self._reduced(op)
        if prim is np.transpose and args:
            return self._rank(args[0])
        if prim is np.ravel and len(args) == 1:
            return 1
        if prim is np.broadcast_to and len(args) == 2 and not op.kwargs:
            return 1 if self._rank(args[1]) == 0 else self._shape_length(args[1])
        if prim is np.reshape and len(args) >= 2 and not op.kwargs:
            if len(args) > 2:
                return len(args) - 1
            return 1 if self._rank(args[1]) == 0 else self._shape_length(args[1])
        if prim in (np.stack, np.concatenate) and args and self._is_list(args[0]):
            rank = self.items[args[0]]      # (a run-time list)
            return None if rank in (None, ANY) else rank + 1 if prim is np.stack else rank
        if prim in (np.stack, np.concatenate) and args and \
                isinstance(args[0], Pack) and args[0].kind in ('list', 'tuple'):
            ranks = {self._rank(item) for item in args[0].items}
            if len(ranks) != 1 or None in ranks or not args[0].items:
                return None
            (rank,) = ranks
            return rank + 1 if prim is np.stack else rank
        if prim in (np.array, np.asarray) and len(args) == 1 and set(op.kwargs) <= {'dtype'}:
            return self._nested(args[0])
        if prim is np.einsum and args and isinstance(args[0], Const) and \
                isinstance(args[0].value, str):
            try:
                _, output = einsum_terms(args[0].value)
            except ValueError:
                return None
            tokens = einsum_tokens(output)
            return len(tokens) if '...' not in tokens else None
        return None

    def _nested(self, operand):
        """The rank of np.array(operand): a list or tuple written in the code one more
        than its items' (when they agree), else the operand's own."""
        if isinstance(operand, Pack) and operand.kind in ('list', 'tuple'):
            ranks = {self._nested(item) for item in operand.items}
            if len(ranks) != 1 or None in ranks:
                return None
            return ranks.pop() + 1
        return self._rank(operand)

    def _reduced(self, op):
        rank = self._rank(op.args[0])
        axis = axis_operand(op)
        keepdims = op.kwargs.get('keepdims', Const(False))
        if rank is None or len(op.args) > 2 or set(op.kwargs) - {'axis', 'keepdims'} or \
                not isinstance(axis, Const) or not isinstance(keepdims, Const):
            return None
        if keepdims.value:
            return rank
        if axis.value is None:
            return 0
        axes = axis.value if isinstance(axis.value, tuple) else (axis.value,)
        if not all(type(a) is int and -rank <= a < rank for a in axes):
            return None
        return rank - len({a % rank for a in axes})

    def _indexed(self, base, index):
        """base[index]: integers take an axis away, None adds one, slices keep theirs;
        arrays of rank 1 (integer or boolean: the same) and constant integer arrays
        as NumPy's advanced indices, together giving their broadcast rank."""
        rank = self._rank(base)
        if rank is None:
            return None
        items = index.items if isinstance(index, Pack) and index.kind == 'index' else \
            [Const(i) for i in index.value] if isinstance(index, Const) and \
            type(index.value) is tuple else [index]
        taken, added, arrays = 0, 0, []
        for item in items:
            if isinstance(item, Slice):
                taken += 1
                added += 1
                continue
            value = item.value if isinstance(item, Const) else None
            if isinstance(item, Const) and value is None:
                added += 1
            elif isinstance(item, Const) and value is Ellipsis:
                continue
            elif isinstance(item, Const) and isinstance(value, slice):
                taken += 1
                added += 1
            elif isinstance(item, Const) and type(value) is int or self.is_integer(item):
                taken += 1
                arrays.append(0)
            elif isinstance(item, Const) and type(value) is np.ndarray and \
                    value.dtype.kind in 'iu':
                taken += 1
                arrays.append(value.ndim)
            elif isinstance(item, Const) and type(value) is np.ndarray and \
                    value.dtype.kind == 'b' and value.ndim:
                taken += value.ndim         # (a mask takes its axes, gives one)
                arrays.append(1)
            elif isinstance(item, Value) and self._rank(item) == 1:
                taken += 1                  # (a boolean vector takes one axis too)
                arrays.append(1)
            else:
                return None
        if sum(1 for item in items if isinstance(item, Const) and item.value is Ellipsis) > 1 \
                or taken > rank:
            return None
        if any(arrays):
            # (apart from one another, the advanced axes go first: the same count)
            return rank - taken + added + max(arrays)
        return rank - taken + added


def _product(prim, a, b):
    if a is None or b is None:
        return None
    if prim is np.dot and (a == 0 or b == 0):
        return max(a, b)
    if a == 0 or b == 0:
        return None                         # (matmul refuses scalars)
    if prim is np.dot:
        return a - 1 + (b - 1 if b >= 2 else 0)
    if a == 1 and b == 1:
        return 0
    if a == 1 or b == 1:
        return max(a, b) - 1
    return max(a, b)
