"""Runtime helpers for the fft rules (each needs only np and other _sg_ helpers)."""
import numpy as np  # noqa: F401
