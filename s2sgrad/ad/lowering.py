"""What the AD needs from the lowering it runs inside: a declared interface.

The AD never imports the frontend.  The frontend's lowering of a function
(the one at a `gradients(...)` call, or the one an `sg.grad` adjoint is
appended to) hands itself to the AD, and it must provide what `Lowering`
describes; nothing else of it is read.  The dependency is one-directional:
frontend -> ad, never back.
"""
from typing import Protocol


class Lowering(Protocol):
    """The lowering at the point where a gradient is taken.

    `builder` is where the AD's ops go (the IR builder of the code being
    lowered): its open blocks (`stack`, innermost `block`) hold the ops that
    precede the site; the AD reads them with `visible_ops()`, adds ops with
    `emit(prim, args, kwargs, origin, hint, style=, n_out=, temp=)` and
    regions with `append(region)`, opens a block by pushing on `stack`, and
    sets `adjoint` (the `GradBlock` new ops belong to) and `origin_override`
    (the origin every op of a rule's expansion takes).

    `ctx` is the state of the whole transformation: `ctx.lists` (the values
    that are run-time Python lists: their gradients add entry by entry) and
    `ctx.tape_copies` (a value popped from a loop's tape -> the value pushed;
    the AD adds to it).
    """

    builder: object
    ctx: object

    def lower_rule(self, src, env, shapes):
        """Lower a gradient rule's template into `builder`; return its result operand.

        `src` is the rule's captured source (frontend.source.capture), `env`
        binds its parameter names to operands; `shapes` (analyses.shapes.
        ShapeClasses) answers the static shape questions the template may ask
        (`static_ndim(x)`, `np.shape(x)` of a value whose shape is known).
        """

    def origin(self, node):
        """The `errors.Origin` of a syntax node of the code being lowered."""

    def producing_op(self, value):
        """The op before this point that made `value` (None: a parameter, a loop's)."""
