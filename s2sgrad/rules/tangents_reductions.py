"""Tangents of the reductions that are not linear (forward mode).

Each output element of these depends only on the elements it reduces (its
fibre along `axis`), and the gradient rule gives each element dy times its
partial derivative; with dy = 1 it gives the partials themselves, and the
tangent is their product with the input's tangent summed along the fibre
(`kind='reduction'`: max, min, prod, var, std, ptp, median, average,
norm, logsumexp).  A differentiable option with a tangent of its own (initial=,
weights) is refused at the user's line.
"""
import numpy as np

from .registry import register_tangent

register_tangent(np.max, np.amax, np.min, np.amin, np.prod, np.var, np.std, np.ptp,
                 np.median, np.average, np.linalg.norm, kind='reduction')
register_tangent(np.nanmax, np.nanmin, np.nanprod, np.nanvar, np.nanstd, np.nanmedian,
                 np.nansum, np.nanmean, kind='reduction', skips_nan=True)
