"""ADBench's bundle adjustment: the sparse Jacobian of the reprojection and weight errors.

n cameras of 11 parameters each (ADBench's layout [r1 r2 r3 C1 C2 C3 f u0 v0 k1 k2]:
a Rodrigues rotation, the centre, the focal length, the principal point, two radial
distortion coefficients), m points of 3, and p observations, each of one camera and
one point, with a weight w and a measured feature.  An observation's residuals are
ADBench's:

    Xcam = rodrigues_rotate_point(rot, X - C)        (sqtheta == 0: X - C + rot x (X - C))
    proj = radial_distort(k, Xcam[:2] / Xcam[2]) * f + (u0, v0)
    reproj_err = w * (proj - feat)                   2 per observation
    w_err = 1 - w ** 2                               1 per observation

Every objective returns ONE vector: the (p, 2) reprojection errors raveled (rows 2i,
2i+1 are observation i's x and y), then the p weight errors (rows 2p + i): the row
order of ADBench's BASparseMat.  Its Jacobian has the columns cams | points |
weights, each argument raveled (camera j's parameter k is column 11 j + k, point j's
coordinate k is 11 n + 3 j + k, weight i is 11 n + 3 m + i): 15 nonzeros in a
reprojection row, 1 in a weight row, so 2p x 15 + p nonzeros of 3p x (11n + 3m + p).

The data are not ADBench's files (those repeat one camera, one point and one feature
for every camera, point and observation) but random ones of the same shapes from a
fixed seed: every camera looks at the points from about 10 units away (so Xcam[2] is
far from 0), every camera and point is observed, and camera 0 has no rotation, so
ADBench's `sqtheta == 0` branch is taken by its observations.
"""
import unittest

import numpy as np

import s2sgrad as sg

TITLE = 'BA (sparse Jacobian)'

# ADBench's paper (arXiv 1807.10129), "relative runtimes": Jacobian time / objective time
# in the same language, over its 8 BA sizes (3.18e4 to 2.9e7 observations; ba1's 31843 is
# the first).  The paper plots them (its figure of relative BA runtimes); the numbers are
# from the table tab:ba-rel, commented out in the paper's LaTeX source (Documents/ms.tex of
# ADBench's repository).  At ba1: hand-written (C++, Eigen) 6.72, Tapenade 8.78,
# Autograd 67.2 (Python, per-observation jacobian calls).
PAPER = {'hand-written': '6.5-7.4', 'Tapenade': '8.4-8.9', 'autograd': '58-73'}

SIZES = {                                         # the shapes of ADBench's ba1 and ba4 files
    'tiny': dict(n=3, m=10, p=30),
    'ba1': dict(n=49, m=7776, p=31843),
    'ba4': dict(n=372, m=47423, p=204472),
}

N_CAM_PARAMS = 11                                 # ADBench's BA_NCAMPARAMS
ROT_IDX, C_IDX, F_IDX, X0_IDX, RAD_IDX = 0, 3, 6, 7, 9


# ------------------------------------------------------------------ data

def _rotate(rot, X):
    """Rotate the rows of X by the Rodrigues vectors in the rows of rot (for the data)."""
    theta = np.linalg.norm(rot, axis=1, keepdims=True)
    axis = rot / np.where(theta == 0.0, 1.0, theta)
    return (X * np.cos(theta) + np.cross(axis, X) * np.sin(theta)
            + axis * np.sum(axis * X, axis=1, keepdims=True) * (1.0 - np.cos(theta)))


