"""Runtime helpers for the construction rules (each needs only np and other _sg_ helpers)."""
import numpy as np  # noqa: F401
