"""Products and contractions: matmul (`@`), dot, inner, outer, tensordot, einsum, kron, cross.

Each operand's gradient is again a product of the upstream gradient with the
other operands.  Where the contraction's axes depend on ranks known only at
run time (dot, inner, tensordot, kron, cross), the gradient is a runtime
helper; each helper is linear in the upstream gradient and in the other
operand, so its own gradient is the forward product and the other helper:
gradients of every order work.
"""
import string

import numpy as np

from ..ir.primitives import einsum_terms, einsum_tokens
from ..runtime.helpers import _sg_cross_lhs_grad, _sg_cross_rhs_grad, _sg_einsum_mask
from ..runtime.helpers import _sg_kron_lhs_grad, _sg_kron_rhs_grad
from ..runtime.helpers import _sg_matmul_lhs_grad, _sg_matmul_rhs_grad
from ..runtime.helpers import _sg_tensordot_lhs_grad, _sg_tensordot_rhs_grad
from ..runtime.helpers import _sg_unbroadcast
from .registry import constant, register_constant, register_gradient, same, static_ndim
from .registry import transform_time


@register_gradient(np.matmul, broadcasts=True)
def matmul_grad(dy, y, x1, x2):
    # every rank matmul accepts; stacks broadcast against each other are summed back.
    # Matrices and vectors (when a specialisation knows the ranks): the products themselves.
    if static_ndim(x1) == 2 and static_ndim(x2) == 2:
        return dy @ x2.T, x1.T @ dy
    if static_ndim(x1) == 2 and static_ndim(x2) == 1:
        return np.outer(dy, x2), dy @ x1            # matrix @ vector
    if static_ndim(x1) == 1 and static_ndim(x2) == 2:
        return x2 @ dy, np.outer(x1, dy)            # vector @ matrix
    if static_ndim(x1) == 1 and static_ndim(x2) == 1:
        return dy * x2, dy * x1                     # inner product
    return _sg_matmul_lhs_grad(dy, x1, x2), _sg_matmul_rhs_grad(dy, x1, x2)


# The helpers are bilinear, so their own gradients are products again:
# <g, lhs(dy, a, b)> = <g @ b, dy>  and  <g, rhs(dy, a, b)> = <a @ g, dy>.
# (lhs gives a's shape for a 1-D `a`, rhs b's shape for a 1-D `b`, so g @ b and
# a @ g read g as the vector it stands for.)
@register_gradient(_sg_matmul_lhs_grad, broadcasts=True)
def matmul_lhs_grad_grad(g, y, dy, a, b):
    return np.matmul(g, b), None, _sg_matmul_rhs_grad(dy, g, b)


@register_gradient(_sg_matmul_rhs_grad, broadcasts=True)
def matmul_rhs_grad_grad(g, y, dy, a, b):
    return np.matmul(a, g), _sg_matmul_lhs_grad(dy, a, g), None


@register_gradient(np.dot, unsupported={'out': None})
def dot_grad(dy, y, a, b, out=None):
    # every rank: a product with a 0-d operand, a matrix product, or a sum over the
    # last axis of a and the second-to-last of b (as np.tensordot)
    return _sg_tensordot_lhs_grad(dy, a, b, 'dot'), _sg_tensordot_rhs_grad(dy, a, b, 'dot')


@register_gradient(np.inner)
def inner_grad(dy, y, a, b):
    # a sum over the last axes of a and b (a product with a 0-d operand)
    return (_sg_tensordot_lhs_grad(dy, a, b, 'inner'),
            _sg_tensordot_rhs_grad(dy, a, b, 'inner'))


@register_gradient(np.tensordot)
def tensordot_grad(dy, y, a, b, axes=2):
    # axes an int or a pair of axis sequences; dy against the other operand over
    # the free axes, put back in the operand's axis order
    return _sg_tensordot_lhs_grad(dy, a, b, axes), _sg_tensordot_rhs_grad(dy, a, b, axes)


def contract(a, b, axes):
    """The forward product the tensordot helpers are the adjoints of (a template)."""
    if constant(axes) == 'dot':
        return np.dot(a, b)
    if constant(axes) == 'inner':
        return np.inner(a, b)
    return np.tensordot(a, b, axes)


# <g, lhs(dy, a, b)> = <contract(g, b), dy>: the gradient w.r.t. dy is the product
# itself, w.r.t. b the other helper (with g in a's place); `a` gives only the rank.
@register_gradient(_sg_tensordot_lhs_grad, static=('a', 'axes'))
def tensordot_lhs_grad_grad(g, ga, dy, a, b, axes=2):
    return contract(g, b, axes), _sg_tensordot_rhs_grad(dy, g, b, axes)


@register_gradient(_sg_tensordot_rhs_grad, static=('b', 'axes'))
def tensordot_rhs_grad_grad(g, gb, dy, a, b, axes=2):
    return contract(a, g, axes), _sg_tensordot_lhs_grad(dy, a, g, axes)


