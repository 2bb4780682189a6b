"""Products: matmul, dot (the `@` operator included)."""
import numpy as np

from ..runtime.helpers import _sg_dot_lhs_grad, _sg_dot_rhs_grad
from ..runtime.helpers import _sg_matmul_lhs_grad, _sg_matmul_rhs_grad
from .registry import register_gradient


@register_gradient(np.matmul, broadcasts=True)
def matmul_grad(dy, y, x1, x2):
    return _sg_matmul_lhs_grad(dy, x1, x2), _sg_matmul_rhs_grad(dy, x1, x2)


@register_gradient(np.dot, broadcasts=True, unsupported={'out': None})
def dot_grad(dy, y, a, b, out=None):
    # np.dot is matmul when b has rank 1 or 2 and neither operand is 0-d.
    # Limitation: for the other ranks (np.dot as a product with a scalar, or as a
    # tensordot of stacks) the helpers raise NotImplementedError when they run.
    return _sg_dot_lhs_grad(dy, a, b), _sg_dot_rhs_grad(dy, a, b)


# The helpers are bilinear, so their own gradients are products again:
# <g, lhs(dy, a, b)> = <g @ b, dy>  and  <g, rhs(dy, a, b)> = <a @ g, dy>.
# (lhs gives a's shape for a 1-D `a`, rhs b's shape for a 1-D `b`, so g @ b and
# a @ g read g as the vector it stands for.)
@register_gradient((_sg_matmul_lhs_grad, _sg_dot_lhs_grad), broadcasts=True)
def matmul_lhs_grad_grad(g, y, dy, a, b):
    return np.matmul(g, b), None, _sg_matmul_rhs_grad(dy, g, b)


@register_gradient((_sg_matmul_rhs_grad, _sg_dot_rhs_grad), broadcasts=True)
def matmul_rhs_grad_grad(g, y, dy, a, b):
    return np.matmul(a, g), _sg_matmul_lhs_grad(dy, a, g), None
