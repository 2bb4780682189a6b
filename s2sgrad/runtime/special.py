"""Runtime helpers for the special rules (each needs only np and other _sg_ helpers).

SciPy is optional: a helper that needs it imports it when it runs, so a
module exported from code that never calls one never imports SciPy.
"""
import numpy as np


def _sg_special_no_gradient(dy, function, argument, why):
    """Stands for a gradient s2sgrad does not compute; raises when the gradient is
    needed (when it is not, the call is removed as dead code and never runs)."""
    raise NotImplementedError(f'no gradient for {function} with respect to {argument}: '
                              f'{why}. Differentiate with respect to the other arguments '
                              f'only, or hold this one constant (s2sgrad.stop_gradient).')


def _sg_gammainc_da(a, x, order=1):
    """d/da (order 1) or d2/da2 (order 2) of the regularized lower incomplete gamma
    function P(a, x), for a > 0 and x >= 0 (NaN elsewhere).

    Forward-mode derivatives, carried through the power series of P where x < a
    or x <= 1, and through the continued fraction of Q = 1 - P elsewhere (the
    two expansions Cephes' igam and igamc use).  An element that has not
    converged after 10000 terms is NaN, never a wrong number.
    """
    import scipy.special as sc
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    out = np.full(a.shape, np.nan)
    inside = (a > 0) & (x >= 0)
    out[inside & ((x == 0) | (x == np.inf))] = 0.0      # P is 0 and 1 there, for all a
    series = inside & (x > 0) & ((x < a) | (x <= 1))
    fraction = inside & (x > 0) & (x < np.inf) & ~series
    eps, max_terms = 1e-17, 10000        # series: terms below eps of the sum
    tol = 1e-15                          # fraction: convergents agree to a few ulps
    with np.errstate(all='ignore'):
        if series.any():
            # P = exp(L) S,  L = a log x - x - log gamma(a + 1),  S = sum of t_n with
            # t_0 = 1, t_n = t_(n-1) x / (a + n):  t_n' = -t_n s1,  t_n'' = t_n (s1^2 + s2)
            # where s1, s2 sum 1 / (a + k) and 1 / (a + k)^2 over k = 1..n
            s, t = a[series], x[series]
            term, total = np.ones_like(s), np.ones_like(s)
            d1, d2, s1, s2 = (np.zeros_like(s) for _ in range(4))
            done = np.zeros(s.shape, bool)
            for n in range(1, max_terms):
                r = 1.0 / (s + n)
                term = term * t * r
                s1, s2 = s1 + r, s2 + r * r
                total, d1, d2 = total + term, d1 - term * s1, d2 + term * (s1 * s1 + s2)
                done |= term * (1.0 + s1) ** 2 <= eps * total      # terms only decrease
                if done.all():
                    break
            lead = np.exp(s * np.log(t) - t - sc.gammaln(s + 1.0))
            dl = np.log(t) - sc.psi(s + 1.0)
            if order == 1:
                value = lead * (d1 + dl * total)
            else:
                ddl = -sc.polygamma(1, s + 1.0)
                value = lead * (d2 + 2.0 * dl * d1 + (ddl + dl * dl) * total)
            out[series] = np.where(done, value, np.nan)
        if fraction.any():
            # Q = exp(L) p/q,  L = a log x - x - log gamma(a): the convergents p_k/q_k of
            # the continued fraction follow a linear recurrence whose coefficients
            # (y = 1 - a + k, z = x + 2 - a + 2k) depend on a: carry dp, dq, d2p, d2q
            s, t = a[fraction], x[fraction]
            y, z, c = 1.0 - s, t + 2.0 - s, 0.0
            pkm2, qkm2, pkm1, qkm1 = np.ones_like(s), t.copy(), t + 1.0, z * t
            dpkm2, dqkm2, dpkm1, dqkm1 = (np.zeros_like(s), np.zeros_like(s),
                                          np.zeros_like(s), -t)
            d2pkm2, d2qkm2, d2pkm1, d2qkm1 = (np.zeros_like(s) for _ in range(4))
            ans = pkm1 / qkm1
            dans = (dpkm1 - ans * dqkm1) / qkm1
            d2ans = np.zeros_like(s)
            done = np.zeros(s.shape, bool)
            big = 2.0 ** 52
            for _ in range(max_terms):
                c, y, z = c + 1.0, y + 1.0, z + 2.0
                yc = y * c
                pk = pkm1 * z - pkm2 * yc
                qk = qkm1 * z - qkm2 * yc
                dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
                dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
                d2pk = d2pkm1 * z - 2.0 * dpkm1 - d2pkm2 * yc + 2.0 * dpkm2 * c
                d2qk = d2qkm1 * z - 2.0 * dqkm1 - d2qkm2 * yc + 2.0 * dqkm2 * c
                ok = qk != 0
                safe = np.where(ok, qk, 1.0)
                new = np.where(ok, pk / safe, ans)
                dnew = np.where(ok, (dpk - new * dqk) / safe, dans)
                d2new = np.where(ok, (d2pk - 2.0 * dnew * dqk - new * d2qk) / safe, d2ans)
                done |= ((np.abs(new - ans) <= tol * np.abs(new))
                         & (np.abs(dnew - dans) <= tol * (np.abs(dnew) + np.abs(new)))
                         & (np.abs(d2new - d2ans) <= tol * (np.abs(d2new) + np.abs(dnew)
                                                            + np.abs(new))))
                ans, dans, d2ans = new, dnew, d2new
                pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
                dpkm2, dpkm1, dqkm2, dqkm1 = dpkm1, dpk, dqkm1, dqk
                d2pkm2, d2pkm1, d2qkm2, d2qkm1 = d2pkm1, d2pk, d2qkm1, d2qk
                scale = np.where(np.maximum(np.abs(pk), np.abs(qk)) > big, 1.0 / big, 1.0)
                pkm2, pkm1, qkm2, qkm1 = pkm2 * scale, pkm1 * scale, qkm2 * scale, qkm1 * scale
                dpkm2, dpkm1, dqkm2, dqkm1 = (dpkm2 * scale, dpkm1 * scale, dqkm2 * scale,
                                              dqkm1 * scale)
                d2pkm2, d2pkm1, d2qkm2, d2qkm1 = (d2pkm2 * scale, d2pkm1 * scale,
                                                  d2qkm2 * scale, d2qkm1 * scale)
                if done.all():
                    break
            lead = np.exp(s * np.log(t) - t - sc.gammaln(s))
            dl = np.log(t) - sc.psi(s)
            if order == 1:
                value = -lead * (dans + dl * ans)
            else:
                ddl = -sc.polygamma(1, s)
                value = -lead * (d2ans + 2.0 * dl * dans + (ddl + dl * dl) * ans)
            out[fraction] = np.where(done, value, np.nan)
    return out.reshape(shape)