def inputs(rng, n, m, p):
    """(cams, X, w, obs, feats) of ADBench's shapes: (n, 11), (m, 3), (p,), (p, 2) int, (p, 2).

    Camera j sits at C = R_j^T (0, 0, -10), so a point X of the unit cube is at
    R_j (X - C) = R_j X + (0, 0, 10) in its frame: depth 8.2 to 11.8."""
    if p < max(n, m):
        raise ValueError(f'every camera and point is observed: p={p} must be >= n={n}, m={m}')
    rot = rng.normal(size=(n, 3))
    rot *= rng.uniform(0.2, 1.5, size=(n, 1)) / np.linalg.norm(rot, axis=1, keepdims=True)
    rot[0] = 0.0                                  # ADBench's sqtheta == 0 branch
    centre = _rotate(-rot, np.tile([0.0, 0.0, -10.0], (n, 1)))
    cams = np.hstack([rot, centre,
                      rng.uniform(300.0, 500.0, size=(n, 1)),      # f
                      rng.normal(scale=5.0, size=(n, 2)),          # u0, v0
                      rng.uniform(0.0, 0.1, size=(n, 1)),          # k1
                      rng.uniform(0.0, 0.01, size=(n, 1))])        # k2
    X = rng.uniform(-1.0, 1.0, size=(m, 3))
    w = rng.uniform(0.2, 1.0, size=p)
    obs = np.stack([rng.permutation(np.concatenate([np.arange(n), rng.integers(n, size=p - n)])),
                    rng.permutation(np.concatenate([np.arange(m), rng.integers(m, size=p - m)]))],
                   axis=1)
    feats = rng.normal(scale=30.0, size=(p, 2))
    return cams, X, w, obs, feats


# ------------------------------------------------------------------ spellings

def ba_vectorised(cams, X, w, obs, feats):
    """All observations at once: gathers, Rodrigues' branch as np.where, np.cross."""
    cam = cams[obs[:, 0]]
    Xo = X[obs[:, 1]] - cam[:, C_IDX:C_IDX + 3]
    rot = cam[:, ROT_IDX:ROT_IDX + 3]
    sqtheta = np.sum(rot ** 2, axis=1)
    rotated = sqtheta != 0.0
    theta = np.sqrt(np.where(rotated, sqtheta, 1.0))[:, None]   # 1.0: no 0/0 off the branch
    costheta, sintheta = np.cos(theta), np.sin(theta)
    axis = rot / theta
    tmp = np.sum(axis * Xo, axis=1, keepdims=True) * (1.0 - costheta)
    Xcam = np.where(rotated[:, None],
                    Xo * costheta + np.cross(axis, Xo) * sintheta + axis * tmp,
                    Xo + np.cross(rot, Xo))
    proj = Xcam[:, :2] / Xcam[:, 2:]
    rsq = np.sum(proj ** 2, axis=1, keepdims=True)
    L = 1.0 + cam[:, RAD_IDX:RAD_IDX + 1] * rsq + cam[:, RAD_IDX + 1:RAD_IDX + 2] * rsq * rsq
    projected = proj * L * cam[:, F_IDX:F_IDX + 1] + cam[:, X0_IDX:X0_IDX + 2]
    reproj_err = w[:, None] * (projected - feats)
    w_err = 1.0 - w ** 2
    return np.concatenate([reproj_err.ravel(), w_err])


# (b): ADBench's functions, each on all observations (rows), cross by components.

def cross(a, b):
    return np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)


def rodrigues_rotate_point(rot, X):
    sqtheta = np.sum(rot * rot, axis=-1, keepdims=True)
    nonzero = sqtheta != 0.0
    theta = np.sqrt(np.where(nonzero, sqtheta, 1.0))
    costheta = np.cos(theta)
    sintheta = np.sin(theta)
    theta_inverse = 1.0 / theta
    w = theta_inverse * rot
    w_cross_X = cross(w, X)
    tmp = np.sum(w * X, axis=-1, keepdims=True) * (1.0 - costheta)
    return np.where(nonzero, X * costheta + w_cross_X * sintheta + w * tmp, X + cross(rot, X))


def radial_distort(rad_params, proj):
    rsq = np.sum(proj ** 2, axis=-1, keepdims=True)
    L = 1.0 + rad_params[..., 0:1] * rsq + rad_params[..., 1:2] * rsq * rsq
    return proj * L


def project(cam, X):
    Xcam = rodrigues_rotate_point(cam[..., ROT_IDX:ROT_IDX + 3], X - cam[..., C_IDX:C_IDX + 3])
    distorted = radial_distort(cam[..., RAD_IDX:RAD_IDX + 2], Xcam[..., 0:2] / Xcam[..., 2:3])
    return distorted * cam[..., F_IDX:F_IDX + 1] + cam[..., X0_IDX:X0_IDX + 2]


def compute_reproj_err(cam, X, w, feat):
    return w[..., None] * (project(cam, X) - feat)


def compute_w_err(w):
    return 1.0 - w ** 2


