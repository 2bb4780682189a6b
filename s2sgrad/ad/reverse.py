"""Reverse-mode AD: the adjoint of the program slice from xs to ys.

`differentiate` walks the ops that precede a `gradients(...)` site backwards,
expanding each active op's rule template (rules/template.py) at the site, so
the adjoint is ordinary IR appended to the forward code: no tape, forward
values are read directly.  Gradients of gradients work because the adjoint
ops are themselves differentiable IR.

The tf.gradients contract lives here: stop_gradients (no propagation past a
value), integer/bool constness (constant ops produce no active values),
unconnected xs (None or zeros), the aggregation method of several terms, and
gate_gradients (an op's input gradients grouped before any is used).
"""
import dataclasses
import inspect

import numpy as np

from ..analyses.shapes import SCALAR, ShapeClasses
from .invariance import zero_gradient_shifts
from ..errors import TransformError, no_gradient_error
from ..ir import prims
from ..ir.primitives import info
from ..ir.nodes import Block, Const, If, Loop, Op, Pack, Value, values_in, walk
from ..rules import registry, template
from ..runtime import helpers
from ..runtime import loops as loop_helpers
from . import interface


@dataclasses.dataclass(eq=False)
class GradBlock:
    """One `gradients(...)` call's generated code: codegen prints a banner for it."""

    name: str
    ys: list
    xs: list
    aggregation: int
    gate: bool
    origin: object


def differentiate(lowering, ys, xs, grad_ys=None, stop=(), unconnected='none',
                  aggregation=interface.AggregationMethod.ADD_N, gate=False,
                  name='gradients', origin=None, cast_like=False, scalars=(), shapes=None,
                  outputs_of=None, check_every_output=False):
    """Append the adjoint code to `lowering.builder`; return one operand per x.

    `lowering` is the FunctionLowering at the site (its builder holds the ops
    that precede the site; rule templates are lowered through it).
    `outputs_of`: sg.grad of the function of that name: an output that does not
    depend on the xs is checked to be floats when the code runs (one that does
    is floats already, unless it may be complex: `check_every_output`).
    """
    builder = lowering.builder
    block = GradBlock(name, ys, xs, aggregation, gate, origin)
    prefix = builder.visible_ops()
    sweep = _Sweep(lowering, block, set(v for v in stop if isinstance(v, Value)))
    sweep.known_scalars = scalars
    sweep.known_shapes = shapes or {}
    sweep.outputs_of = outputs_of
    sweep.check_every_output = check_every_output
    saved = builder.adjoint, builder.origin_override
    builder.adjoint = block
    try:
        return sweep.run(prefix, ys, xs, grad_ys, unconnected, cast_like)
    finally:
        builder.adjoint, builder.origin_override = saved


