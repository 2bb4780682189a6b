"""Runtime helpers for the special rules (each needs only np and other _sg_ helpers)."""
import numpy as np  # noqa: F401