def ba_helpers(cams, X, w, obs, feats):
    reproj_err = compute_reproj_err(cams[obs[:, 0]], X[obs[:, 1]], w, feats)
    return np.concatenate((np.ravel(reproj_err), compute_w_err(w)))


# (c): the rotation as a matrix, R = cos I + sin [k]x + (1 - cos) k k^T, applied by einsum.

def cross_matrix(v):
    zero = np.zeros_like(v[:, 0])
    return np.stack([np.stack([zero, -v[:, 2], v[:, 1]], axis=1),
                     np.stack([v[:, 2], zero, -v[:, 0]], axis=1),
                     np.stack([-v[:, 1], v[:, 0], zero], axis=1)], axis=1)


def ba_einsum(cams, X, w, obs, feats):
    cam = np.take(cams, obs[:, 0], axis=0)
    pt = np.take(X, obs[:, 1], axis=0)
    rot, centre = cam[:, 0:3], cam[:, 3:6]
    sqtheta = np.einsum('pi,pi->p', rot, rot)
    nonzero = sqtheta != 0.0
    theta = np.sqrt(np.where(nonzero, sqtheta, 1.0))
    k = rot / theta[:, None]
    eye = np.eye(3)
    R = (np.cos(theta)[:, None, None] * eye + np.sin(theta)[:, None, None] * cross_matrix(k)
         + (1.0 - np.cos(theta))[:, None, None] * np.einsum('pi,pj->pij', k, k))
    R = np.where(nonzero[:, None, None], R, eye + cross_matrix(rot))
    Xcam = np.einsum('pij,pj->pi', R, pt - centre)
    proj = Xcam[:, 0:2] / Xcam[:, 2:3]
    rsq = np.einsum('pi,pi->p', proj, proj)
    L = 1.0 + cam[:, 9] * rsq + cam[:, 10] * rsq ** 2
    err = (proj * (L * cam[:, 6])[:, None] + cam[:, 7:9] - feats) * w[:, None]
    return np.concatenate([err.reshape(-1), 1.0 - w * w])


# (d): ADBench's PyTorch and Autograd code: a Python loop over observations, one at a time.

def rodrigues_rotate_point_1(rot, X):
    sqtheta = np.sum(rot ** 2)
    if sqtheta != 0.0:
        theta = np.sqrt(sqtheta)
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        theta_inverse = 1.0 / theta
        w = theta_inverse * rot
        w_cross_X = np.cross(w, X)
        tmp = np.dot(w, X) * (1.0 - costheta)
        return X * costheta + w_cross_X * sintheta + w * tmp
    else:
        return X + np.cross(rot, X)


def radial_distort_1(rad_params, proj):
    rsq = np.sum(proj ** 2)
    L = 1.0 + rad_params[0] * rsq + rad_params[1] * rsq * rsq
    return proj * L


def project_1(cam, X):
    Xcam = rodrigues_rotate_point_1(cam[ROT_IDX:ROT_IDX + 3], X - cam[C_IDX:C_IDX + 3])
    distorted = radial_distort_1(cam[RAD_IDX:RAD_IDX + 2], Xcam[0:2] / Xcam[2])
    return distorted * cam[F_IDX] + cam[X0_IDX:X0_IDX + 2]


def compute_reproj_err_1(cam, X, w, feat):
    return w * (project_1(cam, X) - feat)


def ba_loop(cams, X, w, obs, feats):
    p = obs.shape[0]
    reproj_err = np.empty((p, 2))
    for i in range(p):
        reproj_err[i] = compute_reproj_err_1(cams[obs[i, 0]], X[obs[i, 1]], w[i], feats[i])
    w_err = 1.0 - w ** 2
    return np.concatenate([reproj_err.ravel(), w_err])


SPELLINGS = {
    'vectorised': ba_vectorised,
    'helpers': ba_helpers,
    'einsum': ba_einsum,
    'loop': ba_loop,
}

# The per-observation loop runs ~30 NumPy calls on 3-vectors per observation: about a
# second or two for ba1's objective alone, minutes for its Jacobian; it is measured at the
# tiny size only.
LOOP_MAX_OBSERVATIONS = 1000


# ------------------------------------------------------------------ s2sgrad's Jacobian

