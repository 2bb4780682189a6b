"""NumPy-only helpers that generated code calls.

Each helper is self-contained (it needs nothing but `np`), so `export` can
copy the source of the ones a module uses into that module.
"""
from .helpers import HELPERS  # noqa: F401
