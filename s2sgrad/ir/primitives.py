"""What the compiler knows about each primitive: one `PrimInfo` record per callable.

A *primitive* is anything an `Op` calls: a NumPy function or ufunc, a builtin,
a runtime helper (`_sg_unbroadcast`), or one of the compiler's own specials
(`prims.GETITEM`, `prims.SETITEM`, ...; prims.py defines those objects, this
module describes them like any other).  Every analysis and pass asks
`info(prim)` instead of keeping a set of its own, so a fact is stated once.

Adding a primitive
------------------
1. Give it a reverse rule in `rules/` (`@register_gradient(np.foo)`) or mark it
   constant (`register_constant`).  Most primitives need nothing more: a
   callable without a record gets `DEFAULT` (a ufunc: `UFUNC_DEFAULT`), which
   claims nothing -- its result may share memory with its arguments, it reads
   every argument by value, it has no effect, its result is folded into its
   reader's expression.
2. Add a record below only for the facts that differ from the default, e.g.

       _add(np.copy, methods=('copy',), fresh=True, same_shape=True, same_dtype=True)

   says that `x.copy()` means np.copy, a new array of its argument's shape and
   dtype.  Each field says which part of the compiler reads it:

Family and spellings (the frontend, peephole)
  family        what the members of one family share (np.max and np.amax are
                'max'; np.matmul, np.dot and `@` are 'matmul'): what treats a
                family alike asks for it (analyses/shapes.py and dtypes.py:
                'matmul'; ad/invariance.py: 'max').  Members of a family differ
                only in their spellings (tests/test_primitives.py checks it).
  methods       array methods that mean this callable (`x.sum()` is np.sum):
                the frontend's METHODS table is `METHODS` below.
  attributes    array attributes that mean it (`x.T` is np.transpose).
  method        the array method generated code may write for a call in a shape
                specialisation (`z.max(axis=1)` for np.max: skips NumPy's
                Python-level dispatch); passes/shaped.py.
  math_twin     the math-module function that agrees with it on Python floats
                wherever it returns, to an ulp or two (math.tanh for np.tanh):
                a float specialisation calls it; passes/floats.py.  Where
                it raises (math.log(-1.0), math.exp(1000.0)) NumPy gives nan
                or inf with a warning: the API then runs the call again on
                np.float64, NumPy's own code (api.GradFunction).

Shapes and dtypes (analyses/shapes.py, analyses/dtypes.py)
  reduction     'axis': reduces over `axis` (args[1] or axis=) with keepdims=;
                its result's shape is computed from them (and it is a scalar
                with neither).  'running': a running reduction along `axis`
                (np.cumsum): the argument's shape, flattened where axis is
                None.  (Also passes/peephole.py: an 'axis' reduction makes a
                new array.)
  axis          the position of its `axis` parameter (also passed as axis=): a
                static parameter, read with `axis_operand(op)`.  Reductions
                also take keepdims= (a keyword only in what the analyses read).
  reduced_dtype the dtype of its result from its argument's: 'same' (max, min),
                'float' (mean: float64 for integers), 'accumulate' (sum, prod,
                cumsum, cumprod: integers widen to the platform's integer).
  same_shape    its result has its first argument's shape.
  shape_of      its result has the shape of its argument at this position.
  same_dtype    its result has its first argument's dtype.
  rearranges    it only rearranges or regroups its argument's elements (a view,
                or a copy of at most one byte per element of the stand-in), so
                its result's shape is its own on a stand-in of the argument's
                shape.
  counts        its result is a Python int read off its argument (len, ndim).
  scalar_cast   of a scalar, it gives a scalar (float(x), np.float32(x)).

Memory (passes/inplace.py, analyses/aliases.py)
  view          its result may be a view of its first argument (writing into the
                argument shows in the result): the in-place pass follows it.
  fresh         its result is an array of its own, never the memory of an
                argument: the in-place pass may write into it.  Ufuncs are.
  shape_only    the positions of arguments it reads only for their shape (or
                for which memory they are, never their data): a write into such
                an argument after the op need not copy.  Read by the in-place
                pass and by what the AD saves on a loop's tape (ad/tape.py).
  commutative   an elementwise op whose result may be written into either
                operand (np.add, np.multiply).
  shares        its result may share memory with its first argument in a way a
                write cannot be followed through: how a refusal names it ('a
                reshape'); the lowering's alias analysis refuses writes through
                it.  (np.transpose and indexing are followed: no `shares`.)
  same_object   it returns its first argument itself (two names, one object).

Effects (ir/effects.py, passes/simplify.py)
  writes        the parameter of a NumPy function that it writes into
                (np.fill_diagonal writes `a`): ir/effects.py lowers the call to
                its functional form plus a write, or refuses it; dead code keeps
                any op of such a function.
  effect        the op does something besides its result (print, assert, a
                tape's push and pop): dead code never removes it.

Reverse mode (ad/)
  tape          it moves values along a loop's tape (push, pop, walking it
                back): no gradient flows through it, but activity does
                (ad/activity.py).
  sequence_gradient  a gradient helper whose result is a list or tuple when the
                value it is the gradient of is one: its terms add entry by entry
                (ad/terms.py).
  one_result_form  a function with several results but a call form that returns
                one array (np.linalg.svd(a, compute_uv=False)): ad/sweep.py.

Folding (passes/fold.py: the plan codegen and the in-place pass read)
  folds         False: its result is never computed into its reader's
                expression (an unpack, a gate, a tape, a write: a statement of
                its own).

The tables this replaced disagreed in places; each disagreement is settled
(the shapes, dtypes and memory of np.var, np.std, np.cumsum, np.atleast_3d,
np.copy, np.flip and the other views: tests/test_spellings.py and
tests/test_inplace_ops.py), so members of a family, and the spellings of one
computation, are treated alike by every reader.
"""
import dataclasses
import math

