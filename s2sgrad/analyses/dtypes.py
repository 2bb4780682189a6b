"""Which values certainly have which dtype, in a specialisation for a call's dtypes.

A call's specialisation knows each argument's dtype (an array's) or type (a
Python or NumPy scalar's).  Each value that follows certainly from them gets
a *sample*: a one-element array of its dtype, a NumPy scalar, or a Python
scalar.  An elementwise ufunc's sample is the ufunc applied to its operands'
samples, so NumPy's own promotion rules decide (a Python float is weak: an
array of float32 times 0.5 stays float32; a NumPy float64 scalar is not).
Python arithmetic on Python scalars gives a weak Python scalar where the
ufunc gives a strong NumPy one: such a sample may stand for a wider dtype
than the value's, never a narrower one (so a result predicted to have its
array operand's dtype has it).  `x.shape` is a tuple of Python ints.
Anything else gets no sample.  The in-place pass (passes/inplace.py) asks it
whether an elementwise result has its operand's dtype.

Only NumPy 2's promotion is followed: under NumPy 1 the dtype of a result can
depend on a scalar's value, so nothing gets a sample there.
"""
import warnings

import numpy as np

from ..ir import prims
from ..ir.nodes import Const, If, Loop, Op, Pack, Slice, Value, walk
from ..ir.primitives import elementwise, info
from ..runtime import helpers
from .leaves import Container, LeafPaths

_SCALAR_TYPES = (bool, int, float, complex, np.float64, np.float32, np.float16,
                 np.complex64, np.complex128)
_NUMPY_2 = int(np.__version__.split('.')[0]) >= 2


def sample_of(arg):
    """A sample standing for an argument of a call (None when it is neither an array
    nor a plain scalar)."""
    if type(arg) is np.ndarray:
        return np.ones(1, arg.dtype)
    if type(arg) in _SCALAR_TYPES:
        return type(arg)(1)
    return None


