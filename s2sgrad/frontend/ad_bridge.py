"""The frontend's lowering seen as the AD's `ad.lowering.Lowering` (transitional).

The AD asks the lowering it runs inside for the few things `Lowering`
declares; `FunctionLowering` has all but `lower_rule` today.  Until it has
that method itself, this adapter provides it, and compiler.py hands the AD
an adapter: at a `gradients(...)` call (`gradients_site`) and for the
adjoint of an `sg.grad` (`ADLowering(ctx, builder)`).
"""
from ..ad import site
from ..ir.lower import FunctionLowering


class ADLowering:
    """A transformation's state (`ctx`, `builder`) and, at a `gradients(...)`
    call, the lowering of the code around it."""

    def __init__(self, ctx, builder, lowering=None):
        self.ctx = ctx
        self.builder = builder
        self.lowering = lowering

    def lower_rule(self, src, env, shapes):
        self.builder.shape_facts = shapes       # a rule may ask static_ndim(x)
        try:
            return FunctionLowering(self.ctx, self.builder, src, env).lower_body()
        finally:
            self.builder.shape_facts = None

    def origin(self, node):
        return self.lowering.origin(node)

    def producing_op(self, value):
        return self.lowering.producing_op(value)


def gradients_site(lowering, args, kwargs, node):
    """`sg.gradients(...)` met by `lowering` (ad/site.py does the work)."""
    return site.gradients_site(ADLowering(lowering.ctx, lowering.builder, lowering),
                               args, kwargs, node)