class _Sweep:
    def __init__(self, lowering, block, stop):
        self.lowering = lowering
        self.builder = lowering.builder
        self.block = block
        self.stop = stop
        self.terms = {}       # value -> [gradient operands] not yet summed
        self.total = {}       # value -> summed gradient (or None), once final
        self.fresh = set()    # values made by this sweep (free to rename)
        self.producer_of = {}  # value made by a rule -> its op

    # ---- activity ------------------------------------------------------------
    def activity(self, ops, varied, useful):
        """(varied, useful): values that depend on an x, values the ys depend on.

        Regions are entered: a branch's values count, and a region's outputs
        depend on what its branches yield.
        """
        varied, useful = set(varied), set(useful)
        self._forward(ops, varied)
        self._backward(ops, useful)
        return varied, useful

    def _forward(self, ops, varied):
        for op in ops:
            if isinstance(op, Loop):
                if any(v in varied for v in values_in(op.iterable)):
                    varied.update(op.targets)       # (a reverse loop over a tape)
                while True:
                    count = len(varied)
                    for phi, init, nxt in zip(op.phis, op.inits, op.nexts):
                        if any(v in varied for v in values_in(init)) or \
                                any(v in varied for v in values_in(nxt)):
                            varied.add(phi)
                    self._forward(op.cond_block.ops, varied)
                    self._forward(op.body.ops, varied)
                    if len(varied) == count:
                        break
                varied.update(out for out, phi in zip(op.outputs, op.phis)
                              if phi in varied and out not in self.stop)
                continue
            if isinstance(op, If):
                for block, results in ((op.then_block, op.then_results),
                                       (op.else_block, op.else_results)):
                    self._forward(block.ops, varied)
                    for out, r in zip(op.outputs, results):
                        if r is not None and any(v in varied for v in values_in(r)) \
                                and out not in self.stop:
                            varied.add(out)
                continue
            if info(op.prim).tape:
                # a tape carries the values pushed on it to what pops them: no gradient
                # flows through it, but what depends on x must be seen to (and refused)
                if any(v in varied for v in op.inputs()):
                    varied.update(op.outputs if op.prim is not prims.TAPE_PUSH
                                  else values_in(op.args[0]))
                continue
            if _blocks_gradient(op):
                continue
            if any(v in varied for v in op.inputs()):
                varied.update(o for o in op.outputs if o not in self.stop)

    def _backward(self, ops, useful):
        for op in reversed(ops):
            if isinstance(op, Loop):
                while True:
                    count = len(useful)
                    for phi, init, nxt, out in zip(op.phis, op.inits, op.nexts, op.outputs):
                        if (out in useful and out not in self.stop) or phi in useful:
                            useful.update(values_in(nxt))
                            useful.update(values_in(init))
                    self._backward(op.body.ops, useful)
                    self._backward(op.cond_block.ops, useful)
                    if len(useful) == count:
                        break
                continue
            if isinstance(op, If):
                for block, results in ((op.then_block, op.then_results),
                                       (op.else_block, op.else_results)):
                    for out, r in zip(op.outputs, results):
                        if out in useful and out not in self.stop and r is not None:
                            useful.update(values_in(r))
                    self._backward(block.ops, useful)
                continue
            if _blocks_gradient(op):
                continue
            if any(o in useful and o not in self.stop for o in op.outputs):
                useful.update(op.inputs())

    # ---- the sweep -------------------------------------------------------------
    def run(self, prefix, ys, xs, grad_ys, unconnected, cast_like):
        self.stop = self.stop | zero_gradient_shifts(prefix, ys, xs)
        varied, useful = self.activity(prefix, {x for x in xs if isinstance(x, Value)},
                                       {y for y in ys if isinstance(y, Value)})
        self.varied = varied
        self.needed = varied & useful
        self.container, self.region_of, self.def_block = {}, {}, {}
        for block in self.builder.stack:
            _containers(block, self.container, self.region_of, self.def_block)
        self.adjoint_of = {}        # forward if -> its adjoint if (for tapes in loops)
        origin = self.block.origin
        self.shapes = ShapeClasses(prefix, getattr(self, 'known_scalars', ()),
                                   getattr(self, 'known_shapes', None))
        self.builder.shape_classes = self.shapes    # (the in-place pass goes on from them)
        merged_from = _merged_from(prefix) if self.outputs_of is not None else {}
        for i, y in enumerate(ys):
            if isinstance(y, Value) and self.outputs_of is not None and \
                    (y not in varied or self.check_every_output or
                     _may_merge_a_non_float(y, merged_from)):
                self.emit(helpers._sg_check_output, [y, Const(self.outputs_of)], '_checked',
                          y.origin)
            if not isinstance(y, Value) or y not in varied:
                continue
            seed = grad_ys[i] if grad_ys is not None else None
            if seed is None or (isinstance(seed, Const) and seed.value is None):
                if self.shapes.of(y) == SCALAR:
                    seed = Const(1.0)       # a scalar: no array of ones needed
                else:
                    seed = self.emit(helpers._sg_ones_like, [y], 'd' + _bare(y.hint), y.origin)
            self.add_term(y, seed)
        self.sweep(prefix)
        results = []
        for x in xs:
            if not isinstance(x, Value):
                results.append(self.unconnected(x, unconnected))
                continue
            d = self.sum_terms(x)
            if d is None and cast_like:
                d = Const(None)         # sg.grad: zeros of x's shape and dtype
            elif d is None:
                results.append(self.unconnected(x, unconnected))
                continue
            # the value handed back: x's dtype and shape; for tf.gradients, integer
            # and boolean xs are constants, which is known only when the code runs
            hint = 'd' + _bare(x.hint)
            if cast_like and x in getattr(self, 'known_scalars', ()):
                # a Python float argument: its gradient is a float (0.0 when none)
                d = Const(0.0) if isinstance(d, Const) and d.value is None else \
                    self.emit(float, [d], hint, origin)
            elif cast_like:     # sg.grad: cast in the return statement (origin: the def)
                d = self.emit(helpers._sg_cast_like, [d, x], hint, origin)
            else:
                args = [d, x] + ([Const(True)] if unconnected == 'zero' else [])
                d = self.emit(helpers._sg_gradient_of, args, hint, origin)
                d.temp = True       # named by the user's assignment, or folded into it
            results.append(d)
        return results

    def sweep(self, ops):
        """Emit the adjoint of `ops`, last op first."""
        for op in reversed(ops):
            if isinstance(op, Loop):
                if any(v in self.terms for v in _defined_inside(op) + op.defined()) or \
                        op.adjoint is not None and any(o in self.terms for o in op.outputs):
                    # a reverse loop reads its forward loop through the tape, which no
                    # gradient can flow through: refuse rather than give zeros
                    raise TransformError('second derivatives through loops are not '
                                         'supported yet', op.origin)
                if any(o in self.terms for o in op.outputs):
                    self.backprop_loop(op)
                continue
            if getattr(op, 'prim', None) is prims.TAPE_POP and \
                    any(o in self.terms for o in op.outputs):
                raise TransformError('second derivatives through loops are not supported yet',
                                     op.origin)
            if isinstance(op, If):
                # an if has work when its outputs have gradient, or when later
                # code (a later adjoint) sent gradient to a value made inside it
                if any(o in self.terms for o in op.outputs) or \
                        any(v in self.terms for v in _defined_inside(op)):
                    self.backprop_if(op)
                continue
            if not any(o in self.terms for o in op.outputs):
                continue
            douts = [self.sum_terms(o) for o in op.outputs]
            if all(d is None for d in douts) or _blocks_gradient(op):
                continue
            if any(o in self.stop for o in op.outputs):
                continue
            if not any(v in self.needed for v in op.inputs()):
                continue
            self.backprop(op, douts)

    def child(self):
        """A sweep of a region's block: its own pending terms, the rest shared."""
        sub = _Sweep(self.lowering, self.block, self.stop)
        for name in ('fresh', 'shapes', 'container', 'adjoint_of', 'varied',
                     'region_of', 'def_block', 'producer_of'):
            setattr(sub, name, getattr(self, name))
        return sub

    def branch(self, block, results, douts):
        """The adjoint of one branch, in a block of its own.

        Returns (block, {outer value: its gradient from this branch}).
        """
        sub = self.child()
        sub.shapes.add(block.ops)
        # one value may be what the branch yields for several outputs: a term each
        seeds = [(r, d) for r, d in zip(results, douts)
                 if d is not None and isinstance(r, Value)]
        inside = {v for op in walk(block) for v in op.outputs}
        pending = {v: self.terms.pop(v) for v in list(self.terms) if v in inside}
        varied, useful = sub.activity(block.ops, self.varied,
                                      {r for r, _ in seeds} | set(pending))
        sub.varied, sub.needed = varied, varied & useful
        sub.terms.update(pending)
        self.builder.stack.append(Block())
        try:
            for r, d in seeds:
                if r in sub.needed:
                    sub.add_term(r, d)
            sub.sweep(block.ops)
            exported = {v: sub.sum_terms(v) for v in list(sub.terms)}
        finally:
            inner = self.builder.stack.pop()
        return inner, {v: d for v, d in exported.items() if d is not None}

    def backprop_if(self, op):
        """The adjoint of an if: the same test, each branch's adjoint in its branch.

        A value from before the if that gets gradient in one branch only gets
        zeros in the other, so that its gradient is defined on both paths.
        """
        douts = [None if o in self.stop else self.sum_terms(o) for o in op.outputs]
        (then_block, then_terms), (else_block, else_terms) = (
            self.branch(op.then_block, op.then_results, douts),
            self.branch(op.else_block, op.else_results, douts))
        outer = list(then_terms) + [v for v in else_terms if v not in then_terms]
        if not outer:
            return
        phis, then_results, else_results = [], [], []
        for v in outer:
            for block, terms, results in ((then_block, then_terms, then_results),
                                          (else_block, else_terms, else_results)):
                term = terms.get(v)
                if term is None and not self.exists_at(v, op):
                    term = Const(None)      # v exists only on a path this branch is not
                elif term is None:
                    self.builder.stack.append(block)
                    term = self.emit(helpers._sg_zeros_like, [v], '_zero', op.origin)
                    self.builder.stack.pop()
                results.append(term)
            phi = Value('d' + _bare(v.hint), op.origin, v.temp)
            self.fresh.add(phi)
            phis.append(phi)
        region = If(op.test, then_block, else_block, phis, then_results, else_results, op.origin)
        self.builder.append(region)
        self.adjoint_of[op] = region
        for v, phi in zip(outer, phis):
            self.add_term(v, phi)

    def backprop_loop(self, op):
        """The adjoint of a loop: the loop run backwards over what each iteration saved.

        The forward loop appends to a list (the tape) only the values of the
        iteration that its adjoint reads -- references, as forward values are
        never modified -- and the reverse loop walks that list backwards.
        Values made inside a branch of the body go on a tape of that branch,
        read back inside the branch's adjoint.  Gradients of values from before
        the loop accumulate across iterations in carried variables.
        """
        if op.adjoint is not None:
            raise TransformError('second derivatives through loops are not supported yet',
                                 op.origin)
        douts = [None if o in self.stop else self.sum_terms(o) for o in op.outputs]
        active = [i for i, phi in enumerate(op.phis)
                  if phi in self.varied and (douts[i] is not None or phi in self.needed)]
        if not active:
            return
        sub = self.child()
        sub.shapes.add(op.cond_block.ops)
        sub.shapes.add(op.body.ops)
        seeds = [v for i in active for v in values_in(op.nexts[i])]
        varied, useful = sub.activity([op], self.varied, set(seeds) | set(op.outputs))
        sub.varied = varied
        sub.needed = varied & useful
        # the reverse loop carries the gradient of each active variable backwards
        dphis = [Value('d' + _bare(op.phis[i].hint), op.origin, op.phis[i].temp) for i in active]
        self.fresh.update(dphis)
        rev = Block()
        self.builder.stack.append(rev)
        try:
            for i, d in zip(active, dphis):
                nxt = op.nexts[i]
                if isinstance(nxt, Value):
                    sub.add_term(nxt, d)
            sub.sweep(op.body.ops)
            dnexts = []
            for i in active:
                d = sub.sum_terms(op.phis[i])
                if d is None:
                    d = self.emit(helpers._sg_zeros_like, [op.phis[i]], '_zero', op.origin)
                dnexts.append(d)
            defined = set(_defined_inside(op)) | set(op.defined())
            outer = [v for v in list(sub.terms) if v not in defined]
            exported = {v: sub.sum_terms(v) for v in outer}
            outer = [v for v in outer if exported[v] is not None]
            accs = [Value('d' + _bare(v.hint), op.origin, v.temp) for v in outer]
            self.fresh.update(accs)
            acc_nexts = [self.accumulate(acc, exported[v], v, rev, op.origin)
                         for acc, v in zip(accs, outer)]
        finally:
            self.builder.stack.pop()
        # what each iteration must save: the forward values the reverse code reads
        targets = self.tape(op, rev)
        inits = []
        for i in active:
            inits.append(douts[i] if douts[i] is not None else
                         self.emit(helpers._sg_zeros_like, [op.outputs[i]], '_zero', op.origin))
        for v in outer:
            inits.append(self.emit(helpers._sg_zeros_like, [v], '_zero', op.origin))
        outputs = [Value('d' + _bare(op.inits[i].hint) if isinstance(op.inits[i], Value)
                         else '_dinit', op.origin, True) for i in active]
        outputs += [Value('d' + _bare(v.hint), op.origin, v.temp) for v in outer]
        self.fresh.update(outputs)
        tapes, saved = targets
        iterable = self.emit(prims.TAPE_REVERSED, tapes, '_reversed', op.origin)
        region = Loop('for', iterable, saved, dphis + accs, inits, dnexts + acc_nexts,
                      Block(), None, rev, outputs, None, op.origin)
        self.builder.append(region)
        for i, out in zip(active, outputs):
            if isinstance(op.inits[i], Value) and op.inits[i] in self.needed:
                self.add_term(op.inits[i], out)
        for v, out in zip(outer, outputs[len(active):]):
            self.add_term(v, out)

    def accumulate(self, acc, term, v, rev, origin):
        """acc + term for a value from before a loop, summed over its iterations.

        The accumulator starts as fresh zeros that nothing else holds, so it is
        added to in place (`dW += dW_1`); the gradient of `v[i]` goes straight
        into it (`dv[i] += g`) instead of through an array of zeros per iteration.
        """
        if v in self.lowering.ctx.lists or self.may_be_sequence(term):
            # entry by entry: `+=` on a list would concatenate
            return self.emit(helpers._sg_accumulate, [acc, term], '_acc', origin)
        scatter = _only_use_in(rev, term)
        if scatter is not None and len(scatter.args) == 3 and not scatter.kwargs:
            g, x, index = scatter.args
            if x is v:
                rev.ops.remove(scatter)
                new = self.emit(loop_helpers._sg_add_at, [acc, index, g], acc.hint, origin)
                return new
        return self.emit(prims.INPLACE_ADD, [acc, term], acc.hint, origin)

    def tape(self, op, rev):
        """Make the forward loop save what `rev` (its reverse body) reads.

        Returns (the body's tapes, the reverse loop's targets): a tape (a list)
        per saved value, walked backwards together.  Values made in branches of
        the body get tapes of their own, pushed at the end of the branch and
        popped at the start of the branch's adjoint.
        """
        scopes = [(op.body, rev, list(op.phis) + list(op.targets)
                   + [v for o in op.cond_block.ops for v in _outputs(o)])]
        for fwd in _ifs_in(op.body):
            adj = self.adjoint_of.get(fwd)
            if adj is not None:
                scopes.append((fwd.then_block, adj.then_block, []))
                scopes.append((fwd.else_block, adj.else_block, []))
        owner = {}
        for k, (fwd_block, _, extra) in enumerate(scopes):
            for v in extra + [v for o in fwd_block.ops for v in _outputs(o)]:
                owner[v] = k
        reads = [[] for _ in scopes]
        by_value = set()            # saved values whose contents (not just shape) are read
        for inner in walk(rev):
            for v, shape_only in _reads_with_kind(inner):
                k = owner.get(v)
                if k is not None and v not in reads[k]:
                    reads[k].append(v)
                if not shape_only or v in self.lowering.ctx.lists:
                    by_value.add(v)
        container = self.container.get(op)
        mapping = {}
        body_tapes, body_targets = None, None
        for k, (fwd_block, adj_block, _) in enumerate(scopes):
            if k and not reads[k]:
                continue
            saved = reads[k]
            # a value the reverse loop reads only for its shape and dtype is saved as
            # a zero-strided stand-in, so the tape keeps no copy of its contents
            pushed = []
            for v in saved:
                if v in by_value:
                    pushed.append(v)
                    continue
                proxy = Value('_shape_of_' + (v.hint or 'v').lstrip('_'), op.origin, True)
                fwd_block.ops.append(Op(helpers._sg_shape_of, [v], {}, [proxy], op.origin,
                                        'call', None))
                pushed.append(proxy)
            # one list per saved value (a list entry a step, no tuple a step); a body
            # that saves nothing still counts its iterations on one
            tapes = []
            for v in pushed or [None]:
                tape = Value('_tape_' + (v.hint or 'v').lstrip('_') if v is not None
                             else '_tape', op.origin, temp=False)
                container.ops.insert(container.ops.index(op),
                                     Op(prims.TAPE_NEW, [], {}, [tape], op.origin, 'call', None))
                fwd_block.ops.append(Op(prims.TAPE_PUSH, [tape, Const(None) if v is None else v],
                                        {}, [], op.origin, 'call', None))
                tapes.append(tape)
            copies = [Value(v.hint, v.origin, v.temp) for v in saved]
            mapping.update(zip(saved, copies))
            self.lowering.ctx.tape_copies.update(zip(copies, saved))
            if k == 0:
                body_tapes, body_targets = tapes, copies or [Value('_', op.origin, True)]
            else:
                for tape, copy in reversed(list(zip(tapes, copies))):
                    adj_block.ops.insert(0, Op(prims.TAPE_POP, [tape], {}, [copy], op.origin,
                                               'call', self.builder.adjoint))
        for inner in rev.ops:
            inner.replace_inputs(lambda v: mapping.get(v, v))
        return body_tapes, body_targets

    def exists_at(self, v, op):
        """Is v defined on every path that reaches op (its block encloses op)?"""
        home = self.def_block.get(v)
        if home is None:
            return True                     # a parameter, or from before the code swept
        block = self.container.get(op)
        while block is not None:
            if block is home:
                return True
            region = self.region_of.get(block)
            block = self.container.get(region) if region is not None else None
        return False

    def unconnected(self, x, mode):
        if mode == 'none':
            return Const(None)
        if isinstance(x, Value):
            return self.emit(helpers._sg_zeros_like, [x], 'd' + _bare(x.hint),
                             self.block.origin, temp=False)
        return Const(0.0)

    def backprop(self, op, douts):
        if op.prim in (prims.ALIAS, prims.GATE):
            for inp, d in zip(op.args, douts):
                self.distribute(inp, d, op)
            return
        rule = registry.lookup(op.prim)
        if rule is None:
            raise no_gradient_error(_prim_name(op), op.origin)
        if rule.multi_output and len(op.outputs) == 1 and op.prim is not prims.UNPACK:
            # one output holding a sequence (np.split's list): its gradient is a pack
            dy = douts[0]
            if not isinstance(dy, Pack) and info(op.prim).one_result_form:
                dy = Pack('tuple', [dy])        # svd(a, compute_uv=False): just S
            elif not isinstance(dy, Pack):
                raise TransformError(f'cannot differentiate {_prim_name(op)} here: the number '
                                     f'of its results is not known when transforming', op.origin)
        elif rule.multi_output:
            dy = Pack('tuple', [d if d is not None else
                                self.emit(helpers._sg_zeros_like, [o], '_zero', op.origin)
                                for d, o in zip(douts, op.outputs)])
        else:
            dy = douts[0]
        start = len(self.builder.block.ops)
        self.builder.origin_override = op.origin
        self.builder.shape_facts = self.shapes      # a rule may ask static_ndim(x)
        try:
            grads = template.expand(rule, op, dy, self.rule_lowering, _prim_name(op))
        finally:
            self.builder.origin_override = None
            self.builder.shape_facts = None
        for new in self.builder.block.ops[start:]:
            self.fresh.update(new.outputs)
            for out in new.outputs:
                self.producer_of[out] = new
        wanted = [(inp, g) for inp, g in grads
                  if g is not None and any(v in self.needed for v in values_in(inp))]
        if self.block.gate and len(wanted) > 1:
            gated = [g for _, g in wanted if isinstance(g, Value)]
            outs = self.builder.emit(prims.GATE, gated, {}, op.origin, '_gated', n_out=len(gated))
            outs = outs if isinstance(outs, list) else [outs]
            self.fresh.update(outs)
            remap = dict(zip(gated, outs))
            wanted = [(inp, remap.get(g, g)) for inp, g in wanted]
        broadcasting = rule.broadcasts
        for inp, g in wanted:
            # the rule's gradient has the op's result shape; sum it back to the
            # input's shape unless the shapes are equal by construction
            if broadcasting and isinstance(inp, Value) and isinstance(g, Value) \
                    and not self.shapes.same(inp, op.outputs[0]) \
                    and not self.shapes.unbatched_product(op):
                g = self.sum_back(g, inp, op)
            self.distribute(inp, g, op)

    def sum_back(self, g, inp, op):
        """Sum gradient `g` (the op's result shape) back to `inp`'s shape.

        When a specialisation knows both shapes, the sums are written out
        (`d.sum(axis=0)`: d is an array then, and the method skips np.sum's
        Python-level dispatch, which shows in loops over small arrays);
        otherwise the run-time helper finds them.
        """
        out_shape = self.shapes.shape_of(op.outputs[0])
        in_shape = self.shapes.shape_of(inp)
        elementwise = isinstance(op.prim, np.ufunc) and op.prim is not np.matmul or \
            op.prim in (np.where, np.clip)          # (their gradients have the result's shape)
        if not elementwise or out_shape is None or in_shape is None or \
                len(in_shape) > len(out_shape):
            return self.emit(helpers._sg_unbroadcast, [g, inp], '_unbroadcast', op.origin)
        lead = len(out_shape) - len(in_shape)
        kept = tuple(k for k, n in enumerate(in_shape) if n == 1 and out_shape[lead + k] != 1)
        if lead:
            axis = Const(0 if lead == 1 else tuple(range(lead)))
            g = self.builder.emit(np.sum, [g], {'axis': axis}, op.origin, '_sum',
                                  style=('method', 'sum'))
            self.fresh.add(g)
        if kept:
            axis = Const(kept[0] if len(kept) == 1 else kept)
            g = self.builder.emit(np.sum, [g], {'axis': axis, 'keepdims': Const(True)},
                                  op.origin, '_sum', style=('method', 'sum'))
            self.fresh.add(g)
        return g

    def rule_lowering(self, src, env):
        from ..ir.lower import FunctionLowering
        return FunctionLowering(self.lowering.ctx, self.builder, src, env, gradients_site=None)

    def distribute(self, inp, g, op):
        """Add gradient `g` to the terms of operand `inp` (a value or a pack of them)."""
        if g is None:
            return
        if isinstance(inp, Value):
            if inp in self.needed:
                self.add_term(inp, g)
            return
        if isinstance(inp, Pack):
            if isinstance(g, Value):
                parts = self.builder.emit(prims.UNPACK, [g], {}, op.origin, '_part',
                                          n_out=len(inp.items))
                parts = parts if isinstance(parts, list) else [parts]
                self.fresh.update(parts)
                g = Pack('tuple', parts)
            if not isinstance(g, Pack) or len(g.items) != len(inp.items):
                raise TransformError(f'gradient rule for {_prim_name(op)} returned a gradient '
                                     f'of the wrong structure', op.origin)
            for item, gi in zip(inp.items, g.items):
                if not (isinstance(gi, Const) and gi.value is None):
                    self.distribute(item, gi, op)

    def add_term(self, v, g):
        self.terms.setdefault(v, []).append(g)

    def sum_terms(self, v):
        """The total gradient of `v`: all its terms summed (once), as the block asks."""
        if v in self.total:
            return self.total[v]
        terms = self.terms.pop(v, [])
        if not terms:
            self.total[v] = None
            return None
        hint = 'd' + _bare(v.hint)
        temp = v.temp
        if len(terms) == 1:
            total = terms[0]
            self.rename(total, hint, temp)
        else:
            for k, term in enumerate(terms, 1):
                self.rename(term, f'{hint}_{k}', temp)
            # the gradient of a list or tuple (a run-time sequence) adds entry by entry
            if v in self.lowering.ctx.lists or any(self.may_be_sequence(t) for t in terms):
                total = terms[0]
                for term in terms[1:]:
                    total = self.emit(helpers._sg_accumulate, [total, term], hint, v.origin,
                                      temp=temp)
            else:
                total = self.aggregate(terms, hint, temp, v.origin)
        self.total[v] = total
        return total

    def may_be_sequence(self, term):
        """Can this gradient term be a list or tuple when the code runs?"""
        op = self.producer_of.get(term)
        return op is not None and info(getattr(op, 'prim', None)).sequence_gradient

    def rename(self, term, hint, temp):
        if isinstance(term, Value) and term in self.fresh and term.temp:
            term.hint, term.temp = hint, temp

    def aggregate(self, terms, hint, temp, origin):
        method = self.block.aggregation
        AM = interface.AggregationMethod
        if method == AM.EXPERIMENTAL_TREE:
            level = list(terms)
            while len(level) > 1:
                nxt = []
                for i in range(0, len(level) - 1, 2):
                    last = len(level) == 2
                    nxt.append(self.add(level[i], level[i + 1], hint if last else '_pair',
                                        temp if last else True, origin, keep=True))
                if len(level) % 2:
                    nxt.append(level[-1])
                level = nxt
            return level[0]
        if method == AM.EXPERIMENTAL_ACCUMULATE_N:
            acc = self.add(terms[0], terms[1], hint, temp, origin, keep=True)
            for term in terms[2:]:
                acc = self.emit(prims.INPLACE_ADD, [acc, term], hint, origin, temp=temp)
            return acc
        total = terms[0]
        for k, term in enumerate(terms[1:], 2):
            last = k == len(terms)
            total = self.add(total, term, hint if last else '_sum', temp if last else True, origin)
        return total

    def add(self, a, b, hint, temp, origin, keep=False):
        if isinstance(a, Const) and isinstance(b, Const):
            return Const(a.value + b.value)
        v = self.builder.emit(np.add, [a, b], {}, origin, hint, style=('operator', '+'),
                              temp=temp and not keep)
        self.fresh.add(v)
        return v

    def emit(self, prim, args, hint, origin, temp=True):
        v = self.builder.emit(prim, args, {}, origin, hint, temp=temp)
        self.fresh.add(v)
        return v