@register_gradient(np.outer, unsupported={'out': None})
def outer_grad(dy, y, a, b, out=None):
    # the operands are flattened: dy times the other, reshaped back
    return (np.reshape(np.dot(dy, np.ravel(b)), np.shape(a)),
            np.reshape(np.dot(np.ravel(a), dy), np.shape(b)))


@register_gradient(np.kron)
def kron_grad(dy, y, a, b):
    # each block of dy against b gives a's entry; the blocks weighted by a give b
    return _sg_kron_lhs_grad(dy, a, b), _sg_kron_rhs_grad(dy, a, b)


@register_gradient(_sg_kron_lhs_grad, static=('a',))
def kron_lhs_grad_grad(g, ga, dy, a, b):
    return np.kron(g, b), _sg_kron_rhs_grad(dy, g, b)


@register_gradient(_sg_kron_rhs_grad, static=('b',))
def kron_rhs_grad_grad(g, gb, dy, a, b):
    return np.kron(a, g), _sg_kron_lhs_grad(dy, a, g)


@register_gradient(np.cross)
def cross_grad(dy, y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    # d(a x b) = da x b + a x db: a gets b x dy, b gets dy x a (2-vectors as 3-vectors
    # with z = 0; broadcast axes summed back)
    if constant(axis) is not None:
        return (_sg_cross_lhs_grad(dy, a, b, axis, axis, axis),
                _sg_cross_rhs_grad(dy, a, b, axis, axis, axis))
    return (_sg_cross_lhs_grad(dy, a, b, axisa, axisb, axisc),
            _sg_cross_rhs_grad(dy, a, b, axisa, axisb, axisc))


@register_gradient(_sg_cross_lhs_grad, static=('a', 'axisa', 'axisb', 'axisc'))
def cross_lhs_grad_grad(g, ga, dy, a, b, axisa=-1, axisb=-1, axisc=-1):
    return (np.cross(g, b, axisa=axisa, axisb=axisb, axisc=axisc),
            _sg_cross_rhs_grad(dy, g, b, axisa, axisb, axisc))


@register_gradient(_sg_cross_rhs_grad, static=('b', 'axisa', 'axisb', 'axisc'))
def cross_rhs_grad_grad(g, gb, dy, a, b, axisa=-1, axisb=-1, axisc=-1):
    return (np.cross(a, g, axisa=axisa, axisb=axisb, axisc=axisc),
            _sg_cross_lhs_grad(dy, a, g, axisa, axisb, axisc))


# ------------------------------------------------------------------ einsum

# np.einsum takes its operands as *operands; a rule names a fixed number of them.
EINSUM_OPERANDS = 12


@transform_time
def einsum_subscripts_as_a_string(subscripts):
    """The subscripts of np.einsum: a string known when transforming (called with a
    run-time value, as in the sublist form, it refuses the call)."""
    if not isinstance(subscripts, str):
        raise TypeError('np.einsum can be differentiated with its subscripts given as a '
                        'string (not in the sublist form)')
    return subscripts


@transform_time
def einsum_operand_count(*missing):
    """How many operands an einsum call has (`missing`: whether x1, x2, ... are absent)."""
    return 1 + list(missing).index(True) if True in missing else 1 + len(missing)


@transform_time
def einsum_gradient_plan(subscripts, n, k):
    """How np.einsum(subscripts, x_0, ..., x_{n-1}) gives x_k's gradient.

    (spec, others, mask, move): the gradient is np.einsum(spec, dy, *[x_j for j in
    others], [mask of x_k]) -- `mask` (x_k's subscripts, or None) when a label of x_k
    is repeated in it or appears nowhere else; then summed back to x_k's shape
    (where its labels of size 1 or its '...' were broadcast).  `move` (or None):
    the two transpositions around that sum when x_k's '...' is not in front.
    """
    inputs, output = einsum_terms(subscripts)
    if len(inputs) != n:
        raise ValueError(f'np.einsum: {subscripts!r} names {len(inputs)} operands, '
                         f'the call gives {n}')
    used = set(c for c in subscripts if c.isalpha())
    fresh = iter(c for c in string.ascii_letters if c not in used)
    tokens = einsum_tokens(inputs[k])
    elsewhere = set(output) | set(c for j, term in enumerate(inputs) if j != k for c in term)
    renamed, seen, masked = [], set(), False
    for t in tokens:
        if t != '...' and t in seen:
            t, masked = next(fresh), True           # a repeated label: a diagonal
        elif t != '...' and t not in elsewhere:
            masked = True                           # summed over x_k alone: broadcast
        seen.add(t)
        renamed.append(t)
    target = ''.join(renamed)
    ellipsis = any('...' in term for term in inputs + [output])
    move = None
    if ellipsis and '...' not in target:
        target_out = '...' + target                 # x_k is summed over '...'
    elif '...' in target and renamed[0] != '...':
        plain = ''.join(t for t in renamed if t != '...')
        target_out = '...' + plain
        move = (f'{target}->...{plain}', f'...{plain}->{target}')
    else:
        target_out = target
    terms = [output] + [term for j, term in enumerate(inputs) if j != k]
    if masked:
        terms.append(target)
    others = tuple(j for j in range(n) if j != k)
    return ','.join(terms) + '->' + target_out, others, inputs[k] if masked else None, move


@transform_time
def indices(n):
    return tuple(range(n))


@transform_time
def einsum_product_axes(spec, mask, move):
    """For a gradient np.einsum(spec, dy, b) that sums over nothing, each term's
    labels in the output's order ('ij,ijk->ijk'), the axes to insert into dy and
    into b (None, an int or a tuple) so that their product broadcasts to it: a
    product, as a person writes it (`np.expand_dims(dy, -1) * b`).  Else None."""
    terms, output = spec.split('->')
    terms = terms.split(',')
    if mask is not None or move is not None or len(terms) != 2:
        return None
    ellipsis = '...' in output
    if any(('...' in t) != ellipsis or ellipsis and not t.startswith('...') or
           t.count('...') > 1 for t in terms + [output]):
        return None                 # '...' in front of every term or of none
    named = output.replace('...', '')
    axes = []
    for term in terms:
        labels = term.replace('...', '')
        if len(set(labels)) != len(labels) or not set(labels) <= set(named) or \
                [c for c in named if c in labels] != list(labels):
            return None             # a diagonal, a sum, or a transposition
        first = min((named.index(c) for c in labels), default=len(named))
        missing = tuple(i - len(named) if ellipsis else i for i, c in enumerate(named)
                        if c not in labels and (ellipsis or i > first))
        # (without '...', NumPy's broadcasting puts the leading axes in itself)
        axes.append(None if not missing else missing[0] if len(missing) == 1 else missing)
    if len(set(named)) != len(named) or \
            set(named) - set(terms[0].replace('...', '')) - set(terms[1].replace('...', '')):
        return None
    return tuple(axes)


@transform_time
def einsum_twice(subscripts, n):
    """Does np.einsum(subscripts, x, x) take both operands alike ('ijk,ijk->ij'), so
    that their gradients are one and the same: one term, twice?"""
    inputs, _ = einsum_terms(subscripts)
    return n == 2 and len(inputs) == 2 and inputs[0] == inputs[1]


def expanded(x, axes):
    """x with new axes of size 1 at `axes` (a template)."""
    if constant(axes) is None:
        return x
    return np.expand_dims(x, axes)


def einsum_operand_grad(dy, operands, subscripts, n, k, twice):
    """x_k's gradient of np.einsum (a template, inlined into the rule); `twice`:
    of both operands of einsum(s, x, x) (einsum_twice)."""
    spec, others, mask, move = einsum_gradient_plan(subscripts, n, k)
    x = operands[k]
    product = einsum_product_axes(spec, mask, move)
    if product is not None and twice:
        return _sg_unbroadcast(expanded(dy, product[0]) * 2.0 *
                               expanded(operands[others[0]], product[1]), x)
    if product is not None:
        return _sg_unbroadcast(expanded(dy, product[0]) *
                               expanded(operands[others[0]], product[1]), x)
    if twice:
        return 2.0 * einsum_operand_grad(dy, operands, subscripts, n, k, False)
    inputs = tuple(operands[j] for j in others)
    if mask is not None:
        inputs = inputs + (_sg_einsum_mask(x, mask),)
    if len(inputs) == 0:
        g = np.einsum(spec, dy)
    else:
        # a contraction with dy: NumPy's optimize plans it as BLAS calls (tensordot,
        # matmul), some 10x faster than its plain loops from a few thousand elements
        g = np.einsum(spec, dy, *inputs, optimize=True)
    if move is None:
        return _sg_unbroadcast(g, x)
    return np.einsum(move[1], _sg_unbroadcast(g, np.einsum(move[0], x)))


@register_gradient(np.einsum, static=('subscripts',), unsupported={'out': None},
                   differentiable=tuple(f'x{k}' for k in range(1, EINSUM_OPERANDS)))
def einsum_grad(dy, y, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None,
                x6=None, x7=None, x8=None, x9=None, x10=None, x11=None, *, out=None,
                optimize=False, dtype=None, order='K', casting='safe'):
    # each operand's gradient is the einsum of dy with the other operands (a product
    # where nothing is summed; of einsum(s, x, x) with both terms alike, twice); a label
    # repeated in one operand ('ii->i') or summed over it alone is broadcast back
    # through a mask of ones (on the diagonal); broadcast axes are summed back.
    # The sublist form is rewritten to a subscript string; up to 12 operands.
    subscripts = einsum_subscripts_as_a_string(subscripts)
    operands = (x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11)
    n = einsum_operand_count(constant(x1) is None, constant(x2) is None,
                             constant(x3) is None, constant(x4) is None,
                             constant(x5) is None, constant(x6) is None,
                             constant(x7) is None, constant(x8) is None,
                             constant(x9) is None, constant(x10) is None,
                             constant(x11) is None)
    twice = einsum_twice(subscripts, n) and same(x0, x1)
    return tuple(None if k >= n or twice and k == 1 else
                 einsum_operand_grad(dy, operands, subscripts, n, k, twice)
                 for k in indices(EINSUM_OPERANDS))


register_constant(_sg_einsum_mask)