class Dtypes:
    def __init__(self, ops, samples):
        self.samples = dict(samples) if _NUMPY_2 else {}
        self.leaves = LeafPaths(self.samples)   # params['W1'], model.W: the leaves' samples
        self.taped = {}                 # a tape -> the sample of every value pushed on it
        self.tapes_of = {}              # reversed(tapes) -> the tapes, in order
        self.stands_for = {}            # a tape walked back by a loop -> the tape it was
        self.new_tapes = set()          # tapes made by TAPE_NEW (a nested loop's)
        self.split = {}                 # _sg_split_like's result -> its pieces' dtype
        self.items = {}                 # a list (LIST_NEW, LIST_APPEND) -> its items' sample
        if _NUMPY_2:
            self.add(ops)

    def dtype(self, operand):
        """The dtype of an array value, or None when not known to be an array of one."""
        s = self.sample(operand)
        return s.dtype if isinstance(s, np.ndarray) else None

    def sample(self, operand):
        if isinstance(operand, Const):
            value = operand.value
            if type(value) in _SCALAR_TYPES:
                return value
            return None
        return self.samples.get(operand) if isinstance(operand, Value) else None

    def add(self, ops):
        for op in ops:
            if isinstance(op, Loop):
                self._walked_back(op)
                self._loop(op)
            elif isinstance(op, If):
                self.add(op.then_block.ops)
                self.add(op.else_block.ops)
                for out, rt, re_ in zip(op.outputs, op.then_results, op.else_results):
                    a, b = self.sample(rt), self.sample(re_)
                    if _same_kind(a, b):
                        self.samples[out] = a
            else:
                if op.prim is prims.TAPE_NEW:
                    self.new_tapes.add(op.outputs[0])
                elif op.prim is prims.TAPE_PUSH:
                    self._push(*op.args)
                elif op.prim is prims.TAPE_REVERSED:
                    self.tapes_of[op.outputs[0]] = list(op.args)
                leaves = self.leaves.fact(op)
                for out, leaf in zip(op.outputs, leaves):
                    if leaf is not None and not isinstance(leaf, Container):
                        self.samples[out] = leaf
                if op.prim is prims.UNPACK and len(op.args) == 1 and \
                        self.split.get(op.args[0]) is not None:
                    for out in op.outputs:      # a concatenation's gradient, in pieces
                        self.samples[out] = np.ones(1, self.split[op.args[0]])
                if op.prim is helpers._sg_split_like and len(op.outputs) == 1 and op.args:
                    self.split[op.outputs[0]] = self.dtype(op.args[0])
                if len(op.outputs) == 1:
                    self._note_items(op)
                if len(op.outputs) == 1 and (leaves[0] is None or
                                             isinstance(leaves[0], Container)):
                    s = self._result(op)
                    if s is not None:
                        self.samples[op.outputs[0]] = s

    def _push(self, tape, value):
        """What a tape holds has a sample where every push agrees on one; a loop's tape
        pushed on its enclosing loop's tape of tapes (a nested loop's) stands for
        the values pushed on it (its pushes come before the walk back)."""
        sample = ('tape', value) if value in self.new_tapes else self.sample(value)
        before = self.taped.setdefault(tape, sample)
        if not (before == sample if isinstance(sample, tuple) else _same_kind(before, sample)):
            self.taped[tape] = None

    def _note_items(self, op):
        """A list made or appended to whose items have one dtype (`[state]`,
        `states.append(s)`): an item read by index has it."""
        out = op.outputs[0]
        self.items.pop(out, None)       # (a loop's body followed again)
        if op.prim is prims.LIST_NEW and op.args and isinstance(op.args[0], Pack) and \
                op.args[0].items:
            samples = [self.sample(a) for a in op.args[0].items]
            if all(_same_kind(samples[0], x) for x in samples):
                self.items[out] = samples[0]
        elif op.prim is prims.LIST_APPEND and len(op.args) >= 2 and \
                _same_kind(self.items.get(op.args[0]), self.sample(op.args[1])):
            self.items[out] = self.items[op.args[0]]

    def _walked_back(self, op):
        """A loop over reversed tapes: each target has what its tape holds."""
        tapes = self.tapes_of.get(op.iterable)
        if tapes is None or len(tapes) != len(op.targets):
            return
        for v, tape in zip(op.targets, tapes):
            held = self.taped.get(self.stands_for.get(tape, tape))
            if isinstance(held, tuple):         # a tape of tapes: v is the inner tape
                self.stands_for[v] = held[1]
            elif held is not None:
                self.samples[v] = held

    def _loop(self, op):
        """A carried variable keeps its initial dtype if an iteration gives it back."""
        assumed = {phi: self.sample(init) for phi, init in zip(op.phis, op.inits)}
        items = {phi: self.items.get(init) for phi, init in zip(op.phis, op.inits)}
        while True:
            for phi in op.phis:
                self.samples.pop(phi, None)
                if assumed[phi] is not None:
                    self.samples[phi] = assumed[phi]
                self.items.pop(phi, None)
                if items[phi] is not None:
                    self.items[phi] = items[phi]
            self.add(op.cond_block.ops)
            self.add(op.body.ops)
            broken = [phi for phi, nxt in zip(op.phis, op.nexts)
                      if assumed[phi] is not None and not _same_kind(self.sample(nxt),
                                                                      assumed[phi])]
            unlisted = [phi for phi, nxt in zip(op.phis, op.nexts)
                        if items[phi] is not None and
                        not _same_kind(self.items.get(nxt), items[phi])]
            if not broken and not unlisted:
                break
            for phi in broken:
                assumed[phi] = None
            for phi in unlisted:
                items[phi] = None
        for out, phi in zip(op.outputs, op.phis):
            if phi in self.samples:
                self.samples[out] = self.samples[phi]
            if items[phi] is not None:
                self.items[out] = items[phi]

    def _result(self, op):
        prim, args = op.prim, op.args
        facts = info(prim)
        try:
            if elementwise(op):
                samples = [self.sample(a) for a in args]
                if any(s is None or isinstance(s, tuple) for s in samples):
                    return None
                with np.errstate(all='ignore'):
                    result = prim(*samples)
                if style_of(op) == 'operator' and all(type(x) in (int, float, complex)
                                                       for x in samples):
                    return result.item()    # Python arithmetic on Python numbers: one
                return result
            if facts.family == 'matmul' and len(args) == 2 and not op.kwargs:
                a, b = (self.dtype(x) for x in args)
                return None if a is None or b is None else np.ones(1, np.result_type(a, b))
            if prim is np.einsum and len(args) > 1 and not set(op.kwargs) - {'optimize'}:
                # of arrays: their common dtype (a scalar operand: not followed)
                samples = [self.sample(a) for a in args[1:]]
                if all(isinstance(s, np.ndarray) for s in samples):
                    return np.ones(1, np.result_type(*samples))
                return None
            if prim in (np.concatenate, np.stack) and len(args) <= 2 and \
                    isinstance(args[0], Pack) and args[0].kind in ('tuple', 'list') and \
                    set(op.kwargs) <= {'axis'}:
                items = [self.dtype(a) for a in args[0].items]     # (of arrays: theirs)
                if not items or any(d is None for d in items):
                    return None
                return np.ones(1, np.result_type(*items))
            if not args:
                return None
            if prim is prims.GETITEM and args[0] in self.items and len(args) == 2 and \
                    not isinstance(args[1], (Pack, Slice)) and \
                    not (isinstance(args[1], Const) and type(args[1].value) is slice):
                return self.items[args[0]]      # an item of a list of one dtype
            first = self.dtype(args[0])
            if prim is prims.GETITEM and isinstance(self.sample(args[0]), tuple) and \
                    isinstance(args[1], Const) and isinstance(args[1].value, int):
                return 1                # x.shape[0]
            if facts.same_dtype or prim in (prims.GETITEM, prims.SETITEM) or \
                    prim is getattr and isinstance(args[1], Const) and args[1].value == 'T':
                return None if first is None else np.ones(1, first)
            if (prim is getattr and isinstance(args[1], Const) and args[1].value == 'shape'
                    or prim is np.shape) and first is not None:
                return (1,)             # a tuple of Python ints
            if facts.counts and first is not None:
                return 1
            if prim is np.broadcast_to:
                s = self.sample(args[0])
                return None if s is None else np.ones(1, np.asarray(s).dtype)
            if facts.reduced_dtype is not None and first is not None and \
                    'dtype' not in op.kwargs and 'out' not in op.kwargs:
                return np.ones(1, _reduced(facts.reduced_dtype, first))
            if prim in (helpers._sg_shape_of, helpers._sg_zero_at) and first is not None:
                return np.ones(1, first)
            if prim in (helpers._sg_accumulate, helpers._sg_scatter_add) and len(args) >= 2:
                a, b = (self.dtype(x) for x in args[:2])    # (arrays: their sum's dtype)
                return None if a is None or b is None else np.ones(1, np.result_type(a, b))
            if prim is helpers._sg_cast_like and len(args) == 2:
                s = self.sample(args[1])
                return None if s is None else np.ones(1, np.asarray(s).dtype)
        except (TypeError, ValueError, IndexError):
            return None
        return None