import numpy as np

from ..ad import interface
from ..runtime import construction, containers, gradients_of, helpers
from ..runtime import loops as loop_helpers
from ..runtime import online, revolve, tangents
from . import prims
from .nodes import Const


@dataclasses.dataclass(frozen=True)
class PrimInfo:
    """The facts about one primitive (the module's docstring says what each means)."""
    name: str = ''
    # family and spellings
    family: str = None
    methods: tuple = ()
    attributes: tuple = ()
    method: str = None
    math_twin: object = None
    # shapes and dtypes
    reduction: str = None           # None | 'axis' | 'running'
    axis: int = None
    reduced_dtype: str = None       # None | 'same' | 'float' | 'accumulate'
    same_shape: bool = False
    shape_of: int = None
    same_dtype: bool = False
    rearranges: bool = False
    counts: bool = False
    scalar_cast: bool = False
    # memory
    view: bool = False
    fresh: bool = False
    shape_only: frozenset = frozenset()
    commutative: bool = False
    shares: str = None
    same_object: bool = False
    # effects
    writes: str = None
    effect: bool = False
    # reverse mode
    tape: bool = False
    sequence_gradient: bool = False
    one_result_form: bool = False
    # codegen
    folds: bool = True


DEFAULT = PrimInfo()
UFUNC_DEFAULT = PrimInfo(fresh=True)    # a ufunc's result is always a new array

RECORDS = {}


def _add(*prims_, **facts):
    """Record `facts` for each callable (aliases that are one object: once).  A
    ufunc's result is always a new array: it is fresh."""
    for prim in prims_:
        record = PrimInfo(name=getattr(prim, '__name__', repr(prim)),
                          **{'fresh': isinstance(prim, np.ufunc), **facts})
        if prim in RECORDS and RECORDS[prim] != record:
            if record.family is not None and RECORDS[prim].family == record.family:
                continue        # (np.amax is np.max in NumPy 1: its first record)
            raise ValueError(f'two records for {prim!r}')
        RECORDS[prim] = record


def info(prim):
    """The record of `prim` (a default one for a callable without a record)."""
    try:
        found = RECORDS.get(prim)
    except TypeError:           # an unhashable callable: nothing is known of it
        return DEFAULT
    if found is not None:
        return found
    return UFUNC_DEFAULT if isinstance(prim, np.ufunc) else DEFAULT


def axis_operand(op):
    """The operand an op of a callable with an `axis` parameter passes for it (the
    constant None where it passes none)."""
    position = info(op.prim).axis
    if len(op.args) > position:
        return op.args[position]
    return op.kwargs.get('axis', Const(None))


