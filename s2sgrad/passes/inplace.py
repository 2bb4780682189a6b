"""Assignments into arrays: in place where nothing can tell, on a copy where something can.

`x[i] = v` is a new version of x in the IR (SETITEM), so that the AD sees
values, not memory.  The generated code writes in place -- as the user's
code does, and as fast -- when no read after the write could see the
difference: nothing reads the old version (or an array sharing its memory)
by value afterwards, in the forward code, in the adjoint, or from a loop's
tape.  Otherwise it writes into a copy (`x_1 = np.copy(x)`).  Arrays the
function does not own (arguments, globals, read-only broadcasts) are always
copied, so a caller's arrays are never modified.

One case cannot be made right either way: a view of the array (`row =
buf[0]`) read by the user's code after the write.  Python shows the view the
new data, the gradient would assume the old: it is refused.

The same argument lets an elementwise op write its result into one of its
operands (`g *= 1.0 - t * t`, `np.tanh(z, out=z)`) instead of a new array,
where a specialisation knows shapes and dtypes: the operand must be an array
the function made in the same block (no argument, global, view, value
carried by a loop or saved on a tape), nothing may read it or any array that
may share its memory afterwards, and the result must have its shape and
dtype.  A careful person writes gradients this way; it keeps the peak memory
of a call near a hand-written gradient's.
"""
import dataclasses
import math

import numpy as np

from ..errors import TransformError
from ..ir import prims
from ..ir.primitives import elementwise, fresh_result, info, viewed_operand
from ..ir.nodes import If, Loop, Op, Value, values_in, walk

# A result smaller than this gets an array of its own: a new small array costs next
# to nothing, and the user's expression stays as written.
SMALL_BYTES = 1 << 10


@dataclasses.dataclass
class InplacePlan:
    """What `decide` found, for codegen: which writes go in place, which elementwise
    results go into an operand."""

    in_place: set = dataclasses.field(default_factory=set)  # SETITEM / LIST_APPEND ops
    # writing into their array itself (any other writes into a copy)
    into: dict = dataclasses.field(default_factory=dict)    # elementwise op -> the index
    # of the operand its result is written into
    written: set = dataclasses.field(default_factory=set)   # those ops' results


def check_views(graph):
    """Before dead code goes: mark `row = y[0]` checked where the user's code reads
    the row after y is assigned into.

    The reads that make the check needed may be dead in a gradient (the loss
    itself is not returned, and a specialisation that knows the row's shape
    reads nothing else of it); the check is kept (simplify.has_effect) all the
    same, as the gradient would assume the row's old contents.  It is a rewrite
    of the op, not a plan (`Op.checked`): a copy of the graph inlined elsewhere
    keeps it.
    """
    if not any(getattr(op, 'prim', None) is prims.SETITEM for op in walk(graph.body)):
        return
    decision = _Decision(graph)
    decision.views_only = True
    decision.run()


def decide(graph, shapes=None, dtypes=None, folds=None):
    """The InplacePlan of `graph`: each SETITEM / LIST_APPEND op in place or on a copy.

    With `shapes` (analyses.shapes.ShapeClasses) and `dtypes`
    (analyses.dtypes.Dtypes) of the whole graph, and its fold plan `folds`
    (passes.fold: a folded temporary is read where its reader's statement
    runs), also the elementwise ops whose results are written into an operand.
    """
    if shapes is None and not any(_writes(op) for op in walk(graph.body)):
        return InplacePlan()        # (nothing to do)
    decision = _Decision(graph, shapes, dtypes, folds)
    decision.run()
    return decision.plan


def _writes(op):
    prim = getattr(op, 'prim', None)
    return prim is prims.SETITEM or prim is prims.LIST_APPEND


class _BranchEnd:
    """The place, in program order, where one branch of an If ends (no op)."""
    outputs = ()
    adjoint = None


BRANCH_END = _BranchEnd()


