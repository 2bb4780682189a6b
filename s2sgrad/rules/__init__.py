"""Adjoint rules: a registry, a template expander, and one module per op family.

Importing this package registers every rule (the family modules register
themselves on import).
"""
from .registry import register_gradient, register_constant, lookup, is_constant  # noqa: F401
from . import elementwise, reductions, products, shape, indexing, structural  # noqa: F401,E402
from . import construction, linalg, fft, special, polynomial  # noqa: F401,E402