def viewed_operand(op):
    """The operand whose memory `op`'s result may be a view of, or None: a view's
    first argument; the one operand of np.einsum, whose result is then a view of it
    ('ij->ji', 'ii->i') though np.einsum is no view of its first argument (the
    subscripts).  The in-place pass follows it."""
    if op.prim is np.einsum:
        return op.args[1] if len(op.args) == 2 else None
    return op.args[0] if info(op.prim).view and op.args else None


def einsum_terms(subscripts):
    """np.einsum's subscripts as ([each operand's term], the output's term); the
    output of the implicit form ('ij,jk') is its labels used once, in order, after
    '...' where an operand has it."""
    spec = subscripts.replace(' ', '')
    if '->' in spec:
        inputs, output = spec.split('->')
        return inputs.split(','), output
    inputs = spec.split(',')
    letters = [c for term in inputs for c in term if c != '.']
    output = ''.join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return inputs, '...' + output if any('...' in term for term in inputs) else output


def einsum_tokens(term):
    """'i...jk' -> ['i', '...', 'j', 'k']."""
    if '...' not in term:
        return list(term)
    head, tail = term.split('...')
    return list(head) + ['...'] + list(tail)


def fresh_result(op):
    """Is `op`'s result an array of its own (`fresh`)?  So is np.einsum's of several
    operands (without out=)."""
    return info(op.prim).fresh or \
        op.prim is np.einsum and len(op.args) > 2 and 'out' not in op.kwargs


def elementwise(op):
    """Does `op` apply a NumPy ufunc elementwise: one result, every operand
    positional (not matmul, a ufunc in name only)?"""
    prim = op.prim
    return isinstance(prim, np.ufunc) and prim is not np.matmul and prim.nout == 1 and \
        prim.nin == len(op.args) and not op.kwargs


# ---- reductions -----------------------------------------------------------------------
# (np.amax is written `.max` in generated code as np.max is: one family)
for _prim, _family, _dtype in ((np.sum, 'sum', 'accumulate'), (np.prod, 'prod', 'accumulate'),
                               (np.mean, 'mean', 'float'), (np.max, 'max', 'same'),
                               (np.amax, 'max', 'same'), (np.min, 'min', 'same'),
                               (np.amin, 'min', 'same')):
    _add(_prim, family=_family, methods=(_family,) if _prim.__name__ == _family else (),
         method=_family, reduction='axis', axis=1, reduced_dtype=_dtype, fresh=True)
# (np.var and np.std: their dtype is real where the argument is complex, which no
# `reduced_dtype` says: not known to dtypes)
_add(np.var, family='var', methods=('var',), method='var', reduction='axis', axis=1,
     fresh=True)
_add(np.std, family='std', methods=('std',), method='std', reduction='axis', axis=1,
     fresh=True)
for _prim, _family in ((np.cumsum, 'cumsum'), (np.cumprod, 'cumprod')):
    _add(_prim, family=_family, methods=(_family,), method=_family, reduction='running',
         axis=1, reduced_dtype='accumulate', fresh=True)

# ---- products -------------------------------------------------------------------------
# (shapes computes np.dot's result shape by its own rule: of stacks it is not matmul's;
# of vectors and matrices a shape specialisation writes it `@`: passes/canonical.py)
_add(np.matmul, family='matmul', fresh=True)
_add(np.dot, family='matmul', methods=('dot',), fresh=True)
_add(np.outer, family='outer', fresh=True)
_add(np.add, commutative=True, fresh=True)
_add(np.multiply, commutative=True, fresh=True)

