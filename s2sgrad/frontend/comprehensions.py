"""Lowering of comprehensions: unrolled over sequences known item by item, else
desugared into a loop (a list built by appending, `sum(...)` of a generator
into a running total)."""
import gast

from ..ir.nodes import Const, Pack
from ..runtime import containers
from .analysis import stored_names, walrus_names
from .rewrites import appending_loop, summing_loop
from .static import known_literal


class ComprehensionLowering:
    """List, dict and generator comprehensions (a mixin of FunctionLowering)."""

    __slots__ = ()

    def expr_ListComp(self, node, hint):
        if len(node.generators) == 1 and \
                self.static_items(self.expr(node.generators[0].iter), node) is None:
            return self.list_loop(node, hint)
        return Pack('list', self.comprehension(node, lambda: [self.expr(node.elt)]))

    def list_loop(self, node, hint=None):
        """[f(x) for x in seq] over a run-time sequence: a loop appending to a list."""
        name = hint if hint and hint not in self.env and hint.isidentifier() \
            else f'_items{len(self.ctx.loop_ids)}'
        return self.accumulated(appending_loop(node, name), name, Pack('list', []))

    expr_GeneratorExp = expr_ListComp     # consumed at once by the call it is passed to

    def expr_DictComp(self, node, hint):
        if len(node.generators) == 1 and \
                self.static_items(self.expr(node.generators[0].iter), node) is None:
            # over a run-time sequence (`{k: p[k] - lr * g[k] for k in p}`, p a dict
            # passed in): its (key, value) pairs built by a loop, made a dict at run time
            pairs = gast.copy_location(gast.ListComp(
                elt=gast.Tuple(elts=[node.key, node.value], ctx=gast.Load()),
                generators=node.generators), node)
            return self.builder.emit(containers._sg_dict_of, [self.list_loop(pairs)], {},
                                     self.origin(node), hint or '_dict', temp=hint is None)
        pairs = self.comprehension(node, lambda: [(self.expr(node.key), self.expr(node.value))])
        if not all(known_literal(k) for k, _ in pairs):
            raise self.error('dict comprehension keys must be constants', node)
        return Pack('dict', [v for _, v in pairs], [k.value for k, _ in pairs])

    def comprehension(self, node, element, generators=None):
        """Unroll a comprehension over sequences known item by item (lists, tuples,
        constant ranges); its conditions must be decided when transforming."""
        generators = node.generators if generators is None else generators
        if not generators:
            return element()
        gen = generators[0]
        seq = self.static_items(self.expr(gen.iter), gen.iter)
        if seq is None:
            raise self.error('a nested comprehension over a run-time sequence is not '
                             'supported yet: write the loops', gen.iter)
        saved = dict(self.env)
        out = []
        try:
            for item in seq:
                self.assign(gen.target, item)
                tests = [self.expr(t) for t in gen.ifs]
                if not all(isinstance(t, Const) for t in tests):
                    raise self.error('a comprehension condition must be decided when '
                                     'transforming (a constant)', gen.ifs[0])
                if all(t.value for t in tests):
                    out.extend(self.comprehension(node, element, generators[1:]))
        finally:
            # the comprehension's variables stay inside it; `:=` binds outside it
            for name in walrus_names(node):
                if name in self.env:
                    saved[name] = self.env[name]
            self.env = saved
        return out

    def static_items(self, seq, node):
        if isinstance(seq, Const) and isinstance(seq.value, (range, enumerate, zip, reversed)):
            return [Const(v) for v in seq.value]     # (a fresh iterator each lowering)
        return self.iterated_items(seq, node)

    def sum_generator(self, gen, node, hint):
        """sum(f(x) for x in xs): unrolled over a known sequence, else a loop adding up."""
        seq = self.static_items(self.expr(gen.generators[0].iter), gen) \
            if len(gen.generators) == 1 else None
        if seq is not None or len(gen.generators) > 1:
            terms = self.comprehension(gen, lambda: [self.expr(gen.elt)])
            total = Const(0)
            for term in terms:
                total = self.binary(gast.Add(), total, term, node)
            return total
        acc = f'_sum{len(self.ctx.loop_ids)}'
        return self.accumulated(summing_loop(gen, acc, node), acc, Const(0))

    def accumulated(self, loop, name, initial):
        """What a comprehension desugared into `loop` leaves in `name` (starting as
        `initial`); the comprehension's variables stay inside it."""
        saved = {k: self.env[k] for k in stored_names(loop.target) if k in self.env}
        self.env[name] = initial
        self.stmt_For(loop)
        result = self.env.pop(name)
        self.env.update(saved)
        return result

    def sums_a_generator(self, node):
        """Is this call `sum(... for ...)` (the builtin sum of one comprehension)?"""
        if not (isinstance(node.func, gast.Name) and len(node.args) == 1 and not node.keywords
                and isinstance(node.args[0], (gast.GeneratorExp, gast.ListComp))):
            return False
        if node.func.id in self.env:
            return False
        found, fn = self.resolve(node.func.id)
        return found and fn is sum
