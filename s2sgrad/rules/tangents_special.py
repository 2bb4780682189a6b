"""Tangents of SciPy's special functions (forward mode): elementwise, so each is its
gradient rule applied to the tangent (rules/tangents_elementwise.py says why)."""
import numpy as np

from ..runtime.special import _sg_betainc_dab, _sg_gammainc_da
from .registry import register_tangent

try:
    import scipy.special as special
except ImportError:         # SciPy is optional
    special = None

if special is not None:
    register_tangent(
        special.gamma, special.gammaln, special.rgamma, special.psi, special.polygamma,
        special.beta, special.betaln, special.betainc, special.gammainc, special.gammaincc,
        special.xlogy, special.xlog1py, special.j0, special.j1, special.jv, special.y0,
        special.y1, special.yn, special.i0, special.i1, special.iv, special.ive, special.erf,
        special.erfc, special.erfinv, special.erfcinv, special.logit, special.expit,
        special.multigammaln,
        # (the derivatives in a and b their gradient rules call: elementwise too)
        _sg_betainc_dab, _sg_gammainc_da, kind='diagonal')

    def logsumexp_options_tangent(dx, y, a, axis=None, b=None, keepdims=False,
                                  return_sign=False):
        # log sum(b exp(a)): the weights' tangents times exp(a - y)
        if axis is not None and not keepdims:
            y = np.expand_dims(y, axis)
        return np.sum(dx * np.exp(a - y), axis=axis, keepdims=keepdims)

    # (a reduction: rules/tangents_reductions.py says how)
    register_tangent(special.logsumexp, kind='reduction', options=logsumexp_options_tangent)
