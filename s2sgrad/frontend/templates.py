"""The rule-template mini-language: a gradient rule's template (rules/template.py)
is lowered as Python with NumPy's semantics, and calls to registry.same,
constant and static_ndim, shape queries the specialisation answers, and
transform-time helpers are decided when it is expanded."""
import numpy as np

from ..errors import TransformError
from ..ir.nodes import Const, Pack, Value
from ..rules import registry
from .static import known_literal


class TemplateLowering:
    """What a rule template decides when transforming (a mixin of FunctionLowering)."""

    __slots__ = ()

    def lower_rule(self, src, env, shapes):
        """Lower a rule's template (`src`, its parameters bound in `env`) into this
        lowering's builder, in its context; its result operand (ad.lowering.Lowering).
        `shapes` (analyses.shapes.ShapeClasses) answers the template's static shape
        questions while it is lowered."""
        saved, self.builder.shape_facts = self.builder.shape_facts, shapes
        try:
            return type(self)(self.ctx, self.builder, src, env, gradients_site=None).lower_body()
        finally:
            self.builder.shape_facts = saved

    def in_rule(self):
        """Is this the lowering of a gradient rule's template (NumPy semantics)?"""
        return self.src is None or (self.src.fn.__module__ or '').startswith('s2sgrad.')

    def template_call(self, fn, args, kwargs, node):
        """A call that the rule-template mini-language decides when transforming: its
        constant value (registry.same, constant, static_ndim, a shape the
        specialisation knows, a transform-time helper); None for any other call."""
        if fn is registry.same:
            a, b = args
            return Const(a is b or (isinstance(a, Const) and isinstance(b, Const) and
                                    known_literal(a) and known_literal(b) and a.value == b.value))
        if fn is registry.constant:
            (operand,) = args
            if isinstance(operand, Pack) and operand.kind in ('tuple', 'index') and \
                    all(isinstance(item, Const) for item in operand.items):
                return Const(tuple(item.value for item in operand.items))
            return operand if isinstance(operand, Const) else Const(NotImplemented)
        facts = self.builder.shape_facts
        if facts is not None and fn in (np.shape, np.size, np.ndim) and len(args) == 1 \
                and not kwargs and isinstance(args[0], Value):
            # a rule asking a shape that the specialisation knows: a constant, so
            # a forward value read only for its shape need not be computed at all;
            # a shape or count with sizes in it stays a run-time np.shape or np.size,
            # so that the code serves every size (np.mean's count of a batch)
            shape = facts.shape_of(args[0]) if fn is np.ndim else \
                facts.size_free_shape(args[0])
            if shape is not None:
                return Const(shape if fn is np.shape else len(shape) if fn is np.ndim
                             else int(np.prod(shape, dtype=np.int64)))
        if fn is registry.static_ndim:
            (operand,) = args
            shape = facts.shape_of(operand) if facts is not None else None
            return Const(NotImplemented if shape is None else len(shape))
        if registry.is_transform_time(fn):
            if not all(isinstance(a, Const) for a in list(args) + list(kwargs.values())):
                raise self.error(f'{fn.__name__}() needs arguments known at transform time '
                                 f'(constants), not run-time values', node)
            self.folded(*args, *kwargs.values())
            try:
                return Const(fn(*[a.value for a in args],
                                **{k: v.value for k, v in kwargs.items()}))
            except TransformError as exc:
                if exc.origin is not None:
                    raise
                raise self.error(exc.msg, node) from None     # name the user's line
        return None
