"""Tangents batched along a leading axis: one forward-mode pass for many seeds.

`batched(graph, tangents, shapes, lowering_for)` rewrites the forward-mode code
of a graph (compiler.jvp_graph) so that the tangent parameters hold a stack of
tangents, shape (n,) + x.shape: every value computed from them carries the
same leading axis, and the output's tangent is the n tangents at once (as
JAX's vmap with batch dimension 0; jacfwd seeds it with the n one-hot seeds).

Each op that reads a batched value is rewritten by a batch rule, which needs
the ranks of the unbatched values (a call's specialisation: analyses.shapes):

* elementwise ufuncs (and np.where): a batched operand of lower rank than the
  result gets unit axes after its leading one, so NumPy's broadcasting, which
  aligns trailing axes, aligns the rest as it did unbatched;
* np.cross of 3-vectors (no options): as an elementwise op (it broadcasts
  every axis but the last);
* matmul and dot (operands of rank 1 or 2 for dot): the batch axis is one more
  leading (stack) axis of the batched factor, a vector factor on the right
  made a column (and the result's unit axis dropped);
* np.sum and np.mean: the axis moved past the batch axis (None: every axis
  but it);
* reshape and ravel: the batch axis kept in front; transpose: kept first;
* indexing by constants, slices, None, `...` and integer scalars: a full
  slice `:` in front of the index;
* a write into an array, `x[index] = v`: the same, x made batched where only v
  is; a batched v written at integers, slices and `...` only, with unit axes
  after its batch axis up to the rank of the part written;
* np.broadcast_to-like helpers (`_sg_broadcast_like`): the batch axis added in
  front of the target shape;
* np.einsum (subscripts written in the code, no '...'): a label for the batch
  axis; unpacking an array (`x, y, z = v`): v[:, 0], v[:, 1], ...;
* run-time lists (made, appended to, read at an integer, stacked): a batched
  list's every item batched;
* np.concatenate and np.stack: the items not batched made so, the axis moved;
  np.array of lists written in the code: np.stack at each level;
* loops and branches: their blocks rewritten alike; a carried value batched
  where it is before the loop or becomes so in an iteration (found by
  rewriting the body again until no more does), its value before the loop
  (and a branch's result that is not) made the same for every seed.

Anything else that reads a batched value -- an op without a rule, a rank not
known, a loop over a tangent or a test on one, a write into a run-time list --
raises `NotBatched` with the reason: the caller falls back to one pass per
seed.  A rule is only given where it is the unbatched op applied to each
slice of the batch, so a batched pass is never wrong, only sometimes absent.
"""
import copy

import numpy as np

from ..analyses.ranks import Ranks
from ..ir import prims
from ..ir.builder import Builder
from ..ir.nodes import Block, Const, If, Loop, Op, Pack, Slice, Value, values_in
from ..ir.primitives import einsum_terms, elementwise
from ..runtime import helpers
from .sweep import prim_name


def _listed(item):
    return isinstance(item, Pack) and item.kind in ('list', 'tuple')


class NotBatched(Exception):
    """The forward-mode code cannot carry a batch of tangents (the reason, the op's origin)."""

    def __init__(self, reason, origin=None):
        super().__init__(reason)
        self.reason, self.origin = reason, origin


def batched(graph, tangents, shapes, lower_template, dtypes=None):
    """Rewrite `graph` (a forward-mode graph) in place so that the parameter values
    `tangents` hold stacks of tangents along a leading axis; returns the graph.
    `shapes` (analyses.shapes.ShapeClasses of its ops) and `dtypes`
    (analyses.dtypes.Dtypes, or None) give the unbatched ranks (analyses/ranks.py);
    `lower_template(builder, fn, env)` lowers a template into `builder` (the
    frontend's, which the AD does not import: ad/lowering.py)."""
    batch = _Batch(set(tangents), tangents[0], shapes, Ranks(graph.body.ops, shapes, dtypes),
                   lower_template, graph.lists)
    batch.block(graph.body.ops)
    out, tangent = graph.result.items
    graph.result = Pack('tuple', [out, batch.stacked(tangent)])
    graph.body.ops = batch.builder.block.ops
    return graph