DENSE_FALLBACK_MAX_ENTRIES = 10 ** 7
NONZEROS_IN_A_ROW = N_CAM_PARAMS + 3 + 1          # BA's: a camera, a point, a weight


def derivative(objective):
    """The sparse Jacobian (scipy.sparse csr, columns cams | points | weights):
    sg.jacobian(..., sparse=True) w.r.t. cams, X and w at once (its columns side by side)."""
    try:
        sparse = sg.jacobian(objective, wrt=(0, 1, 2), sparse=True)
    except TypeError as exc:
        if 'sparse' not in str(exc):
            raise
        return dense_jacobian_fallback(objective)
    checked = []

    def jacobian(cams, X, w, obs, feats):
        args = (cams, X, w, obs, feats)
        _measured_at(objective, args)
        if not checked and len(w) > SIZES['tiny']['p']:
            checked.append(_pattern_scales(sparse))
        return sparse(*args)
    return jacobian


def _measured_at(objective, args):
    """SkipTest where a spelling is not measured at the size of args."""
    if objective is ba_loop and len(args[2]) > LOOP_MAX_OBSERVATIONS:
        raise unittest.SkipTest(f'the per-observation loop is measured up to '
                                f'{LOOP_MAX_OBSERVATIONS} observations (ba1: ~2 s an objective)')


def _pattern_scales(sparse):
    """Before a large call: SkipTest unless the pattern s2sgrad finds at the tiny size is
    BA's (at most 15 nonzeros in a row).  A pattern that is not (a dense fallback, an op
    whose pattern is taken as dense) grows with n and m: at ba1 it fills gigabytes."""
    plan = sparse.plan(*inputs(np.random.default_rng(0), **SIZES['tiny']))
    if plan.pattern is None:
        raise unittest.SkipTest(f'no sparsity pattern found ({plan.why}): the dense '
                                f'Jacobian is measured at the tiny size only')
    widest = int(np.bincount(plan.rows).max())
    if widest > NONZEROS_IN_A_ROW:
        raise unittest.SkipTest(f'the pattern found at the tiny size has {widest} nonzeros in '
                                f'a row (BA has {NONZEROS_IN_A_ROW}): measured there only')
    return True


def dense_jacobian_fallback(objective):
    """Only where sg.jacobian takes no sparse=: dense Jacobians made sparse, the tiny size only."""
    import scipy.sparse

    dense = sg.jacobian(objective, wrt=(0, 1, 2))

    def jacobian(cams, X, w, obs, feats):
        args = (cams, X, w, obs, feats)
        _measured_at(objective, args)
        rows, cols = 3 * len(w), cams.size + X.size + w.size
        if rows * cols > DENSE_FALLBACK_MAX_ENTRIES:
            raise unittest.SkipTest(f'sg.jacobian(sparse=True) is not in this checkout, and '
                                    f'the dense fallback would be {rows} x {cols}')
        return scipy.sparse.csr_matrix(np.hstack([J.reshape(rows, -1) for J in dense(*args)]))
    return jacobian


# ------------------------------------------------------------------ the hand-written Jacobian

def _cross_matrices(v):
    """[v]x for each row of v: (p, 3, 3), [v]x @ u = v x u."""
    M = np.zeros(v.shape[:-1] + (3, 3))
    M[..., 0, 1], M[..., 0, 2] = -v[..., 2], v[..., 1]
    M[..., 1, 0], M[..., 1, 2] = v[..., 2], -v[..., 0]
    M[..., 2, 0], M[..., 2, 1] = -v[..., 1], v[..., 0]
    return M


