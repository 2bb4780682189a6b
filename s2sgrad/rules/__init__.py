"""Adjoint rules: a registry, a template expander, and one module per op family.

A family module registers its rules when it is imported.  Importing this
package imports none of them: the registry loads them when a lookup first
misses (`load_pending`), so `import s2sgrad` parses no rule and imports no SciPy.
"""
import importlib
import sys
import threading

from . import registry
from .registry import (register_gradient, register_constant, register_tangent,  # noqa: F401
                       lookup, lookup_tangent, is_constant)

# Each family module, with the library its callables come from.  A callable reaches
# the compiler only once its library is imported, so a family waits until then:
# SciPy's rules load only when the user's code has imported scipy.special.  In the
# order they were always imported (a later registration of a callable wins).
FAMILIES = (('elementwise', 'numpy'), ('reductions', 'numpy'), ('products', 'numpy'),
            ('shape', 'numpy'), ('indexing', 'numpy'), ('structural', 'numpy'),
            ('construction', 'numpy'), ('linalg', 'numpy'), ('fft', 'numpy'),
            ('special', 'scipy.special'), ('polynomial', 'numpy'),
            ('tangents_elementwise', 'numpy'), ('tangents_linear', 'numpy'),
            ('tangents_reductions', 'numpy'), ('tangents_linalg', 'numpy'),
            ('tangents_special', 'scipy.special'), ('tangents_polynomial', 'numpy'),
            ('tangents_adjoint', 'numpy'))

_pending = dict.fromkeys(FAMILIES)  # in order; a family leaves it once imported
_loading = threading.RLock()        # a lookup in another thread waits for a family half loaded


def load_pending():
    """Import the families not loaded yet whose library is imported."""
    if any(library in sys.modules for _, library in tuple(_pending)):
        _load(lambda library: library in sys.modules)
    # else none is ready, or all are loaded (one leaves _pending once imported):
    # the answer of nearly every call, given without the lock


def load_all():
    """Import every family (SciPy's too, when it is installed)."""
    _load(lambda library: True)


def _load(wanted):
    with _loading:
        for family in [family for family in _pending if wanted(family[1])]:
            importlib.import_module(f'{__name__}.{family[0]}')
            _pending.pop(family, None)


registry.load_families_with(load_pending, load_all)
