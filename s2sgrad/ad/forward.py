"""Forward mode over the IR: each op followed by its tangent, in order.

`Forward.run(ops)` appends the ops of a forward code, in order, to the
lowering's builder, and after each op whose inputs have a tangent the ops that
compute its outputs' tangents, from the op's tangent rule
(rules/registry.py: `register_tangent`): a template lowered like a gradient
rule, or a derivation from the gradient rule (a linear op applied to the
tangents, a product summed over its factors' tangents, an elementwise
gradient applied to the tangent).  A branch is rebuilt with each output's
tangent yielded beside it; a loop carries each carried value's tangent
beside the value: forward mode needs no tape.  The tangents are ordinary IR:
the passes and codegen print them as they print the rest.
"""
import contextlib
import dataclasses

import numpy as np

from ..errors import TransformError, no_tangent_error
from ..ir import prims
from ..ir.nodes import Block, Const, If, Loop, Pack, Value, values_in
from ..rules import registry, template
from ..runtime import helpers, objects, tangents
from .activity import activity, blocks_gradient
from .sweep import prim_name
from .tangent_tapes import TangentTapes, refuse_schedule
from .terms import grad_hint


# reductions with a real result of complex values (not holomorphic): refused where
# complex values may flow
REAL_OF_COMPLEX = frozenset({np.var, np.std, np.nanvar, np.nanstd, np.linalg.norm})

# writes into memory (passes.inplace may make them in place): their tangents (linear,
# never reading the result) are computed before them
WRITES = (prims.SETITEM, prims.LIST_APPEND)


@dataclasses.dataclass(eq=False)
class TangentCode:
    """What the ops forward mode adds are (their `adjoint`): derivative code, which
    reads the values of the code it follows as they were when made (as an
    adjoint does: passes.inplace copies before a write where they are read
    later), printed under the user's line it follows, without a banner
    (`in_user_lines`)."""

    name: str
    ys: list
    xs: list
    in_user_lines = True