def _rodrigues_d(rot, Xo):
    """Xcam, dXcam/drot and dXcam/dXo, each observation's (3,), (3, 3), (3, 3).

    sqtheta != 0: Xcam = c Xo + s (k x Xo) + (1 - c)(k . Xo) k with k = rot / theta, so
      dXcam/dXo = c I + s [k]x + (1 - c) k k^T,
      dXcam/drot = dXcam/dtheta k^T + dXcam/dk (I - k k^T) / theta, where
      dXcam/dtheta = -s Xo + c (k x Xo) + s (k . Xo) k and
      dXcam/dk = -s [Xo]x + (1 - c)((k . Xo) I + k Xo^T);
    sqtheta == 0 (ADBench's branch): Xcam = Xo + rot x Xo, so
      dXcam/dXo = I + [rot]x, dXcam/drot = -[Xo]x."""
    eye = np.eye(3)
    sqtheta = np.sum(rot ** 2, axis=1)
    rotated = sqtheta != 0.0
    theta = np.sqrt(np.where(rotated, sqtheta, 1.0))[:, None]
    c, s = np.cos(theta), np.sin(theta)
    k = rot / theta
    k_dot_X = np.sum(k * Xo, axis=1, keepdims=True)
    k_cross_X = np.cross(k, Xo)
    kkT = k[:, :, None] * k[:, None, :]
    Xcam = Xo * c + k_cross_X * s + k * (k_dot_X * (1.0 - c))
    d_Xo = c[:, :, None] * eye + s[:, :, None] * _cross_matrices(k) + (1.0 - c)[:, :, None] * kkT
    d_theta = -s * Xo + c * k_cross_X + (s * k_dot_X) * k
    d_k = (-s[:, :, None] * _cross_matrices(Xo)
           + (1.0 - c)[:, :, None] * (k_dot_X[:, :, None] * eye + k[:, :, None] * Xo[:, None, :]))
    d_rot = d_theta[:, :, None] * k[:, None, :] + d_k @ ((eye - kkT) / theta[:, :, None])
    still = ~rotated
    Xcam[still] = Xo[still] + np.cross(rot[still], Xo[still])
    d_Xo[still] = eye + _cross_matrices(rot[still])
    d_rot[still] = -_cross_matrices(Xo[still])
    return Xcam, d_rot, d_Xo


def reprojection_blocks(cams, X, w, obs, feats):
    """Each observation's 2 x 15 block: d(reproj_err)/d(its camera's 11, its point's 3, its w)."""
    cam = cams[obs[:, 0]]
    Xo = X[obs[:, 1]] - cam[:, C_IDX:C_IDX + 3]
    Xcam, d_rot, d_Xo = _rodrigues_d(cam[:, ROT_IDX:ROT_IDX + 3], Xo)
    z = Xcam[:, 2:3]
    u = Xcam[:, :2] / z
    # du/dXcam = [I/z | -u/z]
    d_u = np.concatenate([np.eye(2) / z[:, :, None], -(u / z)[:, :, None]], axis=2)
    k1, k2 = cam[:, RAD_IDX:RAD_IDX + 1], cam[:, RAD_IDX + 1:RAD_IDX + 2]
    f = cam[:, F_IDX:F_IDX + 1]
    rsq = np.sum(u ** 2, axis=1, keepdims=True)
    L = 1.0 + k1 * rsq + k2 * rsq * rsq
    distorted = u * L
    # d(u L)/du = L I + u (dL/du)^T, dL/du = (2 k1 + 4 k2 rsq) u
    d_distort = L[:, :, None] * np.eye(2) + (2.0 * k1 + 4.0 * k2 * rsq)[:, :, None] * (
        u[:, :, None] * u[:, None, :])
    d_Xcam = f[:, :, None] * (d_distort @ d_u)               # d proj / d Xcam: (p, 2, 3)
    d_point = d_Xcam @ d_Xo
    block = np.empty((len(w), 2, N_CAM_PARAMS + 4))
    block[:, :, ROT_IDX:ROT_IDX + 3] = d_Xcam @ d_rot
    block[:, :, C_IDX:C_IDX + 3] = -d_point
    block[:, :, F_IDX] = distorted
    block[:, :, X0_IDX:X0_IDX + 2] = np.eye(2)
    block[:, :, RAD_IDX] = f * u * rsq
    block[:, :, RAD_IDX + 1] = f * u * rsq * rsq
    block[:, :, N_CAM_PARAMS:N_CAM_PARAMS + 3] = d_point
    block[:, :, :N_CAM_PARAMS + 3] *= w[:, None, None]
    block[:, :, N_CAM_PARAMS + 3] = distorted * f + cam[:, X0_IDX:X0_IDX + 2] - feats
    return block