def _sg_betainc_dab(a, b, x, da=1, db=0):
    """The derivative d^(da+db) I / da^da db^db of the regularized incomplete beta
    function I_x(a, b), for da + db = 1 or 2, a, b > 0 and 0 <= x <= 1 (NaN elsewhere).

    Forward-mode derivatives (hyper-dual numbers in a and b) carried through the
    continued fraction of I_x(a, b) where x < (a + 1) / (a + b + 2), and of
    1 - I_(1-x)(b, a) elsewhere.  An element that has not converged after 10000
    terms is NaN, never a wrong number.
    """
    import scipy.special as sc
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    shape = a.shape
    a, b, x = a.ravel(), b.ravel(), x.ravel()
    out = np.full(a.shape, np.nan)
    inside = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    out[inside & ((x == 0) | (x == 1))] = 0.0           # I is 0 and 1 there, for all a, b
    work = inside & (x > 0) & (x < 1)
    if not work.any():
        return out.reshape(shape)
    flip = (x > (a + 1.0) / (a + b + 2.0))[work]
    # in the flipped elements, J = I_(1-x)(b, a): p, q are b, a there
    p = np.where(flip, b[work], a[work])
    q = np.where(flip, a[work], b[work])
    y = np.where(flip, 1.0 - x[work], x[work])

    # a hyper-dual number: (value, d/dp, d/dq, d2/dp2, d2/dpdq, d2/dq2)
    def const(c):
        zero = np.zeros_like(p)
        return (zero + c, zero, zero, zero, zero, zero)

    def add(u, w):
        return tuple(ui + wi for ui, wi in zip(u, w))

    def mul(u, w):
        return (u[0] * w[0], u[1] * w[0] + u[0] * w[1], u[2] * w[0] + u[0] * w[2],
                u[3] * w[0] + 2.0 * u[1] * w[1] + u[0] * w[3],
                u[4] * w[0] + u[1] * w[2] + u[2] * w[1] + u[0] * w[4],
                u[5] * w[0] + 2.0 * u[2] * w[2] + u[0] * w[5])

    def inv(w):
        r = 1.0 / w[0]
        return (r, -w[1] * r * r, -w[2] * r * r, (2.0 * w[1] * w[1] * r - w[3]) * r * r,
                (2.0 * w[1] * w[2] * r - w[4]) * r * r, (2.0 * w[2] * w[2] * r - w[5]) * r * r)

    P = (p, np.ones_like(p), np.zeros_like(p), np.zeros_like(p), np.zeros_like(p),
         np.zeros_like(p))
    Q = (q, np.zeros_like(p), np.ones_like(p), np.zeros_like(p), np.zeros_like(p),
         np.zeros_like(p))
    PQ = add(P, Q)
    # 1 / (1 + d1 / (1 + d2 / (1 + ...))) with
    #   d(2m+1) = -(p + m)(p + q + m) y / ((p + 2m)(p + 2m + 1)),
    #   d(2m) = m (q - m) y / ((p + 2m - 1)(p + 2m)):
    # convergents A/B by the forward recurrence X(k) = X(k-1) + d(k) X(k-2)
    a0, a1, b0, b1 = const(0.0), const(1.0), const(1.0), const(1.0)
    f = const(1.0)
    done = np.zeros(p.shape, bool)
    tol, big = 1e-15, 2.0 ** 100
    with np.errstate(all='ignore'):
        for k in range(1, 10001):
            m = k // 2
            if k % 2:
                num = mul(add(P, const(m)), add(PQ, const(m)))
                den = mul(add(P, const(2 * m)), add(P, const(2 * m + 1)))
                d = mul(num, inv(den))
                d = tuple(-di * y for di in d)
            else:
                num = mul(const(m), add(Q, const(-m)))
                den = mul(add(P, const(2 * m - 1)), add(P, const(2 * m)))
                d = mul(num, inv(den))
                d = tuple(di * y for di in d)
            a0, a1 = a1, add(a1, mul(d, a0))
            b0, b1 = b1, add(b1, mul(d, b0))
            new = mul(a1, inv(b1))
            scale = np.abs(new[0])
            done |= np.all([np.abs(n - o) <= tol * (np.abs(n) + scale)
                            for n, o in zip(new, f)], axis=0)
            f = new
            size = np.maximum(np.abs(a1[0]), np.abs(b1[0]))
            factor = np.where(size > big, 1.0 / big, np.where(size < 1.0 / big, big, 1.0))
            a0, a1, b0, b1 = (tuple(c * factor for c in v) for v in (a0, a1, b0, b1))
            if done.all():
                break
        # the factor y^p (1-y)^q / (p B(p, q)) = exp(L), with L's derivatives
        both, both1 = sc.psi(p + q), sc.polygamma(1, p + q)
        lv = p * np.log(y) + q * np.log1p(-y) - np.log(p) - sc.betaln(p, q)
        lp = np.log(y) - 1.0 / p - sc.psi(p) + both
        lq = np.log1p(-y) - sc.psi(q) + both
        lpp = 1.0 / (p * p) - sc.polygamma(1, p) + both1
        lqq = both1 - sc.polygamma(1, q)
        e = np.exp(lv)
        front = (e, e * lp, e * lq, e * (lpp + lp * lp), e * (both1 + lp * lq),
                 e * (lqq + lq * lq))
        j = mul(front, f)
    # back to (a, b): in flipped elements I = 1 - J(q = a, p = b)
    index = {(1, 0): (1, 2), (0, 1): (2, 1), (2, 0): (3, 5), (1, 1): (4, 4),
             (0, 2): (5, 3)}[(da, db)]
    value = np.where(flip, -j[index[1]], j[index[0]])
    out[work] = np.where(done, value, np.nan)
    return out.reshape(shape)