def _only_use_in(block, value):
    """The `_sg_scatter_add` op of `block` defining `value`, if nothing else reads value."""
    if not isinstance(value, Value):
        return None
    producer = None
    for op in block.ops:
        if value in op.outputs:
            producer = op
        elif value in op.inputs() or isinstance(op, (If, Loop)):
            return None if value in _reads_anywhere(op) else producer
    if producer is not None and getattr(producer, 'prim', None) is helpers._sg_scatter_add:
        return producer
    return None


def _reads_anywhere(op):
    found = set(op.inputs())
    if isinstance(op, (If, Loop)):
        for block in op.blocks():
            for inner in walk(block):
                found.update(inner.inputs())
    return found


def _containers(block, found, region_of, def_block):
    """op -> the block holding it; block -> its region; value -> the block defining it."""
    for op in block.ops:
        found[op] = block
        for out in op.outputs:
            def_block[out] = block
        if isinstance(op, Loop):
            for v in op.defined():
                def_block[v] = op.body
        if isinstance(op, (If, Loop)):
            for inner in op.blocks():
                region_of[inner] = op
                _containers(inner, found, region_of, def_block)


def _merged_from(ops):
    """value -> the values an if or a loop may give it (its branches' results, its
    value before the loop and after an iteration), over these ops and their regions."""
    merged = {}
    for op in walk(Block(ops)):
        if isinstance(op, If):
            for out, a, b in zip(op.outputs, op.then_results, op.else_results):
                merged[out] = (a, b)
        elif isinstance(op, Loop):
            for out, phi, init, nxt in zip(op.outputs, op.phis, op.inits, op.nexts):
                merged[out] = merged[phi] = (init, nxt)
    return merged


