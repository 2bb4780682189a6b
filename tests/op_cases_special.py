"""The functions of tests/test_ops_special.py: one small function per (rule, call form).

scipy.special is reached in each of the ways users write it: `import
scipy.special as sc`, `from scipy import special`, `from scipy.special import
erf`, and the full `scipy.special.erf` after `import scipy`.
"""
import numpy as np
import scipy
import scipy.special
import scipy.special as sc
from scipy import special
from scipy.special import erf, expit, gammaln, logsumexp, polygamma


# ------------------------------------------------------------ gamma and relatives

def gamma(x):
    return sc.gamma(x)


def gamma_full_name(x):
    return scipy.special.gamma(x)


def gammaln_(x):
    return gammaln(x)


def gammaln_module(x):
    return special.gammaln(x)


def rgamma(x):
    return sc.rgamma(x)


def psi(x):
    return sc.psi(x)


def digamma(x):
    return special.digamma(x)


def polygamma_0(x):
    return sc.polygamma(0, x)


def polygamma_1(x):
    return sc.polygamma(1, x)


def polygamma_3(x):
    return polygamma(3, x)


def polygamma_keywords(x):
    return special.polygamma(n=2, x=x)


def polygamma_orders(x):
    # an array of orders broadcast against x
    return sc.polygamma(np.array([[0], [1], [2]]), x)


def multigammaln_3(a):
    return sc.multigammaln(a, 3)


def multigammaln_1(a):
    return special.multigammaln(a, d=1)


def beta(a, b):
    return sc.beta(a, b)


def betaln(a, b):
    return special.betaln(a, b)


def gammasgn_times_gamma(x):
    # gammasgn is piecewise constant: |gamma(x)|
    return sc.gammasgn(x) * sc.gamma(x)


# ---------------------------------------------- incomplete beta and gamma functions

def betainc(a, b, x):
    return sc.betainc(a, b, x)


def betainc_constants(x):
    return special.betainc(2.5, 0.7, x)


def gammainc(a, x):
    return sc.gammainc(a, x)


def gammainc_constant(x):
    return special.gammainc(1.5, x)


def gammaincc(a, x):
    return sc.gammaincc(a, x)


def gammaincc_constant(x):
    return scipy.special.gammaincc(0.8, x)


def xlogy(x, y):
    return sc.xlogy(x, y)


def xlog1py(x, y):
    return special.xlog1py(x, y)


# --------------------------------------------------------------- Bessel functions

def j0(x):
    return sc.j0(x)


def j1(x):
    return special.j1(x)


def jn_2(x):
    return sc.jn(2, x)


def jn_orders(x):
    return sc.jn(np.array([0, 1, 3]), x)


def jv_real_order(x):
    return special.jv(1.5, x)


def y0(x):
    return sc.y0(x)


def y1(x):
    return special.y1(x)


def yn_3(x):
    return sc.yn(3, x)


def yn_0(x):
    return special.yn(0, x)


def i0(x):
    return sc.i0(x)


def i1(x):
    return special.i1(x)


def iv_2(x):
    return sc.iv(2, x)


def iv_real_order(x):
    return special.iv(0.5, x)


def ive_1(x):
    return sc.ive(1, x)


def ive_real_order(x):
    return special.ive(2.5, x)


def ive_orders(v, x):
    return sc.ive(v, x)


# ---------------------------------------------------- error function, logistic

def erf_(x):
    return erf(x)


def erf_module(x):
    return special.erf(x)


def erfc(x):
    return sc.erfc(x)


def erfinv(x):
    return sc.erfinv(x)


def erfcinv(x):
    return special.erfcinv(x)


def logit(x):
    return sc.logit(x)


def expit_(x):
    return expit(x)


def expit_module(x):
    return scipy.special.expit(x)


def logit_of_expit(x):
    return sc.logit(sc.expit(x))


# -------------------------------------------------------------------- logsumexp

def logsumexp_all(a):
    return logsumexp(a)


def logsumexp_axis0(a):
    return sc.logsumexp(a, axis=0)


def logsumexp_axis1_positional(a):
    return special.logsumexp(a, 1)


def logsumexp_axis_neg(a):
    return sc.logsumexp(a, axis=-1)


def logsumexp_axis_tuple(a):
    return sc.logsumexp(a, axis=(0, 2))


def logsumexp_axis_tuple_neg_keepdims(a):
    return sc.logsumexp(a, axis=(-1, -3), keepdims=True)


def logsumexp_keepdims(a):
    return logsumexp(a, axis=1, keepdims=True)


def logsumexp_all_keepdims(a):
    return sc.logsumexp(a, keepdims=True)


def logsumexp_b(a, b):
    return sc.logsumexp(a, b=b)


def logsumexp_b_axis(a, b):
    return special.logsumexp(a, axis=1, b=b)


def logsumexp_b_positional(a, b):
    return logsumexp(a, -1, b, True)


def logsumexp_b_constant(a):
    return sc.logsumexp(a, axis=0, b=np.array([[0.5], [2.0], [1.0]]))


def logsumexp_of_list(x, y):
    return sc.logsumexp([x, y])


def logsumexp_method_style(a):
    # a typical use: log-softmax
    return a - sc.logsumexp(a, axis=-1, keepdims=True)


def logsumexp_return_sign(a):
    value, sign = sc.logsumexp(a, return_sign=True)
    return value * sign


def plain_numpy(x):
    # no scipy.special here: its exported gradient must not import SciPy
    return np.tanh(x) * np.exp(x)
