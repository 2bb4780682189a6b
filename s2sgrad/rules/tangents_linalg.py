"""Tangents of linear algebra (forward mode): the differentials of matrix functions.

d(A^-1) = -A^-1 dA A^-1; d det(A) = det(A) tr(A^-1 dA); A x = b: A dx = db - dA x.
Stacks of matrices as NumPy's functions take them.
"""
import numpy as np

from ..runtime.linalg import _sg_solve_like, _sg_times_solution
from .registry import register_tangent, same


@register_tangent(np.linalg.inv)
def inv_tangent(dx, y, a):
    return -(y @ dx @ y)


@register_tangent(np.linalg.det)
def det_tangent(dx, y, a):
    # (A^-1 dA by a solve: an exactly singular A gives NaN, never a wrong number)
    return y * np.trace(np.linalg.solve(a, dx), axis1=-2, axis2=-1)


@register_tangent(np.linalg.solve)
def solve_tangent(dx, y, a, b):
    da, db = dx
    if same(da, None):
        return np.linalg.solve(a, db)
    change = _sg_times_solution(da, y, b)
    if same(db, None):
        return _sg_solve_like(a, -change, b)
    return _sg_solve_like(a, db - change, b)