def style_of(op):
    return op.style[0] if isinstance(op.style, tuple) else op.style


def _reduced(rule, dtype):
    """The dtype of a reduction of an array of `dtype` (NumPy's defaults) by a
    reduction whose `reduced_dtype` is `rule` (ir/primitives.py)."""
    if rule == 'same' or dtype.kind in 'fc':
        return dtype
    if rule == 'float':
        return np.dtype(np.float64)
    if dtype.kind == 'u':               # a sum of small integers: the platform's integer
        return np.result_type(dtype, np.uint)
    return np.result_type(dtype, np.int_) if dtype.kind in 'ib' else dtype


def _same_kind(a, b):
    """Do two samples stand for values of one dtype and kind (array or scalar)?"""
    if a is None or b is None:
        return False
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
    return type(a) is type(b)


def may_be_complex(graph, samples):
    """Can the function make complex values (a complex literal, argument or dtype, an
    FFT)?  Then compiler.py checks even an output that depends on the xs to be real
    floats, and the adjoint rewrites that write a gradient into a real array take
    no value of unknown dtype for real (passes/scatters.py)."""
    def complex_const(operand):
        if isinstance(operand, Pack):
            return any(complex_const(item) for item in operand.items)
        return isinstance(operand, Const) and (
            isinstance(operand.value, (complex, np.complexfloating, np.ndarray))
            and np.iscomplexobj(operand.value) or
            isinstance(operand.value, (type, np.dtype, str)) and _is_complex_type(operand.value))
    if any(np.iscomplexobj(s) for s in (samples or {}).values()):
        return True
    for op in walk(graph.body):
        if not isinstance(op, Op):
            continue            # a region: its ops come next
        if getattr(op.prim, '__module__', None) == 'numpy.fft' or \
                any(complex_const(a) for a in list(op.args) + list(op.kwargs.values())):
            return True
    return False


def _is_complex_type(dtype):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')     # (deprecated aliases: 'a' is a dict key)
            return np.issubdtype(np.dtype(dtype), np.complexfloating)
    except Exception:       # (NumPy's parser raises SyntaxError on 'i,j->')
        return False        # not a dtype: an einsum subscript, a mode, a class