class Forward:
    """One forward-mode transformation: the tangent of each value computed so far.

    `seeds` maps the values that vary (the parameters) to their tangents;
    `shapes` (analyses.shapes.ShapeClasses of the forward code) tells where
    a tangent already has its output's shape.
    """

    def __init__(self, lowering, ops, seeds, outputs, shapes, complex_values=False):
        self.lowering = lowering
        self.complex_values = complex_values    # complex values may flow through the code
        self.builder = lowering.builder
        self.shapes = shapes
        self.tangent = dict(seeds)
        # the values whose tangents are needed: they vary with the seeds, and the
        # outputs depend on them (not what goes only into a stop_gradient)
        varied, useful = activity(ops, seeds, outputs, ())
        self.varied = varied & useful
        self.code = TangentCode('tangents', [], list(seeds))
        self.producer = {}
        self.tapes = TangentTapes(self)

    @contextlib.contextmanager
    def emitting(self, origin=None):
        """Ops emitted inside are tangent code (of the user's line `origin`, if given)."""
        saved = self.builder.adjoint, self.builder.origin_override
        self.builder.adjoint = self.code
        if origin is not None:
            self.builder.origin_override = origin
        try:
            yield
        finally:
            self.builder.adjoint, self.builder.origin_override = saved

    # ---- what a value's tangent is --------------------------------------------
    def of(self, operand):
        """The tangent of an operand: a Value, a Pack of them, or None (no tangent)."""
        if isinstance(operand, Value):
            return self.tangent.get(operand)
        if isinstance(operand, Pack) and any(self.of(item) is not None for item in operand.items):
            return Pack(operand.kind, [self.of_or_zero(item) for item in operand.items],
                        operand.keys)
        return None

    def of_or_zero(self, operand, origin=None):
        """The tangent of an operand, zeros of its shape where it has none."""
        tangent = self.of(operand)
        if tangent is not None:
            return tangent
        if isinstance(operand, Const):
            return Const(_zero_like(operand.value))
        if isinstance(operand, Pack):
            return Pack(operand.kind, [self.of_or_zero(item, origin) for item in operand.items],
                        operand.keys)
        made = self.producer.get(operand)
        if made is not None and made.prim is prims.LIST_NEW:
            # a list made here (appended to in a loop): a list of its items' tangents
            with self.emitting():
                return self.builder.emit(prims.LIST_NEW, [self.of_or_zero(made.args[0])], {},
                                         made.origin, grad_hint(operand), temp=False)
        with self.emitting():
            return self.builder.emit(tangents._sg_zero_tangent, [operand], {},
                                     origin or operand.origin, '_zero')

    # ---- the walk ---------------------------------------------------------------
    def run(self, ops):
        for op in ops:
            if isinstance(op, If):
                self.branch(op)
            elif isinstance(op, Loop):
                self.loop(op)
            elif self.tapes.handles(op):
                self.tapes.op(op)
            else:
                refuse_schedule(self, op)
                wanted = any(v in self.tangent for v in op.inputs()) and \
                    any(o in self.varied for o in op.outputs)
                if wanted and op.prim in WRITES:
                    # a write's tangent first: the tangents folded into it (written
                    # into its statement) read the values before the write, as made
                    self.op(op)
                    self.builder.block.append(op)
                    continue
                self.builder.block.append(op)
                for out in op.outputs:
                    self.producer[out] = op
                if wanted:
                    self.op(op)

    def op(self, op):
        if op.prim in (prims.ALIAS, prims.GATE):
            for inp, out in zip(op.args, op.outputs):
                self.name(out, self.of(inp))
            return
        if blocks_gradient(op):
            return
        rule = registry.lookup_tangent(op.prim)
        gradient = registry.lookup(op.prim)
        if rule is None or (rule.kind != 'template' and gradient is None):
            raise no_tangent_error(prim_name(op), op.origin)
        start = len(self.builder.block.ops)
        with self.emitting(op.origin):
            if gradient is not None:        # its static arguments checked (out=None, ...)
                template.bind(gradient, op, prim_name(op))
            tangents = getattr(self, rule.kind)(rule, gradient, op)
            if gradient is not None and gradient.broadcasts and len(op.outputs) == 1 \
                    and rule.kind != 'multilinear':    # (a product's terms have every factor)
                tangents = [self.broadcast(tangents[0], op)]
        fresh = {o for new in self.builder.block.ops[start:] for o in new.outputs}
        for out, t in zip(op.outputs, tangents):
            self.name(out, t, fresh)

    def name(self, out, t, fresh=()):
        """Record `t` as the tangent of `out`, named after it when made here (`dh`)."""
        if t is None or isinstance(t, Const) and t.value is None:
            return
        if isinstance(t, Value) and t in fresh:
            t.hint, t.temp = grad_hint(out), out.temp
        self.tangent[out] = t

    # ---- each kind of tangent rule ----------------------------------------------
    def template(self, rule, gradient, op):
        """A tangent rule's template: dx (one, or a tuple: None where absent) -> dy."""
        bound = template.bind(rule, op, prim_name(op))
        # the differentiable inputs: the gradient rule's (it marks the static ones)
        wanted = gradient.differentiable if gradient is not None else \
            [name for name, _, diff, _ in rule.params if diff]
        dxs = [self.of(bound[name]) if isinstance(bound[name], (Value, Pack)) else None
               for name in wanted]
        result = self.expand(rule.fn, op, dxs, rule.multi_output)
        if not rule.multi_output:
            return [result]
        if not isinstance(result, Pack) or len(result.items) != len(op.outputs):
            raise TransformError(f'tangent rule {rule.fn.__name__} must return one tangent '
                                 f'per output', op.origin)
        return list(result.items)

    def expand(self, fn, op, dxs, multi_output=False):
        """The template `fn(dx, y, *inputs)` of op, for the tangents `dxs` of its
        differentiable inputs (None where one has none; one: dx itself, else a tuple)."""
        bound = template.bind(registry.TangentRule(op.prim, 'template', fn, multi_output),
                              op, prim_name(op))
        src = template.capture(fn)
        dx_name, y_name = list(src.fn.__code__.co_varnames[:2])
        dxs = [Const(None) if d is None else d for d in dxs]
        env = dict(bound)
        env[dx_name] = dxs[0] if len(dxs) == 1 else Pack('tuple', dxs)
        env[y_name] = Pack('tuple', op.outputs) if multi_output else op.outputs[0]
        return self.lowering.lower_rule(src, env, self.shapes)

    def linear(self, rule, gradient, op):
        """The op itself, of the tangents of its differentiable inputs (zeros where none).
        A result of an integer dtype is a constant; of a dtype known when the code
        runs, a constant there if it is not a float (`_sg_if_inexact`)."""
        dtype = template.bind(gradient, op, prim_name(op)).get('dtype')   # (any position)
        if isinstance(dtype, Const) and not _inexact(dtype.value):
            return [None]
        args, kwargs = self.substituted(gradient, op, lambda slot: True, rule.constant,
                                        rule.shape_only)
        tangents = self.emit_like(op, args, kwargs)
        if dtype is None or isinstance(dtype, Const):
            return tangents
        return [self.builder.emit(helpers._sg_if_inexact, [t, y], {}, op.origin, '_tangent')
                for t, y in zip(tangents, op.outputs)]

    def multilinear(self, rule, gradient, op):
        """Sum over the differentiable inputs with a tangent: the op, that one replaced."""
        terms = []
        for place, operand in self.slots(gradient, op, rule.shape_only):
            if self.of(operand) is None:
                continue
            args, kwargs = self.substituted(gradient, op, lambda p, place=place: p == place,
                                            ignored=rule.shape_only)
            terms.append(self.emit_like(op, args, kwargs)[0])
        return [self.total(terms, op)]

    def diagonal(self, rule, gradient, op):
        """Elementwise: the gradient rule, fed each input's tangent as its dy, gives
        that input's contribution (a diagonal Jacobian is its own transpose)."""
        terms = []
        for k, (bound, grad) in enumerate(_gradient_rule_inputs(gradient, op)):
            tangent = self.of(bound)
            if k and tangent is not None and not gradient.broadcasts:
                # (an option such as nan_to_num's nan= fills places: its gradient is
                # summed by the rule, so not its own transpose)
                raise no_tangent_error(f'{prim_name(op)} with a varying option', op.origin)
            if tangent is None or isinstance(bound, Pack):
                if isinstance(bound, Pack) and tangent is not None:
                    raise no_tangent_error(prim_name(op), op.origin)
                continue
            expanded = template.expand(gradient, op, tangent, self.lowering_rule,
                                       prim_name(op))
            contribution = expanded[k][1]
            if contribution is not None:
                terms.append(contribution)
        return [self.total(terms, op)]

    def reduction(self, rule, gradient, op):
        """Each output element reduces its own fibre of `a` along `axis`: the gradient
        rule for dy = 1 gives each element's partial; the tangent sums their products
        with the tangent along the fibre."""
        if self.complex_values and op.prim in REAL_OF_COMPLEX:
            # (their partials, read from the gradient rule, hold for real inputs only)
            raise no_tangent_error(f'{prim_name(op)} of values that may be complex',
                                   op.origin)
        bound = template.bind(gradient, op, prim_name(op))
        first, *others = gradient.differentiable
        varying = [name for name in others if self.of(bound[name]) is not None]
        if varying and rule.options is None:
            raise no_tangent_error(f'{prim_name(op)} with a varying {varying[0]}=', op.origin)
        terms = []
        if self.of(bound[first]) is not None:
            terms.append(self.fibre_sum(rule, gradient, op, bound, first))
        if varying:         # (the options' part: their template)
            terms.append(self.expand(rule.options, op, [self.of(bound[name]) for name in others]))
        return [self.total([t for t in terms if t is not None], op)]

    def fibre_sum(self, rule, gradient, op, bound, first):
        """The tangent a reduction's first input gives: its partials (the gradient rule
        for dy = 1) times its tangent, summed along each fibre."""
        ones = self.builder.emit(helpers._sg_ones_like, [op.outputs[0]], {}, op.origin, '_ones')
        partial = template.expand(gradient, op, ones, self.lowering_rule, prim_name(op))[0][1]
        if partial is None:
            return None         # (piecewise constant: the number of nonzeros)
        a, tangent = bound[first], self.of(bound[first])
        if rule.skips_nan:      # (0 * nan is nan: a NaN element's tangent left out)
            nan = self.builder.emit(np.isnan, [a], {}, op.origin, '_nan')
            tangent = self.builder.emit(np.where, [nan, Const(0.0), tangent], {}, op.origin,
                                        '_tangent')
        product = self.builder.emit(np.multiply, [partial, tangent], {},
                                    op.origin, '_tangent', style=('operator', '*'))
        options = {name: bound[name] for name, default in (('axis', None), ('keepdims', False))
                   if name in bound and not (isinstance(bound[name], Const)
                                             and bound[name].value is default)}
        return self.builder.emit(np.sum, [product], options, op.origin, '_tangent')

    # ---- helpers of the kinds -------------------------------------------------
    def lowering_rule(self, src, env):
        return self.lowering.lower_rule(src, env, self.shapes)

    def slots(self, gradient, op, constant=()):
        """[((where, key), operand)] of the op's differentiable operands."""
        differentiable = set(gradient.differentiable) - set(constant)
        positional = [p[0] for p in gradient.params if not p[3]]
        found = []
        for i, operand in enumerate(op.args):
            if i < len(positional) and positional[i] in differentiable:
                found.append((('arg', i), operand))
        for key, operand in op.kwargs.items():
            if key in differentiable:
                found.append((('kwarg', key), operand))
        return found

    def substituted(self, gradient, op, chosen, constant=(), ignored=()):
        """The op's operands with the chosen differentiable ones replaced by tangents
        (not the `constant` ones, refused if varying, nor the `ignored` ones)."""
        varying = [name for name in constant
                   if self.of(template.bind(gradient, op, prim_name(op)).get(name)) is not None]
        if varying:
            raise no_tangent_error(f'{prim_name(op)} with a varying {varying[0]}', op.origin)
        args, kwargs = list(op.args), dict(op.kwargs)
        for place, operand in self.slots(gradient, op, tuple(constant) + tuple(ignored)):
            if not chosen(place):
                continue
            where, key = place
            tangent = self.of_or_zero(operand, op.origin)
            if where == 'arg':
                args[key] = tangent
            else:
                kwargs[key] = tangent
        return args, kwargs

    def emit_like(self, op, args, kwargs):
        outs = self.builder.emit(op.prim, args, kwargs, op.origin, '_tangent', style=op.style,
                                 n_out=len(op.outputs))
        return outs if isinstance(outs, list) else [outs]

    def total(self, terms, op):
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = self.builder.emit(np.add, [total, term], {}, op.origin, '_tangent',
                                      style=('operator', '+'))
        return total

    def broadcast(self, t, op):
        """An elementwise op's tangent made of some inputs' tangents only may lack the
        shape the others broadcast it to: broadcast then, unless known equal."""
        if t is None or not isinstance(t, Value):
            return t
        y = op.outputs[0]
        if registry.lookup_tangent(op.prim).full_shape or all(self.of(operand) is not None or isinstance(operand, Const)
               and np.ndim(operand.value) == 0 for _, operand in
               self.slots(registry.lookup(op.prim), op)) or self.shapes.same(t, y):
            return t
        return self.builder.emit(helpers._sg_broadcast_like, [t, y], {}, op.origin, '_tangent')

    # ---- regions -------------------------------------------------------------------
    def block(self, ops, results):
        """Run ops into a new block; the block and the tangents of `results`."""
        self.builder.stack.append(Block())
        try:
            self.run(ops)
            tangents = [None if r is None else self.of_or_zero(r) for r in results]
        finally:
            block = self.builder.stack.pop()
        return block, tangents

    def branch(self, op):
        wanted = [i for i, out in enumerate(op.outputs) if out in self.varied]
        if op.returns and wanted:
            raise TransformError('jvp: a return inside a branch is not supported yet '
                                 '(assign the value and return it after the if)', op.origin)
        then_block, then_t = self.block(op.then_block.ops,
                                        [op.then_results[i] for i in wanted])
        else_block, else_t = self.block(op.else_block.ops,
                                        [op.else_results[i] for i in wanted])
        touts = [Value(grad_hint(op.outputs[i]), op.origin) for i in wanted]
        region = If(op.test, then_block, else_block, op.outputs + touts,
                    op.then_results + then_t, op.else_results + else_t, op.origin,
                    op.returns)
        self.builder.append(region)
        for i, t in zip(wanted, touts):
            self.tangent[op.outputs[i]] = t

    def loop(self, op):
        if any(v in self.tangent for v in values_in(op.iterable)):
            raise TransformError('jvp: a for loop over a differentiated array is not '
                                 'supported yet (loop over range(len(x)) and index it)',
                                 op.origin)
        # (a phi only the loop's output reads, `y_prev = y` in the body, is not useful
        # itself: its output is)
        wanted = [i for i, (phi, out) in enumerate(zip(op.phis, op.outputs))
                  if phi in self.varied or out in self.varied]
        tinits = [self.of_or_zero(op.inits[i], op.origin) for i in wanted]
        tphis = [Value(grad_hint(op.phis[i]), op.origin) for i in wanted]
        for i, t in zip(wanted, tphis):
            self.tangent[op.phis[i]] = t
        ttargets = self.tapes.targets(op)       # (a reverse loop walking tangent tapes)
        cond_block, _ = self.block(op.cond_block.ops, [])
        body, tnexts = self.block(op.body.ops, [op.nexts[i] for i in wanted])
        touts = [Value(grad_hint(op.outputs[i]), op.origin) for i in wanted]
        region = Loop(op.kind, op.iterable, op.targets + ttargets, op.phis + tphis,
                      op.inits + tinits,
                      op.nexts + tnexts, cond_block, op.cond, body, op.outputs + touts,
                      op.exit, op.origin)
        self.builder.append(region)
        for i, t in zip(wanted, touts):
            self.tangent[op.outputs[i]] = t


def _gradient_rule_inputs(gradient, op):
    """[(operand, None)] of the gradient rule's differentiable inputs, in its order."""
    bound = template.bind(gradient, op, prim_name(op))
    return [(bound[name], None) for name in gradient.differentiable]


def _inexact(dtype):
    if dtype is None:
        return True
    try:
        return np.issubdtype(np.dtype(dtype), np.inexact)
    except TypeError:
        return False


def _zero_like(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    try:
        return np.zeros_like(value) if np.ndim(value) else type(value)(0)
    except (TypeError, ValueError):
        return value
