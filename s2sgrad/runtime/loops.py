"""Runtime helpers for the adjoints of loops (each needs only np)."""
import numpy as np

from .helpers import _sg_accumulate


def _sg_add_at(acc, index, g):
    """acc[index] += g in place (repeated indices accumulate); returns acc.

    The gradient of x[i] in a loop, added straight into x's accumulator
    instead of into a fresh array of zeros every iteration.
    """
    if isinstance(acc, (list, dict)):
        # the gradient of a list or tuple: added entry by entry (`+=` would concatenate)
        acc[index] = _sg_accumulate(acc.get(index) if isinstance(acc, dict) else acc[index], g)
        return acc
    parts = index if type(index) is tuple else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts):
        acc[index] += g
    else:
        np.add.at(acc, index, g)
    return acc


def _sg_repack(parts, sequence):
    """The gradient of `sequence` from those of its unpacked items `parts`."""
    if isinstance(sequence, np.ndarray):
        return np.stack([np.asarray(p, dtype=np.result_type(p, sequence)) for p in parts])
    return tuple(parts)