class _Decision:
    def __init__(self, graph, shapes=None, dtypes=None, folds=None):
        self.graph = graph
        self.tape_copies = graph.tape_copies    # value popped in a reverse loop -> the saved value
        self.order = []                     # ops in program order
        self.reads = {}                     # value -> [(position, 'value' | 'shape', forward?)]
        self.carried_into = {}              # a loop's next value -> its phi and output
        self.producer = {}
        self.shapes, self.dtypes = shapes, dtypes
        self.folds = folds          # passes.fold.FoldPlan (needed with shapes)
        self.views_only = False
        self.home = {}                      # op or value -> the block holding it (ops' outputs)
        self.branches = []                  # position -> the (If, branch) it is inside
        self.inside = ()
        self.plan = InplacePlan()

    # ---- program order and reads -------------------------------------------------
    def read(self, v, position, kind, forward):
        """Record a read of v (a copy popped from a tape is read as the value saved)."""
        v = self.tape_copies.get(v, v)
        if kind == 'shape' and v in self.graph.lists:
            kind = 'value'          # a list's length is what appending changes
        self.reads.setdefault(v, []).append((position, kind, forward))

    def scan(self, block):
        for op in block.ops:
            position = len(self.order)
            self.order.append(op)
            self.branches.append(self.inside)
            self.home[op] = block
            forward = op.adjoint is None
            if isinstance(op, If):
                for v in values_in(op.test):
                    self.read(v, position, 'value', forward)
                outer = self.inside
                for k, (inner, results) in enumerate(zip(op.blocks(), (op.then_results,
                                                                       op.else_results))):
                    self.inside = outer + ((op, k),)
                    self.scan(inner)
                    # a branch's results are read where it ends: never after a write
                    # the other branch made
                    end = len(self.order)
                    self.order.append(BRANCH_END)
                    self.branches.append(self.inside)
                    for r in results:
                        for v in values_in(r):
                            self.read(v, end, 'value', forward)
                self.inside = outer
                for out in op.outputs:
                    self.producer[out] = op
                continue
            if isinstance(op, Loop):
                for operand in op.entry_operands():
                    for v in values_in(operand):
                        self.read(v, position, 'value', forward)
                for inner in op.blocks():
                    self.scan(inner)
                end = len(self.order)
                for operand, phi, out in zip(op.nexts, op.phis, op.outputs):
                    for v in values_in(operand):    # carried into the next iteration:
                        self.read(v, end, 'carry', forward)     # a move, not a read
                        self.carried_into.setdefault(v, []).extend((phi, out))
                for operand in [op.cond, op.exit]:
                    for v in values_in(operand):
                        self.read(v, end, 'value', forward)
                for v in op.defined() + op.outputs:
                    self.producer[v] = op
                continue
            for k, arg in enumerate(op.args):
                kind = 'shape' if k in info(op.prim).shape_only else 'value'
                if op.prim is prims.TAPE_PUSH:
                    kind = 'tape'
                for v in values_in(arg):
                    self.read(v, position, kind, forward)
            for arg in op.kwargs.values():
                for v in values_in(arg):
                    self.read(v, position, 'value', forward)
            for out in op.outputs:
                self.producer[out] = op
                self.home[out] = block

    def exclusive(self, p, q):
        """Are the ops at positions p and q in different branches of one If (never
        both run)?  (A position past the end of the program: a read of the result.)"""
        if p >= len(self.branches) or q >= len(self.branches):
            return False
        a, b = self.branches[p], self.branches[q]
        for (if_a, k_a), (if_b, k_b) in zip(a, b):
            if if_a is not if_b:
                return False
            if k_a != k_b:
                return True
        return False

    # ---- versions and views ---------------------------------------------------------
    # `parents[v]`: the values whose memory v may be (a view's base, the array an
    # in-place write changed, the inputs of a phi -- a loop's phi is also the
    # previous iteration's value, so a value of one iteration read after the next
    # iteration's write (by its adjoint, from the tape) counts as old).
    def add_parent(self, v, parent):
        if isinstance(parent, Value):
            self.parents.setdefault(v, []).append(parent)
            self.children.setdefault(parent, []).append(v)

    def old_states(self, v):
        """v, what v's memory was before (ancestors), and every view of those."""
        old, todo = set(), [v]
        while todo:
            u = todo.pop()
            if u not in old:
                old.add(u)
                todo.extend(self.parents.get(u, ()))
        views, todo = set(), list(old)
        while todo:
            u = todo.pop()
            for child in self.children.get(u, ()):
                if child in self.views and child not in views:
                    views.add(child)
                    todo.append(child)
        return old, views

    def is_owned(self, v, seen=None):
        seen = set() if seen is None else seen
        if v in seen:
            return True
        seen.add(v)
        if v in self.fresh:
            return True
        parents = self.parents.get(v)
        if not parents or v in self.readonly:
            return False
        return all(self.is_owned(p, seen) for p in parents)

    def run(self):
        self.parents, self.children = {}, {}
        self.views, self.fresh, self.readonly = set(), set(), set()
        self.scan(self.graph.body)
        result_position = len(self.order)
        for v in values_in(self.graph.result) if self.graph.result is not None else ():
            self.read(v, result_position, 'value', True)
        for reads in self.reads.values():
            for k, (position, kind, forward) in enumerate(reads):
                if kind == 'tape':      # pushing is not reading: the popped copy's reads count
                    reads[k] = (position, 'shape', forward)
        # codegen folds a temporary into the expression of its reader (passes.fold),
        # which may come after a write between the two: such a read happens (at
        # the latest) where the reader's own reads happen
        self.late = {}
        for position in range(len(self.order) - 1 if self.shapes is not None else -1, -1, -1):
            op = self.order[position]
            if isinstance(op, Op) and len(op.outputs) == 1 and self.folds.folds(op.outputs[0]):
                reader = self.reads[op.outputs[0]][-1][0]
                self.late[position] = self.late.get(reader, reader)
        for position, op in enumerate(self.order):
            if isinstance(op, Loop):
                for phi, init, nxt in zip(op.phis, op.inits, op.nexts):
                    self.add_parent(phi, init)
                    self.add_parent(phi, nxt)
                for out, phi, nxt in zip(op.outputs, op.phis, op.nexts):
                    self.add_parent(out, phi)
                    self.add_parent(out, nxt)
                continue
            if isinstance(op, If):
                for out, rt, re_ in zip(op.outputs, op.then_results, op.else_results):
                    self.add_parent(out, rt)
                    self.add_parent(out, re_)
                continue
            if not op.outputs:
                continue
            out = op.outputs[0]
            if op.prim in (prims.SETITEM, prims.LIST_APPEND):
                self.setitem(op, position)
            elif isinstance(viewed_operand(op), Value):
                self.add_parent(out, viewed_operand(op))
                self.views.add(out)
                if op.prim is np.broadcast_to:
                    self.readonly.add(out)
            elif self.elementwise(op, position):
                pass
            elif fresh_result(op):          # (every ufunc's result is)
                self.fresh.add(out)

    def setitem(self, op, position):
        base, out = op.args[0], op.output
        if not isinstance(base, Value):
            self.fresh.add(out)
            return
        old, views = self.old_states(base)
        # (in a loop, the write's own result is an old state of the next iteration's
        # base; where its branch ends it is passed on, not read: what it is passed to
        # is an old state too, its reads count)
        later = [(v, forward) for v in old | views
                 for p, kind, forward in self.reads.get(v, ())
                 if p > position and kind == 'value' and not self.exclusive(p, position)
                 and not (v is out and p < len(self.order) and self.order[p] is BRANCH_END)]
        for v in views:
            producer = self.producer.get(v)
            carried = any(p > position and kind == 'carry' and forward
                          for p, kind, forward in self.reads.get(v, ()))
            if getattr(producer, 'prim', None) is prims.GETITEM and carried and any(
                    self.reads.get(w) for w in self.carried_into.get(v, ())):
                # row = y[k] carried into the next iteration after y is assigned
                # into: a view would show the write, the gradient assumes a copy
                producer.checked = True
        for v, forward in list(later):
            if forward and v in views:
                producer = self.producer.get(v)
                if getattr(producer, 'prim', None) is prims.GETITEM:
                    # tmp = y[0]: a scalar copy for a 1-d y (fine), a view otherwise
                    # (Python and the gradient would disagree): checked when it runs
                    producer.checked = True
                    self.views.discard(v)
                    later = [(u, f) for u, f in later if u is not v]
                    continue
                if self.views_only:
                    continue
                raise TransformError(
                    f'a view of {base.hint!r} (taken at {v.origin.short}) is read after '
                    f'{base.hint!r} is assigned into here; copy it first (np.copy) so that '
                    f'the gradient sees what Python sees', op.origin)
        if self.views_only:
            self.add_parent(out, base)
            return
        # the write's own result is owned either way (the same memory, or a copy)
        if self.is_owned(base, seen={out}) and not later:
            self.plan.in_place.add(op)
            self.add_parent(out, base)
        else:
            self.fresh.add(out)

    # ---- elementwise ops written into an operand ------------------------------------
    def elementwise(self, op, position):
        """Write an elementwise op's result into a dead operand; True if it is."""
        prim = op.prim
        if self.shapes is None or self.dtypes is None or not elementwise(op):
            return False
        out = op.output
        shape = self.shapes.shape_of(out)
        dtype = self.dtypes.dtype(out)
        if not shape or dtype is None:      # (a 0-d result is a scalar: nothing to reuse)
            return False
        if math.prod(shape) * dtype.itemsize < SMALL_BYTES:
            return False
        candidates = (0, 1) if info(prim).commutative else (0,)

        # an array this op's function wrote into first (a running sum stays one
        # array), then the first operand (`y = a; y -= b` reads as the user's a - b)
        def preference(k):
            a = op.args[k]
            written = a in self.plan.written and self.producer[a].prim is prim
            return (not written, k)

        for k in sorted(candidates, key=preference):
            a = op.args[k]
            if isinstance(a, Value) and self.shapes.shape_of(a) == shape \
                    and self.dtypes.dtype(a) == dtype and self.reusable(a, op, position):
                self.plan.into[op] = k
                self.plan.written.add(out)
                self.add_parent(out, a)
                return True
        return False

    def reusable(self, a, op, position):
        """May `op` (at `position`) overwrite the array `a`?

        `a` and every array its memory came from were made by ops of `op`'s own
        block (so in a loop, afresh each iteration): fresh results, or writes
        into such.  No array that may share that memory -- `a`'s versions, the
        views, phis and branch results made of them -- is read after `op`, by
        value or carried into a loop's next iteration.
        """
        block = self.home.get(op)
        written = self.plan.written
        # (an array a result was written into before passed these checks then, and
        # nothing read it, or what it was written from, after: it need not be walked)
        todo, mine = [a], set()
        while todo:
            u = todo.pop()
            if u in mine:
                continue
            if self.home.get(u) is not block or u in self.views or u in self.readonly:
                return False
            mine.add(u)
            if u in written:
                continue
            parents = self.parents.get(u)
            if not parents:
                if u not in self.fresh:
                    return False
            todo.extend(parents or ())
        shared, todo = set(), list(mine)
        while todo:
            u = todo.pop()
            if u not in shared:
                shared.add(u)
                todo.extend(self.children.get(u, ()))
                if u not in written:
                    todo.extend(self.parents.get(u, ()))
        for u in shared:
            for p, kind, _ in self.reads.get(u, ()):
                if p == position or kind not in ('value', 'carry'):
                    continue
                if p < position and any(o in mine for o in self.order[p].outputs):
                    continue        # made a (or what a was written from): read before this op
                if self.late.get(p, p) > position:
                    return False
        return True
