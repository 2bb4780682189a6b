"""The reverse sweep over straight-line code: each op's rule, last op first.

An op whose outputs got gradient, and whose inputs depend on an x, has its
gradient rule's template expanded right here (rules/template.py, lowered by
the lowering the AD runs inside: ad/lowering.py); the gradients it returns
are summed back to their inputs' shapes where a broadcast happened and
become terms of the inputs (ad/terms.py).  A region (an if, a loop) is
handed to its own adjoint rule (ad/control.py).
"""
import numpy as np

from ..errors import TransformError, no_gradient_error
from ..ir import prims
from ..ir.nodes import Block, Const, If, Loop, Pack, Value, values_in
from ..ir.primitives import info
from ..rules import registry, template
from ..runtime import containers, helpers
from . import control, tape_adjoint
from .checkpoint import calls_in, recompute
from .activity import blocks_gradient
from .terms import Terms

class Sweep(Terms):
    """One reverse sweep (or a region's block of it): pending terms and what is known.

    Set before sweeping: `varied`, `needed` (activity: the values an adjoint
    flows to), `shapes` (analyses.shapes.ShapeClasses of the forward code),
    and the places of ops and values (`locate`).
    """

    def __init__(self, lowering, block, stop):
        super().__init__(lowering, block)
        self.stop = stop
        self.adjoint_of = {}    # forward if -> its adjoint if (for tapes in loops)
        self.gradient_tapes = {}    # tape -> the tape of its reads' gradients (tape_adjoint)
        self.gradient_pushed = {}   # gradient tape -> the gradient pushed on it
        self.tapes_home = None      # (block, index): where gradient tapes are created
        self.needed_tapes = set()   # tapes whose reads get gradient: their pushes' values do

    def locate(self, blocks):
        """Index where each op and value of `blocks` lives (see `exists_at`)."""
        self.container, self.region_of, self.def_block = {}, {}, {}
        for block in blocks:
            _containers(block, self.container, self.region_of, self.def_block)

    def locate_more(self, block, ops):
        """Index ops added to `block` (and what they hold) as `locate` does."""
        _containers(Block(ops), self.container, self.region_of, self.def_block)
        for op in ops:
            self.container[op] = block
            for out in op.outputs:
                self.def_block[out] = block

    def child(self):
        """A sweep of a region's block: its own pending terms, the rest shared."""
        sub = Sweep(self.lowering, self.block, self.stop)
        for name in ('fresh', 'shapes', 'container', 'adjoint_of', 'varied',
                     'region_of', 'def_block', 'producer_of', 'gradient_tapes',
                     'gradient_pushed', 'tapes_home', 'needed_tapes'):
            setattr(sub, name, getattr(self, name))
        return sub

    def sweep(self, ops):
        """Emit the adjoint of `ops`, last op first; an sg.checkpoint helper's call
        by computing it again (ad/checkpoint.py)."""
        for call, run in reversed(calls_in(ops)):
            if call is not None:
                recompute(self, run, call)
            else:
                self.sweep_op(run[0])

    def sweep_op(self, op):
        """Emit the adjoint of one op or region."""
        adjoint = control.ADJOINTS.get(type(op))
        if adjoint is not None:
            adjoint(self, op)
            return
        if op.prim is prims.TAPE_PUSH:
            tape_adjoint.pop_gradient(self, op)
            return
        if op.prim is prims.TAPE_POP:
            d = self.sum_terms(op.output) if op.output in self.terms else None
            if d is not None:
                tape_adjoint.push_gradient(self, op.args[0], d, op.origin, op)
            return
        if not any(o in self.terms for o in op.outputs):
            return
        douts = [self.sum_terms(o) for o in op.outputs]
        if all(d is None for d in douts) or blocks_gradient(op):
            return
        if any(o in self.stop for o in op.outputs):
            return
        if not any(v in self.needed for v in op.inputs()):
            return
        self.backprop(op, douts)

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

    def backprop(self, op, douts):
        """Expand `op`'s gradient rule for its outputs' gradients `douts`."""
        if op.prim in (prims.ALIAS, prims.GATE):
            for inp, d in zip(op.args, douts):
                self.distribute(inp, d, op)
            return
        rule = registry.lookup(op.prim)
        if rule is None:
            raise no_gradient_error(prim_name(op), op.origin)
        if rule.multi_output and len(op.outputs) == 1 and op.prim is not prims.UNPACK:
            # one output holding a sequence (np.split's list): its gradient is a pack
            dy = douts[0]
            if not isinstance(dy, Pack) and info(op.prim).one_result_form:
                dy = Pack('tuple', [dy])        # svd(a, compute_uv=False): just S
            elif not isinstance(dy, Pack):
                raise TransformError(f'cannot differentiate {prim_name(op)} here: the number '
                                     f'of its results is not known when transforming', op.origin)
        elif rule.multi_output:
            dy = Pack('tuple', [d if d is not None else
                                self.emit(helpers._sg_zeros_like, [o], '_zero', op.origin)
                                for d, o in zip(douts, op.outputs)])
        else:
            dy = douts[0]
        start = len(self.builder.block.ops)
        self.builder.origin_override = op.origin
        try:
            grads = template.expand(rule, op, dy, self.lower_rule, prim_name(op))
        finally:
            self.builder.origin_override = None
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

    def lower_rule(self, src, env):
        """Lower a rule's template here; a rule may ask static_ndim(x) of the shapes."""
        return self.lowering.lower_rule(src, env, self.shapes)

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

    def distribute(self, inp, g, op):
        """Add gradient `g` to the terms of operand `inp` (a value or a pack of them)."""
        if g is None:
            return
        if isinstance(inp, Value):
            if inp in self.needed:
                self.add_term(inp, g)
            return
        if isinstance(inp, Pack):
            if isinstance(g, Value) and inp.kind == 'dict':
                # a dict's gradient, keyed when it reaches here at run time: its
                # entries in the order of the dict's items
                g = self.builder.emit(containers._sg_dict_entries,
                                      [g, Const(tuple(inp.keys)), Pack('tuple', inp.items)],
                                      {}, op.origin, '_entries')
                self.fresh.add(g)
            if isinstance(g, Value) and inp.kind != 'dict' and \
                    op.prim in (prims.SETITEM, prims.LIST_APPEND, prims.LIST_NEW) and \
                    getattr(self.producer_of.get(g), 'prim', None) is not helpers._sg_list_entries:
                # the gradient of a list put into a list (`hist[l] = [h, c]`, `[[h, c]]`),
                # made when the code runs: None where an entry has none
                g = self.builder.emit(helpers._sg_list_entries, [g, Pack('tuple', inp.items)],
                                      {}, op.origin, '_entries')
                self.fresh.add(g)
            if isinstance(g, Value):
                parts = self.builder.emit(prims.UNPACK, [g], {}, op.origin, '_part',
                                          n_out=len(inp.items))
                parts = parts if isinstance(parts, list) else [parts]
                self.fresh.update(parts)
                g = Pack('tuple', parts)
            if not isinstance(g, Pack) or len(g.items) != len(inp.items):
                raise TransformError(f'gradient rule for {prim_name(op)} returned a gradient '
                                     f'of the wrong structure', op.origin)
            for item, gi in zip(inp.items, g.items):
                if not (isinstance(gi, Const) and gi.value is None):
                    self.distribute(item, gi, op)


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


def prim_name(op):
    """How an error names the op's primitive: as the user spelled the call, or
    `numpy.linalg.svd`."""
    style = op.style
    if isinstance(style, tuple) and len(style) > 1 and style[0] == 'call' and style[1]:
        return style[1]
    prim = op.prim
    module = getattr(prim, '__module__', None)
    name = getattr(prim, '__name__', None) or repr(prim)
    if module and module.split('.')[0] in ('numpy', 'scipy') or isinstance(prim, type(abs)):
        return f'{module}.{name}' if module and module != 'builtins' else name
    return name