def _may_merge_a_non_float(y, merged_from):
    """Can an output made by ifs and loops be, on some path, a constant that is not a
    float (`return "done"` on one path, a float on another)?  Then sg.grad checks it
    when it runs."""
    seen, stack = set(), [y]
    while stack:
        v = stack.pop()
        if isinstance(v, Const):
            if not isinstance(v.value, (float, np.floating, np.ndarray)):
                return True
        elif isinstance(v, Value) and v not in seen:
            seen.add(v)
            stack.extend(merged_from.get(v, ()))
    return False


def _ifs_in(block):
    """The ifs in a loop body, nested ifs included, inner loops not entered."""
    for op in block.ops:
        if isinstance(op, If):
            yield op
            for inner in op.blocks():
                yield from _ifs_in(inner)


def _outputs(op):
    outs = list(op.outputs)
    if isinstance(op, Loop):
        outs += op.defined()
    return outs


def _reads_with_kind(op):
    """(value, read only for its shape?) for each value an op or region reads directly."""
    if isinstance(op, (Loop, If)):
        return [(v, False) for v in _reads(op)]
    found = []
    for k, arg in enumerate(op.args):
        shape_only = k in info(op.prim).shape_only
        found.extend((v, shape_only) for v in values_in(arg))
    for arg in op.kwargs.values():
        found.extend((v, False) for v in values_in(arg))
    return found