# ---- views and rearrangements ---------------------------------------------------------
_REARRANGE = dict(view=True, rearranges=True, same_dtype=True)
_add(np.transpose, methods=('transpose',), attributes=('T',), **_REARRANGE)
_add(np.swapaxes, methods=('swapaxes',), shares='np.swapaxes', **_REARRANGE)
_add(np.moveaxis, shares='np.moveaxis', **_REARRANGE)
_add(np.squeeze, methods=('squeeze',), shares='a squeeze', **_REARRANGE)
_add(np.expand_dims, shares='np.expand_dims', **_REARRANGE)
_add(np.ravel, methods=('ravel', 'flatten'), shares='.ravel()', **_REARRANGE)
_add(np.atleast_1d, shares='np.atleast_1d', **_REARRANGE)
_add(np.atleast_2d, shares='np.atleast_2d', **_REARRANGE)
_add(np.atleast_3d, shares='np.atleast_3d', **_REARRANGE)
# (np.reshape: shapes runs it on a stand-in itself, where its target shape allows)
_add(np.reshape, methods=('reshape',), view=True, same_dtype=True, shares='a reshape')
_add(np.diagonal, methods=('diagonal',), view=True, rearranges=True, shares='a diagonal')
_add(np.broadcast_to, view=True, shares='np.broadcast_to')
_add(np.asarray, view=True, shares='np.asarray')
_add(np.real, attributes=('real',), view=True, shares='.real')
_add(np.imag, attributes=('imag',), view=True, shares='.imag')
# (views the alias analysis cannot follow: the in-place pass must not write into
# their argument while they are read)
for _prim in (np.flip, np.fliplr, np.flipud, np.rot90):
    _add(_prim, view=True, rearranges=True, shares='np.' + _prim.__name__)
for _prim in (np.asanyarray, np.ascontiguousarray, np.asfortranarray, np.diag, np.split,
              np.array_split, np.hsplit, np.vsplit, np.dsplit):
    _add(_prim, view=True, shares='np.' + _prim.__name__)
_add(np.trace, methods=('trace',), rearranges=True)
_add(np.repeat, methods=('repeat',), rearranges=True)
_add(np.tile, np.roll, rearranges=True)

# ---- new arrays -----------------------------------------------------------------------
for _prim in (np.zeros, np.ones, np.empty, np.full, np.eye, np.identity, np.arange,
              np.linspace, np.full_like, np.array, np.concatenate, np.stack):
    _add(_prim, fresh=True)
for _prim in (np.zeros_like, np.ones_like, np.empty_like):
    _add(_prim, fresh=True, shape_only=frozenset({0}))
_add(np.copy, methods=('copy',), fresh=True, same_shape=True, same_dtype=True)
_add(np.astype, methods=('astype',), fresh=True)

# ---- other array methods (spellings only) ---------------------------------------------
_add(np.clip, methods=('clip',))
_add(np.conjugate, methods=('conj', 'conjugate'))
_add(np.round, methods=('round',))
for _name in ('argmax', 'argmin', 'argsort', 'any', 'all', 'nonzero', 'take'):
    _add(getattr(np, _name), methods=(_name,))

# ---- what is read off an array --------------------------------------------------------
_add(np.shape, attributes=('shape',), shape_only=frozenset({0}))
_add(np.ndim, attributes=('ndim',), counts=True, shape_only=frozenset({0}))
_add(np.size, attributes=('size',), counts=True, shape_only=frozenset({0}))
_add(len, counts=True, shape_only=frozenset({0}))
_add(getattr, shape_only=frozenset({0}))
_add(float, scalar_cast=True)
for _prim in (np.float64, np.float32, np.float16):
    _add(_prim, scalar_cast=True)

# ---- float specialisations: math twins ------------------------------------------------
# (within an ulp or two of NumPy's own scalar functions, sqrt exactly; not np.log1p,
# np.log10: they differ more often, at 2.0 already)
for _prim, _twin in ((np.sin, math.sin), (np.cos, math.cos), (np.tanh, math.tanh),
                     (np.arctan, math.atan), (np.fabs, math.fabs), (np.exp, math.exp),
                     (np.log, math.log), (np.sqrt, math.sqrt)):
    _add(_prim, math_twin=_twin, fresh=True)

# ---- effects --------------------------------------------------------------------------
# NumPy functions that write into an argument (ir/effects.py lowers or refuses them).
# (np.nan_to_num writes only with copy=False, but dead code keeps every call of it;
# np.random.shuffle is a random generator's shuffle to ir/effects.py, so importing
# this module does not import numpy.random)
for _prim, _param in ((np.fill_diagonal, 'a'), (np.put, 'a'), (np.putmask, 'a'),
                      (np.copyto, 'dst'), (np.place, 'arr'), (np.nan_to_num, 'x'),
                      (np.put_along_axis, 'arr')):
    _add(_prim, writes=_param)
_add(print, effect=True)
_add(helpers._sg_check_output, effect=True)

