"""Runtime helpers for the adjoints of loops (each needs only np)."""
import numpy as np

from .helpers import _sg_accumulate, _sg_scatter_add


def _sg_add_at(acc, index, g):
    """acc[index] += g in place (repeated indices accumulate); returns acc.

    The gradient of x[i] in a loop, added straight into x's accumulator
    (fresh zeros nothing else holds) instead of into a fresh array of zeros
    every iteration.  Where acc is no array that holds the sum's dtype (a
    container's gradient, a complex term into real zeros), the sum is a new
    value, made as `_sg_accumulate(acc, _sg_scatter_add(g, acc, index))` is.
    """
    if type(acc) is not np.ndarray or (getattr(g, 'dtype', None) != acc.dtype and
                                       np.result_type(acc, g) != acc.dtype):
        return _sg_accumulate(acc, _sg_scatter_add(g, acc, index))
    if type(index) is int:
        acc[index] += g
        return acc
    parts = index if type(index) is tuple else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
           for p in parts) or (len(parts) == 1 and np.asarray(parts[0]).dtype == bool):
        acc[index] += g         # basic indexing or one mask: no element is hit twice
    else:
        np.add.at(acc, index, g)
    return acc


def _sg_repack(parts, sequence):
    """The gradient of `sequence` from those of its unpacked items `parts`."""
    if isinstance(sequence, np.ndarray):
        return np.stack([np.asarray(p, dtype=np.result_type(p, sequence)) for p in parts])
    return tuple(parts)