def _reads(op):
    """Values an op or region reads directly (a region's own operands, not its blocks')."""
    if isinstance(op, Loop):
        operands = [op.iterable, op.cond, op.exit] + list(op.inits) + list(op.nexts)
    elif isinstance(op, If):
        operands = [op.test] + [r for r in op.then_results + op.else_results if r is not None]
    else:
        operands = op.operands()
    return [v for operand in operands for v in values_in(operand)]


def _defined_inside(region):
    found = []
    for block in region.blocks():
        for op in walk(block):
            found.extend(op.outputs)
            if isinstance(op, Loop):
                found.extend(op.defined())
    return found


def _blocks_gradient(op):
    if isinstance(op, If):
        return False
    prim = op.prim
    return prim is interface.stop_gradient or registry.is_constant(prim)


def _bare(hint):
    return hint or 'value'


def _prim_name(op):
    style = op.style
    if isinstance(style, tuple) and len(style) > 1 and style[0] == 'call' and style[1]:
        return style[1]
    prim = op.prim
    module = getattr(prim, '__module__', None)
    name = getattr(prim, '__name__', None) or repr(prim)
    if module and module.split('.')[0] in ('numpy', 'scipy') or isinstance(prim, type(abs)):
        return f'{module}.{name}' if module and module != 'builtins' else name
    return name