# ---- the compiler's specials ----------------------------------------------------------
_add(prims.GETITEM, view=True)
_add(prims.ALIAS, view=True, same_shape=True, same_dtype=True, shares='an alias')
_add(prims.INPLACE_ADD, same_shape=True, same_dtype=True, folds=False)
_add(prims.UNPACK, folds=False)
_add(prims.GATE, folds=False)
_add(prims.SETITEM, folds=False)
_add(prims.LIST_NEW, fresh=True, folds=False)
_add(prims.LIST_APPEND, folds=False)
_add(prims.TAPE_NEW, folds=False)
_add(prims.TAPE_PUSH, tape=True, effect=True)
_add(prims.TAPE_POP, tape=True, effect=True)
_add(prims.TAPE_REVERSED, tape=True)
_add(prims.TAPE_COPY, tape=True, folds=False)
_add(prims.ASSERT, effect=True)
_add(prims.RAISE, effect=True)
_add(interface.stop_gradient, same_shape=True, same_dtype=True, shares='stop_gradient')

# ---- runtime helpers ------------------------------------------------------------------
_add(revolve._sg_revolve_offer, effect=True)     # (the schedule keeps a copy of the state)
_add(online._sg_online_offer, effect=True)
_add(online._sg_online_steps, effect=True)       # (the loop has ended: the plan is made)
_add(helpers._sg_iterable, view=True, same_shape=True, same_dtype=True)  # (the argument)
_add(helpers._sg_bound, view=True, same_shape=True, same_object=True)
_add(helpers._sg_zeros_like, same_shape=True, same_dtype=True, shape_only=frozenset({0}))
_add(helpers._sg_ones_like, same_shape=True, same_dtype=True, shape_only=frozenset({0}))
_add(helpers._sg_broadcast_like, shape_of=1, same_dtype=True, shape_only=frozenset({1}))
_add(tangents._sg_zero_tangent, same_shape=True, same_dtype=True, shape_only=frozenset({0}))
_add(helpers._sg_zero_at, fresh=True)
_add(helpers._sg_scatter_add, fresh=True, shape_only=frozenset({1}), sequence_gradient=True)
for _prim in (helpers._sg_split_like, helpers._sg_unstack, helpers._sg_list_fill,
              helpers._sg_list_entries, helpers._sg_accumulate, loop_helpers._sg_repack,
              containers._sg_items_grad, containers._sg_values_grad,
              containers._sg_dict_of_grad, containers._sg_dict_entries,
              containers._sg_get, containers._sg_get_grad, containers._sg_default_grad,
              containers._sg_replaced, containers._sg_entry, containers._sg_entry_grad,
              containers._sg_copy, containers._sg_without, containers._sg_items_grad_grad,
              containers._sg_values_grad_grad, containers._sg_zero_entry, containers._sg_tuple,
              containers._sg_sequence_like):
    _add(_prim, sequence_gradient=True)
for _prim, _k in ((helpers._sg_unbroadcast, 1), (helpers._sg_cast_like, 1),
                  (gradients_of._sg_gradient_of, 1), (helpers._sg_shape_of, 0),
                  (helpers._sg_written_grad, 2), (helpers._sg_if_inexact, 1),
                  (helpers._sg_last_writes, 0)):
    _add(_prim, shape_only=frozenset({_k}))
# (these two look at which memory their arguments are, never their data)
_add(helpers._sg_is_view, shape_only=frozenset({0, 1}))
_add(helpers._sg_is_array, shape_only=frozenset({0}))
for _name, _k in (('_sg_repeat_sum', 1), ('_sg_tile_sum', 1), ('_sg_diag_adjoint', 1),
                  ('_sg_diagonal_adjoint', 1), ('_sg_unpad', 1), ('_sg_split_stacked', 1),
                  ('_sg_untake_along_axis', 3)):
    if hasattr(construction, _name):
        _add(getattr(construction, _name), shape_only=frozenset({_k}))

_add(np.linalg.svd, one_result_form=True)


# ---- spellings, derived ---------------------------------------------------------------
# Array methods and attributes and the callables they mean (the array is the first
# argument): the frontend's METHODS and ATTRIBUTES.
METHODS = {name: prim for prim, record in RECORDS.items() for name in record.methods}
ATTRIBUTES = {name: prim for prim, record in RECORDS.items() for name in record.attributes}

del _prim, _family, _dtype, _k, _name, _param, _twin, _REARRANGE