def hand_derivative(cams, X, w, obs, feats):
    """The Jacobian in BASparseMat's layout, as scipy.sparse csr (see the module's doc)."""
    import scipy.sparse

    n, m, p = len(cams), len(X), len(w)
    per_row = N_CAM_PARAMS + 4
    shape = (3 * p, N_CAM_PARAMS * n + 3 * m + p)
    # scipy's own index type where it fits: csr_matrix would copy other indices into it
    index = np.int32 if max(shape[1], 2 * p * per_row + p) < 2 ** 31 else np.int64
    observation = np.arange(p, dtype=index)[:, None]
    columns = np.concatenate([
        N_CAM_PARAMS * obs[:, 0:1].astype(index) + np.arange(N_CAM_PARAMS, dtype=index),
        index(N_CAM_PARAMS * n) + 3 * obs[:, 1:2].astype(index) + np.arange(3, dtype=index),
        index(N_CAM_PARAMS * n + 3 * m) + observation], axis=1)
    indices = np.concatenate([np.repeat(columns, 2, axis=0).ravel(), columns[:, -1]])
    indptr = np.concatenate([np.arange(0, 2 * p * per_row + 1, per_row, dtype=index),
                             index(2 * p * per_row) + 1 + observation[:, 0]])
    data = np.concatenate([reprojection_blocks(cams, X, w, obs, feats).ravel(), -2.0 * w])
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=shape)


# ------------------------------------------------------------------ checks

TOLERANCE = 1e-9


def check(got, want, args):
    """got equals want to 1e-9 of want's largest entry, and got's stored pattern holds
    every nonzero of want (a sparse Jacobian that drops an entry is wrong even where the
    dropped value is small)."""
    import scipy.sparse

    if not scipy.sparse.issparse(got):
        raise AssertionError(f'the Jacobian is a {type(got).__name__}, not a scipy.sparse matrix')
    got, want = scipy.sparse.csr_matrix(got), scipy.sparse.csr_matrix(want)
    if got.shape != want.shape:
        raise AssertionError(f'shape {got.shape}, want {want.shape}')
    scale = np.max(np.abs(want.data))
    error = np.max(np.abs((got - want).data), initial=0.0) / scale
    if not error <= TOLERANCE:
        raise AssertionError(f'max |got - want| / max |want| = {error:.3g} > {TOLERANCE}')
    stored = got.copy()
    stored.data = np.ones_like(stored.data)           # every stored entry, zeros too
    needed = want.copy()
    needed.data = (needed.data != 0.0).astype(float)
    missing = (needed - needed.multiply(stored)).count_nonzero()
    if missing:
        raise AssertionError(f'the pattern misses {missing} nonzeros of the hand-written Jacobian')


def objective_vector(objective, params, args):
    """The objective with cams, X and w read from one raveled parameter vector."""
    cams, X, w, obs, feats = args
    a, b = cams.size, cams.size + X.size
    return objective(params[:a].reshape(cams.shape), params[a:b].reshape(X.shape),
                     params[b:], obs, feats)


def fd_check(args, rng, h=1e-4, rtol=1e-6):
    """J v against central differences of the objective (fourth order: their error is
    below 1e-7 of J v at the tiny size, 2e-8 along k2), v random on one kind of parameter at a time (each of the 11 camera
    parameters, each point coordinate, the weights: a wrong small entry such as d/dk2 is
    not hidden behind the large ones), then on all of them."""
    cams, X, w = args[:3]
    J = hand_derivative(*args)
    params = np.concatenate([a.ravel() for a in args[:3]])
    kind = np.concatenate([np.tile(np.arange(N_CAM_PARAMS), len(cams)),
                           N_CAM_PARAMS + np.tile(np.arange(3), len(X)),
                           np.full(w.size, N_CAM_PARAMS + 3)])
    names = ['cams[:, %d]' % k for k in range(N_CAM_PARAMS)] + [
        'X[:, %d]' % k for k in range(3)] + ['w', 'everything']
    for k, name in enumerate(names):
        v = rng.normal(size=params.size) * ((kind == k) | (name == 'everything'))

        def f(t):
            return objective_vector(ba_vectorised, params + t * v, args)
        want = (8.0 * (f(h) - f(-h)) - (f(2.0 * h) - f(-2.0 * h))) / (12.0 * h)
        got = J @ v
        error = np.max(np.abs(got - want)) / np.max(np.abs(want))
        if not error <= rtol:
            raise AssertionError(f'J v along {name} differs from central differences by '
                                 f'{error:.3g} (relative to max |J v|) > {rtol}')