def _for_every_seed(t, seeds, like):
    """A template: the tangent t (not batched), the same for every seed."""
    return np.copy(np.broadcast_to(t, (len(seeds),) + np.shape(like)))


def _reshaped_batched(t, shape):
    """A template: t (batched) reshaped to `shape` (a tuple computed when the code runs)
    after its batch axis."""
    return np.reshape(t, (len(t),) + shape)


def _broadcast_batched(t, like):
    """A template: t (batched, aligned to like's rank) broadcast to like's shape, a new
    array (as _sg_broadcast_like's: code after it may write into it)."""
    return np.copy(np.broadcast_to(t, (len(t),) + np.shape(like)))


class _Batch:
    def __init__(self, batched_values, seeds, shapes, ranks, lower_template, lists=()):
        self.batched = batched_values
        self.seeds = seeds              # a batched value: its length is the batch's
        self.shapes = shapes
        self.ranks = ranks
        # run-time lists (a batched one: every item batched), and the LIST_NEW op that
        # made one (a list not batched can be made so only where its items are known)
        self.lists, self.made = set(lists), {}
        self.open_phis = set()          # the carried values of the loops being rewritten
        self.builder = Builder()
        self.lower_template = lower_template

    def block(self, ops):
        """Append `ops` to the builder's block, each rewritten where it reads a batched
        value."""
        for op in ops:
            self.note_lists(op)
            if not any(v in self.batched for v in op.inputs()):
                self.builder.block.append(op)
            elif getattr(op, 'prim', None) is len and op.args[0] in self.lists:
                self.builder.block.append(op)       # (a batched list's length: its own)
            elif isinstance(op, Loop):
                self.loop(op)
            elif isinstance(op, If):
                self.branch(op)
            elif op.prim in (prims.ALIAS, prims.GATE):     # (each output its input's)
                self.builder.block.append(op)
                self.batched.update(out for arg, out in zip(op.args, op.outputs)
                                    if self.is_batched(arg))
            else:
                self.builder.adjoint, self.builder.origin_override = op.adjoint, None
                self.rewrite(op)
                self.batched.update(op.outputs)

    def inner(self, ops, results):
        """A new block of `ops` rewritten, each of `results` made batched where `batched`
        says (a dict: result index -> must be batched): (block, results)."""
        self.builder.stack.append(Block())
        try:
            self.block(ops)
            made = [self.stacked(r) if must and r is not None else r
                    for r, must in results]
        finally:
            block = self.builder.stack.pop()
        return block, made

    def note_lists(self, op):
        """Which values are run-time lists: made or appended to, written, passed on (a
        loop's carried value, a branch's result, where what it is made from is one)."""
        if isinstance(op, Loop):
            made = [v for phi, init, out in zip(op.phis, op.inits, op.outputs)
                    if init in self.lists for v in (phi, out)]
        elif isinstance(op, If):
            made = [out for out, a, b in zip(op.outputs, op.then_results, op.else_results)
                    if a in self.lists or b in self.lists]
        elif op.prim is prims.LIST_NEW:
            made = list(op.outputs)
            self.made[op.outputs[0]] = op
        elif op.prim in (prims.LIST_APPEND, prims.SETITEM, prims.ALIAS, prims.GATE) and \
                op.args and op.args[0] in self.lists:
            made = list(op.outputs)
        else:
            made = []
        self.lists.update(made)

    def stacked(self, operand):
        """The operand batched: itself if it is, else the same for every seed (a tangent
        that does not vary with the seeds, such as zeros); a run-time list made here:
        a list of its items made so."""
        if operand is None or self.is_batched(operand):
            return operand
        if isinstance(operand, Value) and operand in self.lists:
            made = self.made.get(operand)
            if made is None or not (isinstance(made.args[0], Pack) and
                                    made.args[0].kind in ('list', 'tuple')):
                raise NotBatched('a list made the same for every seed after items were '
                                 'appended', getattr(made, 'origin', None))
            new = self.emit(made, prims.LIST_NEW, [Pack(made.args[0].kind, [
                self.stacked(item) for item in made.args[0].items])], hint=operand.hint)
            self.lists.add(new)
            self.batched.add(new)
            return new
        made = self.lower_template(self.builder, _for_every_seed,
                                   {'t': operand, 'seeds': self.seeds, 'like': operand})
        self.batched.add(made)
        return made

    def loop(self, op):
        """A loop carrying a batched value: its body rewritten, each carried value
        batched if it is before the loop or becomes so in an iteration (until no
        more does), its value before the loop then made batched."""
        if self.is_batched(op.iterable) or self.is_batched(op.exit):
            raise NotBatched('a loop over or stopped by a tangent', op.origin)
        carried = {phi for phi, init in zip(op.phis, op.inits) if self.is_batched(init)}
        self.open_phis.update(op.phis)
        while True:
            self.batched.update(carried)
            cond_block, _ = self.inner(op.cond_block.ops, [])
            if self.is_batched(op.cond):
                raise NotBatched('a loop stopped by a tangent', op.origin)
            body, nexts = self.inner(op.body.ops, [(n, phi in carried)
                                                    for n, phi in zip(op.nexts, op.phis)])
            more = {phi for phi, n in zip(op.phis, op.nexts) if self.is_batched(n)} - carried
            if not more:
                break
            carried |= more
        self.open_phis.difference_update(op.phis)
        inits = [self.stacked(init) if phi in carried else init
                 for phi, init in zip(op.phis, op.inits)]
        region = copy.copy(op)
        region.inits, region.nexts, region.cond_block, region.body = inits, nexts, cond_block, body
        self.builder.block.append(region)
        self.batched.update(out for out, phi in zip(op.outputs, op.phis) if phi in carried)

    def branch(self, op):
        """A branch yielding a batched value: both branches rewritten, an output batched
        where either branch yields a batched value for it."""
        if self.is_batched(op.test) or op.returns:
            raise NotBatched('a branch on a tangent, or one that returns', op.origin)
        # (a first pass to learn which outputs are batched: the branches' ops read
        # only values from before the branch, so rewriting them twice is the same)
        self.inner(op.then_block.ops, [])
        self.inner(op.else_block.ops, [])
        batched = [self.is_batched(t) or self.is_batched(e)
                   for t, e in zip(op.then_results, op.else_results)]
        then_block, then_results = self.inner(op.then_block.ops,
                                              list(zip(op.then_results, batched)))
        else_block, else_results = self.inner(op.else_block.ops,
                                              list(zip(op.else_results, batched)))
        region = copy.copy(op)
        region.then_block, region.else_block = then_block, else_block
        region.then_results, region.else_results = then_results, else_results
        self.builder.block.append(region)
        self.batched.update(out for out, b in zip(op.outputs, batched) if b)

    # ---- what a value is -----------------------------------------------------------
    def rank(self, operand, op):
        """The unbatched rank of an operand (a Const's own)."""
        if isinstance(operand, Const):
            return np.ndim(operand.value)
        rank = self.ranks.of(operand) if isinstance(operand, Value) else None
        if rank is None:
            raise NotBatched(f'the rank of a value read by {prim_name(op)} is not known', op.origin)
        return rank

    def is_batched(self, operand):
        return any(v in self.batched for v in values_in(operand))

    # ---- emitting ------------------------------------------------------------------
    def emit(self, op, prim, args, kwargs=None, hint='_batched', style='call'):
        return self.builder.emit(prim, args, kwargs or {}, op.origin, hint, style=style)

    def finish(self, op, prim, args, kwargs=None, style='call'):
        """The rewritten op, keeping the original's outputs (its readers read them)."""
        self.builder.block.append(Op(prim, args, kwargs or {}, op.outputs, op.origin, style,
                                     op.adjoint))

    def aligned(self, t, rank, to, op):
        """A batched t of unbatched rank `rank` with unit axes after its batch axis up
        to rank `to`: broadcasting then aligns its trailing axes as unbatched."""
        if rank >= to:
            return t
        return self.emit(op, np.expand_dims, [t, Const(tuple(range(1, 1 + to - rank)))],
                         hint=t.hint)

    # ---- the rules -----------------------------------------------------------------
    def rewrite(self, op):
        prim = op.prim
        if elementwise(op) or prim is np.where and len(op.args) == 3 and not op.kwargs:
            self.elementwise(op)
        elif prim is np.matmul or prim is np.dot:
            self.matmul(op)
        elif prim is np.cross and len(op.args) == 2 and not op.kwargs:
            self.cross(op)
        elif prim in (np.sum, np.mean):
            self.reduction(op)
        elif prim in (np.reshape, np.ravel):
            self.reshape(op)
        elif prim is np.transpose:
            self.transpose(op)
        elif prim is prims.GETITEM and op.args[0] in self.lists:
            self.list_item(op)
        elif prim is prims.GETITEM:
            self.getitem(op)
        elif prim is prims.LIST_NEW:
            self.finish(op, prim, [Pack(a.kind, [self.stacked(item) for item in a.items])
                                   for a in op.args], op.kwargs, style=op.style)
        elif prim is prims.LIST_APPEND:
            # (a loop's carried list, not batched yet, becomes so when the loop's body is
            # rewritten again: this round is not kept)
            lst, item, *rest = op.args         # (rest: the list's length before)
            if not (lst in self.open_phis and not self.is_batched(lst)):
                lst = self.stacked(lst)
            self.finish(op, prim, [lst, self.stacked(item)] + rest, op.kwargs, style=op.style)
        elif prim is prims.SETITEM:
            self.setitem(op)
        elif prim is helpers._sg_broadcast_like:
            self.broadcast_like(op)
        elif prim in (np.concatenate, np.stack):
            self.joined(op)
        elif prim is prims.UNPACK:
            self.unpack(op)
        elif prim is np.einsum:
            self.einsum(op)
        elif prim in (np.array, np.asarray) and len(op.args) == 1 and not op.kwargs and \
                isinstance(op.args[0], Pack) and op.args[0].kind in ('list', 'tuple'):
            self.nested_array(op)
        else:
            raise NotBatched(f'{prim_name(op)} has no batch rule', op.origin)

    def only_first_batched(self, op):
        if any(self.is_batched(a) for a in op.args[1:]) or \
                any(self.is_batched(a) for a in op.kwargs.values()):
            raise NotBatched(f'{prim_name(op)} of a tangent in another place than its first',
                             op.origin)

    def elementwise(self, op):
        to = self.rank(op.outputs[0], op)
        args = [self.aligned(a, self.rank(a, op), to, op) if self.is_batched(a) else a
                for a in op.args]
        self.finish(op, op.prim, args, style=op.style)

    def cross(self, op):
        # of 3-vectors along the last axis, np.cross broadcasts the other axes as an
        # elementwise op does (of 2-vectors the result loses that axis: not so)
        if self.rank(op.outputs[0], op) != max(self.rank(a, op) for a in op.args):
            raise NotBatched('np.cross of 2-vectors', op.origin)
        self.elementwise(op)

    def matmul(self, op):
        if op.kwargs or len(op.args) != 2:
            raise NotBatched(f'{prim_name(op)} with options', op.origin)
        a, b = op.args
        ra, rb = self.rank(a, op), self.rank(b, op)
        if op.prim is np.dot and not (1 <= ra <= 2 and 1 <= rb <= 2):
            raise NotBatched('np.dot of arrays of rank 0 or above 2', op.origin)
        style = op.style if op.prim is np.matmul else ('operator', '@')
        if self.is_batched(a) and self.is_batched(b):
            raise NotBatched('a product of two tangents', op.origin)
        if self.is_batched(a):
            if ra == 1 and rb > 2:
                raise NotBatched('a vector times a stack of matrices', op.origin)
            self.finish(op, np.matmul, [self.aligned(a, ra, rb, op) if ra >= 2 else a, b],
                        style=style)
        elif rb >= 2:
            self.finish(op, np.matmul, [a, self.aligned(b, rb, ra, op)], style=style)
        else:
            # a vector on the right: a column of each (aligned with a's stack axes),
            # and the product's unit axis dropped
            column = self.emit(op, prims.GETITEM, [b, Pack('index', [Const(Ellipsis),
                                                                     Const(None)])],
                               hint=b.hint, style=('subscript',))
            product = self.emit(op, np.matmul, [a, self.aligned(column, 2, ra, op)],
                                style=('operator', '@'))
            self.finish(op, prims.GETITEM, [product, Pack('index', [Const(Ellipsis),
                                                                    Const(0)])],
                        style=('subscript',))

    def reduction(self, op):
        self.only_first_batched(op)
        t, rest = op.args[0], list(op.args[1:])
        kwargs = dict(op.kwargs)
        axis = rest.pop(0) if rest else kwargs.pop('axis', Const(None))
        if rest or not isinstance(axis, Const) or \
                not set(kwargs) <= {'keepdims', 'dtype'}:
            raise NotBatched(f'{prim_name(op)} with an axis not known or other options',
                             op.origin)
        rank = self.rank(t, op)
        value = axis.value
        if value is None:
            moved = tuple(range(1, rank + 1))
        elif isinstance(value, (int, np.integer)):
            moved = _shifted(int(value), rank)
        elif isinstance(value, tuple) and all(isinstance(a, (int, np.integer)) for a in value):
            moved = tuple(_shifted(int(a), rank) for a in value)
        else:
            raise NotBatched(f'{prim_name(op)} with axis={value!r}', op.origin)
        self.finish(op, op.prim, [t], dict(kwargs, axis=Const(moved)))

    def reshape(self, op):
        self.only_first_batched(op)
        t = op.args[0]
        if op.kwargs:
            raise NotBatched(f'{prim_name(op)} with options', op.origin)
        if op.prim is np.ravel:
            if len(op.args) != 1:
                raise NotBatched('np.ravel with an order', op.origin)
            dims = [Const(-1)]
        else:
            shape = list(op.args[1:])
            if len(shape) == 1 and isinstance(shape[0], Const) and \
                    isinstance(shape[0].value, tuple):
                shape = [Const(d) for d in shape[0].value]
            elif len(shape) == 1 and isinstance(shape[0], Pack) and shape[0].kind == 'tuple':
                shape = shape[0].items
            elif len(shape) == 1 and self.ranks.lengths.get(shape[0]) is not None:
                # a shape tuple computed when the code runs (x.shape + (1,)): the
                # batch's length put in front of it there
                result = self.lower_template(self.builder, _reshaped_batched,
                                             {'t': t, 'shape': shape[0]})
                self.builder.block.append(Op(prims.ALIAS, [result], {}, op.outputs,
                                             op.origin, 'call', op.adjoint))
                return
            # (each dimension a constant or a scalar: a tuple computed when the code
            # runs, of a length not known, cannot take the batch's length in front)
            if not shape or not all(isinstance(d, Const) and _is_int(d.value) or
                                    isinstance(d, Value) and self.ranks.of(d) == 0
                                    for d in shape):
                raise NotBatched('a reshape to a shape not known when transforming', op.origin)
            dims = shape
        count = self.emit(op, len, [t], hint='_count')
        self.finish(op, np.reshape, [t, Pack('tuple', [count] + dims)])

    def transpose(self, op):
        self.only_first_batched(op)
        t = op.args[0]
        axes = op.args[1] if len(op.args) > 1 else op.kwargs.get('axes', Const(None))
        if len(op.args) > 2 or set(op.kwargs) - {'axes'} or not isinstance(axes, Const):
            raise NotBatched('a transpose with axes not known when transforming', op.origin)
        rank = self.rank(t, op)
        order = range(rank - 1, -1, -1) if axes.value is None else axes.value
        self.finish(op, np.transpose, [t, Const((0,) + tuple(int(a) % rank + 1 for a in order))])

    def getitem(self, op):
        base, index = op.args
        if self.is_batched(index) or not self.is_batched(base):
            raise NotBatched('an index computed from a tangent', op.origin)
        self.rank(base, op)                 # (an array's: a list's items are not indexed so)
        items, _ = self.index_items(index, op)
        self.finish(op, prims.GETITEM,
                    [base, Pack('index', [Const(slice(None))] + items)],
                    style=('subscript',))

    def list_item(self, op):
        """An item of a batched list, at an integer: batched as the list's items are."""
        base, index = op.args
        if self.is_batched(index) or self.index_kind(index, op) != 'integer' or \
                not self.is_batched(base):
            raise NotBatched('a list read at other than an integer', op.origin)
        self.finish(op, prims.GETITEM, [base, index], style=op.style)

    def setitem(self, op):
        """x[index] = v (a new version of x): the batch axis put in front of the index,
        x made batched if it is not (v is), and a batched v given unit axes up to the
        rank of the part of x it is written into (counted where the index is integers,
        slices and `...` only)."""
        base, index, value = op.args
        if self.is_batched(index) or op.kwargs:
            raise NotBatched('an index computed from a tangent', op.origin)
        rank = self.rank(base, op)          # (a run-time list has no rank: refused)
        items, kinds = self.index_items(index, op)
        if self.is_batched(value):
            # (a 0-d index not known to be an integer may be a boolean, which adds an
            # axis: the part's rank would not be known)
            if any(kind == 'array' or isinstance(item, Const) and item.value is None or
                   kind == 'integer' and not self.ranks.is_integer(item)
                   for item, kind in zip(items, kinds)):
                raise NotBatched('a tangent written at an index with arrays, None or '
                                 'scalars not known to be integers', op.origin)
            part = rank - kinds.count('integer')
            value_rank = self.rank(value, op)
            if value_rank > part:
                raise NotBatched('a tangent written into fewer axes than it has', op.origin)
            value = self.aligned(value, value_rank, part, op)
        self.finish(op, prims.SETITEM,
                    [self.stacked(base), Pack('index', [Const(slice(None))] + items), value],
                    style=op.style)

    def index_items(self, index, op):
        """The items of an index and their kinds (`index_kind`), NumPy's advanced ones
        (arrays, and integers beside them) adjacent: their axes go where they stand
        (after the batch axis, as unbatched); apart, they would go first (before it)."""
        items = index.items if isinstance(index, Pack) and index.kind == 'index' else \
            [Const(i) for i in index.value] if isinstance(index, Const) and \
            type(index.value) is tuple else [index]
        kinds = [self.index_kind(item, op) for item in items]
        if 'array' in kinds:
            advanced = [k for k, kind in enumerate(kinds) if kind in ('array', 'integer')]
            if advanced != list(range(advanced[0], advanced[-1] + 1)):
                raise NotBatched('arrays and integers as indices apart from one another',
                                 op.origin)
        return list(items), kinds

    def joined(self, op):
        """np.concatenate and np.stack of a list or tuple written in the code (every
        item batched: zeros, say, the same for every seed) or of a batched run-time
        list, the axis moved past the batch axis (a negative one counts from the
        end: the same axis)."""
        items = op.args[0]
        axis = op.args[1] if len(op.args) > 1 else op.kwargs.get('axis', Const(0))
        listed = isinstance(items, Pack) and items.kind in ('list', 'tuple')
        if not (listed or items in self.lists and self.is_batched(items)) or \
                len(op.args) > 2 or set(op.kwargs) - {'axis'} or self.is_batched(axis) or \
                not (isinstance(axis, Const) and _is_int(axis.value)):
            raise NotBatched(f'{prim_name(op)} of items or along an axis not known when '
                             f'transforming', op.origin)
        moved = axis.value + 1 if axis.value >= 0 else axis.value
        if listed:      # (an item that is a list itself, [c]: the array np.asarray makes)
            items = Pack(items.kind, [self.array_of(item.items, op, self.emit)
                                      if _listed(item) else self.stacked(item)
                                      for item in items.items])
        self.finish(op, op.prim, [items], {'axis': Const(moved)})

    def unpack(self, op):
        """a, b, c = t of an array: t[:, 0], t[:, 1], ... (its primal's unpacking raises
        where the length differs)."""
        (t,) = op.args
        if op.kwargs or not self.rank(t, op):
            raise NotBatched('unpacking other than an array', op.origin)
        for k, out in enumerate(op.outputs):
            self.builder.block.append(Op(prims.GETITEM, [t, Pack('index', [
                Const(slice(None)), Const(k)])], {}, [out], op.origin, ('subscript',),
                op.adjoint))

    def einsum(self, op):
        """np.einsum with its subscripts written in the code (no '...'), one operand
        batched: a label of its own for the batch axis, first in that operand and in
        the output."""
        spec, *operands = op.args
        batched = [k for k, a in enumerate(operands) if self.is_batched(a)]
        if not (isinstance(spec, Const) and isinstance(spec.value, str)) or \
                '.' in spec.value or set(op.kwargs) - {'optimize'} or self.is_batched(spec) \
                or len(batched) != 1:
            raise NotBatched('np.einsum of subscripts not written in the code, with ..., '
                             'or of two tangents', op.origin)
        inputs, output = einsum_terms(spec.value)
        (k,) = batched
        if len(inputs) != len(operands) or len(inputs[k]) != self.rank(operands[k], op):
            raise NotBatched('np.einsum of operands its subscripts do not describe', op.origin)
        label = next(c for c in 'zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA'
                     if c not in spec.value)
        inputs[k] = label + inputs[k]
        self.finish(op, np.einsum, [Const(','.join(inputs) + '->' + label + output)] +
                    operands, op.kwargs, style=op.style)

    def nested_array(self, op):
        """np.array of lists written in the code ([[1.0, 0.0], [0.0, c]])."""
        self.array_of(op.args[0].items, op, self.finish)

    def array_of(self, items, op, emit):
        """The batched np.array of a list written in the code: each level an np.stack
        along the axis after the batch axis, the leaves (of one rank, as np.array needs)
        batched, the same for every seed where they are not."""
        leaves = []

        def walk(item):
            if _listed(item):
                if not item.items:
                    raise NotBatched('np.array of an empty list', op.origin)
                for x in item.items:
                    walk(x)
            else:
                leaves.append(self.rank(item, op))
        for item in items:
            walk(item)
        if len(set(leaves)) != 1:
            raise NotBatched('np.array of items of different ranks', op.origin)

        def stacked(items, emit):
            parts = [stacked(x.items, self.emit) if _listed(x) else self.stacked(x)
                     for x in items]
            return emit(op, np.stack, [Pack('list', parts)], {'axis': Const(1)})
        return stacked(items, emit)

    def index_kind(self, item, op):
        """'slice' (a slice, None, ...), 'integer' (an integer scalar) or 'array' (an
        integer or boolean array known to be one); anything else is refused."""
        if isinstance(item, Slice):
            if all(isinstance(p, Const) and (p.value is None or _is_int(p.value)) or
                   isinstance(p, Value) and self.shapes.shape_of(p) == ()
                   for p in (item.start, item.stop, item.step)):
                return 'slice'
        elif isinstance(item, Const):
            value = item.value
            if value is None or value is Ellipsis or isinstance(value, slice) and all(
                    v is None or _is_int(v) for v in (value.start, value.stop, value.step)):
                return 'slice'
            if _is_int(value):
                return 'integer'
            if type(value) is np.ndarray and value.dtype.kind in 'biu' and value.ndim:
                return 'array'
        elif isinstance(item, Value):
            rank = self.ranks.of(item)
            if rank == 0:
                return 'integer'    # (or a 0-d array: advanced beside arrays, as an integer)
            if rank:
                return 'array'      # (ranks are given to arrays only)
        raise NotBatched('an index other than integers, slices, None, ... and arrays',
                         op.origin)

    def broadcast_like(self, op):
        self.only_first_batched(op)
        t, like = op.args
        shape = self.shapes.shape_of(t)
        if shape is not None and shape == self.shapes.shape_of(like):
            result = t          # (the helper returns t itself: it has like's shape)
        else:
            t = self.aligned(t, self.rank(t, op), self.rank(like, op), op)
            result = self.lower_template(self.builder, _broadcast_batched, {'t': t, 'like': like})
        self.builder.block.append(Op(prims.ALIAS, [result], {}, op.outputs, op.origin, 'call',
                                     op.adjoint))


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _shifted(axis, rank):
    """An axis of the unbatched value as an axis of the batched one."""
    if not -rank <= axis < rank:
        raise NotBatched(f'axis {axis} out of range')
    return axis + 1 if axis >= 0 else axis


__all__ = ['batched', 'NotBatched']
