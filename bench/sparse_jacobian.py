"""The sparse Jacobian of a bundle-adjustment residual: sg.jacobian(f, sparse=True).

    python bench/sparse_jacobian.py            # ADBench's ba1 sizes (49 cameras, 7776 points,
                                               # 31843 observations)
    python bench/sparse_jacobian.py --quick    # a small problem, few rounds (a smoke run)

The residuals are ADBench's BA (cameras of 11 parameters: rotation (3), centre
(3), focal length, principal point (2), radial distortion (2); points of 3; one
weight per observation): for each observation, 2 reprojection residuals
`w * (projection - feature)` and 1 weight residual `1 - w**2`, so the Jacobian
is (3p, 11n + 3m + p).  Data of these shapes from a fixed seed (each
observation a random camera and point).  Two spellings of the objective:
`vectorised` (np.cross, a helper for the rotation) and `components` (the cross
product and the sums written out component by component).

Reported: the plan's number of colours (the passes) and mode, the pattern's
first computation and colouring (once per shapes and observation indices),
and the sparse Jacobian's time / the objective's (interleaved calls, medians):
as `sg.jacobian` plans it (preaccumulated at the gathers `cams[obs[:, 0]]`,
`X[obs[:, 1]]`: 3 reverse passes) and with `preaccumulate = 'never'` (the
plain plan: 14 column colours, one batched forward pass), with the columns a
dense Jacobian would need (one pass each).  The Jacobian is
checked first against hand-assembled finite differences on a few columns.
One thread for BLAS.
"""
import os
import sys
import time

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import s2sgrad as sg  # noqa: E402


def rotate(r, X):
    """Rodrigues' rotation of each row of X by the axis-angle row of r."""
    theta = np.sqrt(np.sum(r * r, axis=1))[:, None]
    k = r / theta
    cos, sin = np.cos(theta), np.sin(theta)
    return X * cos + np.cross(k, X) * sin + k * np.sum(k * X, axis=1)[:, None] * (1.0 - cos)


def vectorised(cams, X, w, obs, feats):
    c = cams[obs[:, 0]]
    p = X[obs[:, 1]]
    Xc = rotate(c[:, 0:3], p - c[:, 3:6])
    xp = Xc[:, :2] / Xc[:, 2:3]
    r2 = np.sum(xp * xp, axis=1)[:, None]
    distortion = 1.0 + c[:, 9:10] * r2 + c[:, 10:11] * r2 * r2
    projection = xp * distortion * c[:, 6:7] + c[:, 7:9]
    err = w[:, None] * (projection - feats)
    return np.concatenate([err.ravel(), 1.0 - w * w])


def components(cams, X, w, obs, feats):
    c = cams[obs[:, 0]]
    p = X[obs[:, 1]]
    r0, r1, r2 = c[:, 0], c[:, 1], c[:, 2]
    x0 = p[:, 0] - c[:, 3]
    x1 = p[:, 1] - c[:, 4]
    x2 = p[:, 2] - c[:, 5]
    theta = np.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
    k0, k1, k2 = r0 / theta, r1 / theta, r2 / theta
    cos, sin = np.cos(theta), np.sin(theta)
    dot = (k0 * x0 + k1 * x1 + k2 * x2) * (1.0 - cos)
    y0 = x0 * cos + (k1 * x2 - k2 * x1) * sin + k0 * dot
    y1 = x1 * cos + (k2 * x0 - k0 * x2) * sin + k1 * dot
    y2 = x2 * cos + (k0 * x1 - k1 * x0) * sin + k2 * dot
    u, v = y0 / y2, y1 / y2
    rr = u * u + v * v
    distortion = 1.0 + c[:, 9] * rr + c[:, 10] * rr * rr
    eu = w * (u * distortion * c[:, 6] + c[:, 7] - feats[:, 0])
    ev = w * (v * distortion * c[:, 6] + c[:, 8] - feats[:, 1])
    return np.concatenate([np.stack([eu, ev], axis=1).ravel(), 1.0 - w * w])


SPELLINGS = {'vectorised': vectorised, 'components': components}


def inputs(n, m, p, seed=0):
    rng = np.random.default_rng(seed)
    cams = np.concatenate([rng.normal(0, 0.3, (n, 3)), rng.normal(0, 1, (n, 3)),
                           rng.uniform(500, 1500, (n, 1)), rng.normal(0, 1, (n, 2)),
                           rng.normal(0, 1e-3, (n, 2))], axis=1)
    X = rng.normal(0, 1, (m, 3)) + np.array([0.0, 0.0, 10.0])
    w = rng.uniform(0.5, 1.5, p)
    obs = np.stack([rng.integers(0, n, p), rng.integers(0, m, p)], axis=1)
    feats = rng.normal(0, 100, (p, 2))
    return cams, X, w, obs, feats


def check(objective, jac, args, rng, columns=6):
    """A few columns of the Jacobian against central differences."""
    flat = np.concatenate([a.ravel() for a in args[:3]])
    sizes = np.cumsum([0] + [a.size for a in args[:3]])

    def at(v):
        parts = [v[sizes[i]:sizes[i + 1]].reshape(args[i].shape) for i in range(3)]
        return objective(*parts, *args[3:])
    for j in rng.choice(flat.size, columns, replace=False):
        h = 1e-6 * max(1.0, abs(flat[j]))
        up, down = flat.copy(), flat.copy()
        up[j] += h
        down[j] -= h
        fd = (at(up) - at(down)) / (2 * h)
        got = jac[:, j].toarray().ravel()
        scale = np.abs(fd).max() + 1e-3
        assert np.abs(got - fd).max() <= 1e-4 * scale, f'column {j}: off by ' \
            f'{np.abs(got - fd).max()} of {scale}'


def main(quick=False):
    n, m, p = (5, 40, 200) if quick else (49, 7776, 31843)
    rounds = 3 if quick else 7
    args = inputs(n, m, p)
    print(f'BA residuals: {n} cameras x 11, {m} points x 3, {p} observations x (2 + 1): '
          f'Jacobian {3 * p} x {11 * n + 3 * m + p} '
          f'(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)')
    print('spelling | colours (passes) | mode | first call: pattern + colouring | '
          'sparse Jacobian / objective | plain plan: colours, / objective | '
          'dense Jacobian would need')
    worst = 0.0
    for name, objective in SPELLINGS.items():
        jac = sg.jacobian(objective, wrt=(0, 1, 2), sparse=True)
        plain = sg.jacobian(objective, wrt=(0, 1, 2), sparse=True)
        plain.preaccumulate = 'never'
        start = time.perf_counter()
        plan = jac.plan(*args)
        planned = time.perf_counter() - start
        for each in (jac, plain):
            check(objective, each(*args), args, np.random.default_rng(1))
        times = {objective: [], jac: [], plain: []}
        for _ in range(rounds):
            for fn in times:
                start = time.perf_counter()
                fn(*args)
                times[fn].append(time.perf_counter() - start)
        ms = {fn: np.median(t) * 1e3 for fn, t in times.items()}
        ratio = ms[jac] / ms[objective]
        worst = max(worst, ratio)
        print(f'{name} | {plan.count} | {plan.mode} | {planned:.2f} s | {ratio:.1f} '
              f'({ms[jac]:.1f} ms / {ms[objective]:.2f} ms) | {plain.last.count} '
              f'{plain.last.mode}, {ms[plain] / ms[objective]:.1f} | '
              f'{11 * n + 3 * m + p} passes')
    print(f'slowest spelling: {worst:.1f} x the objective')


if __name__ == '__main__':
    main(quick='--quick' in sys.argv)
