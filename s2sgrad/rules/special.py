"""Gradient rules: scipy.special.

SciPy is optional: without it this module registers nothing and `import
s2sgrad` works all the same.  Each rule calls only functions that have rules
of their own (psi' is polygamma(1, .), polygamma(n, .)' is polygamma(n + 1, .),
the Bessel functions' derivatives are Bessel functions of neighbouring
orders), so that derivatives of every order work.

The incomplete gamma and beta functions have no closed-form derivative with
respect to their parameters: runtime helpers compute them (to second order)
by forward-mode derivatives through the series and continued fractions that
evaluate the functions.  Where s2sgrad computes no derivative -- a third
derivative in those parameters, the Bessel functions with respect to a real
order -- the rule's gradient is `_sg_special_no_gradient`, which raises
NotImplementedError when that gradient is actually asked for; it is removed
as dead code when it is not.
"""
import numpy as np

from ..runtime.helpers import _sg_unbroadcast
from ..runtime.special import _sg_betainc_dab, _sg_gammainc_da, _sg_special_no_gradient
from .registry import constant, register_constant, register_gradient

try:
    import scipy.special as sc
except ImportError:         # SciPy is optional
    sc = None

_NO_CLOSED_FORM = 'its derivative there has no closed form in scipy.special'


if sc is not None:

    # ------------------------------------------------------- gamma and relatives

    @register_gradient(sc.gamma)
    def gamma_grad(dy, y, x):
        return dy * y * sc.psi(x)

    @register_gradient(sc.gammaln)
    def gammaln_grad(dy, y, x):
        # gammaln is log|gamma|: its derivative is psi for negative x as well
        return dy * sc.psi(x)

    @register_gradient(sc.rgamma)
    def rgamma_grad(dy, y, x):
        # (1/gamma)' = -psi(x) / gamma(x).  1/gamma is smooth everywhere, but psi has
        # poles at 0, -1, -2, ...: below 1/2 the derivative is that of the reflection
        # formula 1/gamma(x) = gamma(1 - x) sin(pi x) / pi, finite at those points.
        left = x < 0.5
        xl = np.where(left, x, 0.0)
        xr = np.where(left, 1.0, x)
        reflected = sc.gamma(1.0 - xl) * (np.cos(np.pi * xl)
                                          - sc.psi(1.0 - xl) * np.sin(np.pi * xl) / np.pi)
        return dy * np.where(left, reflected, -sc.psi(xr) * y)

    @register_gradient(sc.psi)            # also scipy.special.digamma (the same ufunc)
    def psi_grad(dy, y, x):
        return dy * sc.polygamma(1, x)

    @register_gradient(sc.polygamma, broadcasts=True, static=('n',))
    def polygamma_grad(dy, y, n, x):
        # polygamma(n, x)' = polygamma(n + 1, x); the order n is an integer: no gradient
        return dy * sc.polygamma(n + 1, x)

    @register_gradient(sc.multigammaln, static=('d',))
    def multigammaln_grad(dy, y, a, d):
        # log Gamma_d(a) = const + sum over j < d of gammaln(a - j/2)
        return dy * np.sum(sc.psi(np.expand_dims(a, -1) - 0.5 * np.arange(d)), axis=-1)

    @register_gradient(sc.beta, broadcasts=True)
    def beta_grad(dy, y, a, b):
        both = sc.psi(a + b)
        return dy * y * (sc.psi(a) - both), dy * y * (sc.psi(b) - both)

    @register_gradient(sc.betaln, broadcasts=True)
    def betaln_grad(dy, y, a, b):
        both = sc.psi(a + b)
        return dy * (sc.psi(a) - both), dy * (sc.psi(b) - both)

    # ------------------------------------------- incomplete beta and gamma functions

    @register_gradient(sc.betainc, broadcasts=True)
    def betainc_grad(dy, y, a, b, x):
        # w.r.t. x: the density x^(a-1) (1-x)^(b-1) / B(a, b), in logarithms (no
        # overflow of B(a, b); xlogy keeps 0^0 = 1 at x = 0 with a = 1); w.r.t. a and
        # b: forward-mode derivatives through the continued fraction
        density = np.exp(sc.xlogy(a - 1.0, x) + sc.xlog1py(b - 1.0, -x) - sc.betaln(a, b))
        return (dy * _sg_betainc_dab(a, b, x, 1, 0), dy * _sg_betainc_dab(a, b, x, 0, 1),
                dy * density)

    @register_gradient(_sg_betainc_dab, broadcasts=True)
    def betainc_dab_grad(dout, out, a, b, x, da=1, db=0):
        # d^(da+db) I / da^da db^db.  W.r.t. a and b: the next derivative (to second
        # order; a third derivative in a and b is refused); w.r.t. x: the density's
        # derivatives in a and b, with xlogy / xlog1py so that x = 0 or 1 gives 0
        # where the density vanishes
        density = np.exp(sc.xlogy(a - 1.0, x) + sc.xlog1py(b - 1.0, -x) - sc.betaln(a, b))
        both = sc.psi(a + b)
        d_a = sc.xlogy(density, x) + density * (both - sc.psi(a))
        d_b = sc.xlog1py(density, -x) + density * (both - sc.psi(b))
        if constant(da) == 1 and constant(db) == 0:
            return (dout * _sg_betainc_dab(a, b, x, 2, 0), dout * _sg_betainc_dab(a, b, x, 1, 1),
                    dout * d_a)
        if constant(da) == 0 and constant(db) == 1:
            return (dout * _sg_betainc_dab(a, b, x, 1, 1), dout * _sg_betainc_dab(a, b, x, 0, 2),
                    dout * d_b)
        both_1 = sc.polygamma(1, a + b)
        if constant(da) == 2:
            d_x = (sc.xlogy(d_a, x) + d_a * (both - sc.psi(a))
                   + density * (both_1 - sc.polygamma(1, a)))
        elif constant(db) == 2:
            d_x = (sc.xlog1py(d_b, -x) + d_b * (both - sc.psi(b))
                   + density * (both_1 - sc.polygamma(1, b)))
        else:
            d_x = sc.xlogy(d_b, x) + d_b * (both - sc.psi(a)) + density * both_1
        third = _sg_special_no_gradient(dout, 'scipy.special.betainc', 'a and b to third order',
                                        'only the first two derivatives in a and b are computed')
        return third, third, dout * d_x

    @register_gradient(sc.gammainc, broadcasts=True)
    def gammainc_grad(dy, y, a, x):
        # w.r.t. x: the density x^(a-1) e^(-x) / gamma(a), in logarithms; w.r.t. a:
        # forward-mode derivatives through P's series / Q's continued fraction
        density = np.exp(sc.xlogy(a - 1.0, x) - x - sc.gammaln(a))
        return dy * _sg_gammainc_da(a, x), dy * density

    @register_gradient(sc.gammaincc, broadcasts=True)
    def gammaincc_grad(dy, y, a, x):
        # Q(a, x) = 1 - P(a, x): the gradients of gammainc, negated
        density = np.exp(sc.xlogy(a - 1.0, x) - x - sc.gammaln(a))
        return -dy * _sg_gammainc_da(a, x), -dy * density

    @register_gradient(_sg_gammainc_da, broadcasts=True)
    def gammainc_da_grad(dout, out, a, x, order=1):
        # dP/da (order 1) and d2P/da2 (order 2).  W.r.t. a: the next order (a third
        # derivative in a is refused); w.r.t. x: d/da and d2/da2 of the density,
        # with xlogy so that x = 0 gives 0 where the density vanishes
        density = np.exp(sc.xlogy(a - 1.0, x) - x - sc.gammaln(a))
        d_density = sc.xlogy(density, x) - density * sc.psi(a)
        if constant(order) == 1:
            return dout * _sg_gammainc_da(a, x, 2), dout * d_density
        d2_density = (sc.xlogy(d_density, x) - d_density * sc.psi(a)
                      - density * sc.polygamma(1, a))
        return (_sg_special_no_gradient(dout, 'scipy.special.gammainc', 'a to third order',
                                        'only the first two derivatives in a are computed'),
                dout * d2_density)

    @register_gradient(sc.xlogy, broadcasts=True)
    def xlogy_grad(dz, z, x, y):
        # z = x log y, 0 where x == 0 whatever y is.  Partials there: log y and 0;
        # at x == y == 0 both are 0 (TensorFlow's convention).  Never NaN.
        zero = x == 0
        return (dz * np.log(np.where(zero & (y == 0), 1.0, y)),
                dz * x / np.where(zero, 1.0, y))

    @register_gradient(sc.xlog1py, broadcasts=True)
    def xlog1py_grad(dz, z, x, y):
        # z = x log(1 + y), 0 where x == 0; as xlogy at y == -1
        zero = x == 0
        return (dz * np.log1p(np.where(zero & (y == -1), 0.0, y)),
                dz * x / np.where(zero, 1.0, 1.0 + y))

    # ----------------------------------------------------------- Bessel functions

    @register_gradient(sc.j0)
    def j0_grad(dy, y, x):
        return -dy * sc.j1(x)

    @register_gradient(sc.j1)
    def j1_grad(dy, y, x):
        return dy * 0.5 * (sc.j0(x) - sc.jv(2, x))

    @register_gradient(sc.jv, broadcasts=True)      # also scipy.special.jn (the same ufunc)
    def jv_grad(dy, y, v, x):
        # J_v' = (J_(v-1) - J_(v+1)) / 2; no gradient w.r.t. a real order v (refused)
        return (_sg_special_no_gradient(dy, 'scipy.special.jv', 'the order v',
                                        _NO_CLOSED_FORM),
                dy * 0.5 * (sc.jv(v - 1, x) - sc.jv(v + 1, x)))

    @register_gradient(sc.y0)
    def y0_grad(dy, y, x):
        return -dy * sc.y1(x)

    @register_gradient(sc.y1)
    def y1_grad(dy, y, x):
        return dy * 0.5 * (sc.y0(x) - sc.yn(2, x))

    @register_gradient(sc.yn, broadcasts=True, static=('n',))
    def yn_grad(dy, y, n, x):
        # Y_n' = (Y_(n-1) - Y_(n+1)) / 2; the order n is an integer: no gradient
        return dy * 0.5 * (sc.yn(n - 1, x) - sc.yn(n + 1, x))

    @register_gradient(sc.i0)
    def i0_grad(dy, y, x):
        return dy * sc.i1(x)

    @register_gradient(sc.i1)
    def i1_grad(dy, y, x):
        return dy * 0.5 * (sc.i0(x) + sc.iv(2, x))

    @register_gradient(sc.iv, broadcasts=True)
    def iv_grad(dy, y, v, x):
        # I_v' = (I_(v-1) + I_(v+1)) / 2; no gradient w.r.t. a real order v (refused)
        return (_sg_special_no_gradient(dy, 'scipy.special.iv', 'the order v',
                                        _NO_CLOSED_FORM),
                dy * 0.5 * (sc.iv(v - 1, x) + sc.iv(v + 1, x)))

    @register_gradient(sc.ive, broadcasts=True)
    def ive_grad(dy, y, v, x):
        # ive(v, x) = iv(v, x) exp(-|x|); at x = 0, |x|' is 0 (as np.abs); no gradient
        # w.r.t. a real order v (refused)
        return (_sg_special_no_gradient(dy, 'scipy.special.ive', 'the order v',
                                        _NO_CLOSED_FORM),
                dy * (0.5 * (sc.ive(v - 1, x) + sc.ive(v + 1, x)) - np.sign(x) * y))

    # ------------------------------------------------------ error function, logistic

    @register_gradient(sc.erf)
    def erf_grad(dy, y, x):
        return dy * 1.1283791670955126 * np.exp(-x * x)        # 2 / sqrt(pi)

    @register_gradient(sc.erfc)
    def erfc_grad(dy, y, x):
        return -dy * 1.1283791670955126 * np.exp(-x * x)

    @register_gradient(sc.erfinv)
    def erfinv_grad(dy, y, x):
        return dy * 0.88622692545275801 * np.exp(y * y)         # sqrt(pi) / 2

    @register_gradient(sc.erfcinv)
    def erfcinv_grad(dy, y, x):
        return -dy * 0.88622692545275801 * np.exp(y * y)

    @register_gradient(sc.logit)
    def logit_grad(dy, y, x):
        return dy / (x * (1.0 - x))

    @register_gradient(sc.expit)
    def expit_grad(dy, y, x):
        # y (1 - y), with 1 - y as expit(-x): accurate where y rounds to 1
        return dy * y * sc.expit(-x)

    @register_gradient(sc.logsumexp, unsupported={'return_sign': False}, differentiable=('b',))
    def logsumexp_grad(dy, y, a, axis=None, b=None, keepdims=False, return_sign=False):
        # w.r.t. a: softmax(a) (times the weights b); w.r.t. b: exp(a - y).  exp(a - y)
        # never overflows.  return_sign=True is refused.  (a and b may be lists: y is
        # an array, softmax * b reads b as one)
        if axis is not None and not keepdims:
            dy = np.expand_dims(dy, axis)
            y = np.expand_dims(y, axis)
        softmax = np.exp(a - y)
        if constant(b) is None:
            return dy * softmax, None
        return _sg_unbroadcast(dy * (softmax * b), a), _sg_unbroadcast(dy * softmax, b)


    register_constant(sc.gammasgn)