# ---- the `gradients(...)` call site --------------------------------------------

_SIGNATURE = inspect.signature(interface.gradients)


def gradients_site(lowering, args, kwargs, node):
    """Lower `sg.gradients(...)` at `node`: validate the arguments, emit the adjoint."""
    origin = lowering.origin(node)
    where = f' ({origin.long})'
    try:
        bound = _SIGNATURE.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f'gradients(): {exc}{where}') from None
    bound.apply_defaults()
    a = {k: v if isinstance(v, (Const, Value, Pack)) else Const(v)
         for k, v in bound.arguments.items()}

    def static(key):
        operand = a[key]
        if isinstance(operand, Const):
            return operand.value
        if isinstance(operand, (Value, Pack)) and key in ('ys', 'xs', 'grad_ys', 'stop_gradients'):
            return operand
        raise TransformError(f'gradients(): {key} must be known when the function is '
                             f'transformed (a constant), not a run-time value', origin)

    def as_list(key):
        operand = a[key]
        if isinstance(operand, Const) and operand.value is None:
            return None
        if isinstance(operand, Pack) and operand.kind in ('list', 'tuple'):
            items = operand.items
        elif isinstance(operand, Const) and isinstance(operand.value, (list, tuple)):
            items = [Const(v) for v in operand.value]
        else:
            items = [operand]
        for item in items:
            if isinstance(item, Pack):
                raise ValueError(f'gradients(): {key} must be a value or a flat list of '
                                 f'values{where}')
        return items

    ys = as_list('ys') or []
    xs = as_list('xs') or []
    for x in xs:
        op = lowering.producing_op(x) if isinstance(x, Value) else None
        if op is not None and op.prim is prims.GETITEM and op.args[0] in lowering.ctx.lists:
            # (an item known here is that value itself: see lower.known_item)
            raise TransformError('gradients(): an item of a list built when the code runs '
                                 '(appended in a loop) as an x is not supported: it is '
                                 'read from the list here, not the value the loop made; '
                                 'differentiate with respect to a value known before the '
                                 'loop', origin)
    if not xs:
        raise ValueError(f'gradients(): xs is empty{where}')
    grad_ys = as_list('grad_ys')
    if grad_ys is not None and len(grad_ys) != len(ys):
        raise ValueError(f'gradients(): Passed {len(grad_ys)} grad_ys for {len(ys)} ys{where}')
    stop = as_list('stop_gradients') or []
    unconnected = static('unconnected_gradients')
    try:
        unconnected = interface.UnconnectedGradients(
            unconnected.value if isinstance(unconnected, interface.UnconnectedGradients)
            else unconnected).value
    except (ValueError, TypeError):
        raise ValueError(f'gradients(): Unknown value for unconnected_gradients: '
                         f'{unconnected!r}{where}') from None
    method = static('aggregation_method')
    AM = interface.AggregationMethod
    if method is None:
        method = AM.ADD_N
    if method not in (AM.ADD_N, AM.EXPERIMENTAL_TREE, AM.EXPERIMENTAL_ACCUMULATE_N) \
            or isinstance(method, bool):
        raise ValueError(f'gradients(): Invalid aggregation_method specified '
                         f'{method!r}{where}')
    gate = static('gate_gradients')
    if not isinstance(gate, (bool, int)) or gate not in (0, 1):
        raise ValueError(f'gradients(): gate_gradients must be True or False{where}')
    name = static('name')
    if name is None:
        name = 'gradients'
    if not isinstance(name, str):
        raise ValueError(f'gradients(): name must be a string{where}')
    name = str.__str__(name)        # (it goes into a comment: codegen escapes it)
    grads = differentiate(lowering, ys, xs, grad_ys, stop, unconnected, method, bool(gate),
                          name, origin)
    return Pack('list', grads)
