"""Runtime helpers for the linalg rules (each needs only np and other _sg_ helpers)."""
import numpy as np  # noqa: F401
