"""Arrays made in the body and mutated: buffers filled in loops, slice
updates, masked assignment, copies then in-place changes."""
import numpy as np

from . import Case


def running_sum(x):
    out = np.zeros_like(x)
    running = 0.0
    for i in range(x.shape[0]):
        running += x[i]
        out[i] = running
    return np.sum(np.sin(out))


def laplacian_1d(u):
    lap = np.empty_like(u)
    lap[0] = u[1] - 2.0 * u[0]
    lap[-1] = u[-2] - 2.0 * u[-1]
    lap[1:-1] = u[2:] - 2.0 * u[1:-1] + u[:-2]
    return np.sum(lap ** 2)


def moving_average(x, width):
    out = np.zeros(x.shape[0] - width + 1)
    for i in range(out.shape[0]):
        out[i] = np.mean(x[i:i + width])
    return np.sum(out ** 3)


def scatter_histogram(values, bins, n_bins):
    hist = np.zeros(n_bins)
    for v, k in zip(values, bins):
        hist[k] += v * v
    return np.sum(np.sqrt(hist + 1.0))


def relu_in_place(x, w):
    h = x @ w
    h[h < 0] = 0.0
    return np.sum(h ** 2)


def clip_gradients(g, limit):
    clipped = g.copy()
    too_big = np.abs(clipped) > limit
    clipped[too_big] = limit * np.sign(clipped[too_big])
    return np.sum(clipped * g)


def scale_columns(X, s):
    Y = X.copy()
    for k in range(Y.shape[1]):
        Y[:, k] *= s[k]
    return np.sum(np.tanh(Y))


def thomas_solve(a, b, c, d):
    """Tridiagonal solve (sub-diagonal a, diagonal b, super-diagonal c)."""
    n = d.shape[0]
    cp = np.empty(n)
    dp = np.empty(n)
    cp[0] = c[0] / b[0]
    dp[0] = d[0] / b[0]
    for i in range(1, n):
        denom = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / denom
        dp[i] = (d[i] - a[i] * dp[i - 1]) / denom
    x = np.empty(n)
    x[-1] = dp[-1]
    for i in reversed(range(n - 1)):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return np.sum(x * np.arange(1.0, n + 1.0))


def pairwise_distances(X):
    n = X.shape[0]
    D = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            D[i, j] = np.sqrt(np.sum((X[i] - X[j]) ** 2) + 1e-3)
    return np.sum(np.exp(-D))


def conv1d_im2col(x, kernel):
    k = kernel.shape[0]
    cols = np.zeros((x.shape[0] - k + 1, k))
    for i in range(cols.shape[0]):
        cols[i, :] = x[i:i + k]
    return np.sum(np.tanh(cols @ kernel))


def clamp_above(x, ceiling):
    y = x.copy()
    y[y > ceiling] = ceiling
    return np.sum(y * np.cos(x))


def exponential_smoothing(x, alpha):
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, x.shape[0]):
        out[t] = alpha * x[t] + (1.0 - alpha) * out[t - 1]
    return np.sum(out ** 2)


def stencil_by_slices(x):
    y = np.zeros(x.shape[0] + 2)
    y[0:-2] += x
    y[1:-1] += 2.0 * x
    y[2:] += x
    y *= 0.25
    return np.sum(y ** 3)


def reused_scratch(x, w):
    scratch = np.zeros(x.shape[0])
    acc = 0.0
    for i in range(4):
        scratch[:] = np.sin(x * (i + 1.0)) * w
        acc += np.sum(scratch ** 2)
    return acc


def bubble_pass_sort_weights(x):
    """One pass of bubble sort that swaps elements through a buffer."""
    y = x.copy()
    for i in range(y.shape[0] - 1):
        if y[i] > y[i + 1]:
            tmp = y[i]
            y[i] = y[i + 1]
            y[i + 1] = tmp
    return np.sum(y * np.arange(1.0, y.shape[0] + 1.0))


def masked_row_update(X, threshold):
    X = X.copy()
    for i in range(X.shape[0]):
        row = X[i]
        if np.sum(row) > threshold:
            X[i] = row / np.sum(row)
            continue
        X[i, 0] = X[i, 0] ** 2
    return np.sum(X ** 2)


def upper_triangle_fill(v, n):
    M = np.zeros((n, n))
    k = 0
    for i in range(n):
        for j in range(i, n):
            M[i, j] = v[k]
            k += 1
    S = M + M.T
    return np.sum(S @ S)


# ------------------------------------------------------------------ cases

def _x(rng, n=6):
    return rng.standard_normal(n)


def _tridiag_args(rng):
    n = 5
    return (rng.uniform(-1, 1, n), rng.uniform(3, 4, n), rng.uniform(-1, 1, n),
            rng.standard_normal(n))


def _bubble_args(rng):
    return (np.array([0.3, 1.9, -0.4, 2.6, 1.1, 0.0]),)


def _rows_args(rng):
    X = np.abs(rng.standard_normal((4, 3))) + 0.2
    X[1] = -X[1]
    X[3, 1:] = -X[3, 1:]
    return X, 1.0


def _tri_args(rng):
    return rng.standard_normal(10), 4


CASES = [
    Case(running_sum, lambda r: (_x(r),), 0,
         {'for_range', 'setitem', 'augassign'}, autograd_ok=False, order=2),
    Case(laplacian_1d, lambda r: (_x(r, 7),), 0, {'setitem'},
         autograd_ok=False, order=2),
    Case(moving_average, lambda r: (_x(r, 8), 3), 0, {'for_range', 'setitem'},
         autograd_ok=False),
    Case(scatter_histogram,
         lambda r: (_x(r, 7), np.array([0, 2, 1, 2, 0, 3, 2]), 4), 0,
         {'zip', 'augsetitem'}, autograd_ok=False, order=2),
    Case(relu_in_place, lambda r: (r.standard_normal((5, 3)), r.standard_normal(3)),
         (0, 1), {'mask_setitem'}, autograd_ok=False),
    Case(clip_gradients, lambda r: (np.array([0.3, -2.2, 1.6, -0.5, 0.9]), 1.0),
         0, {'mask_setitem', 'methods'}, autograd_ok=False),
    Case(scale_columns, lambda r: (r.standard_normal((3, 4)), r.standard_normal(4)),
         (0, 1), {'for_range', 'augsetitem', 'methods'}, autograd_ok=False,
         float32=True),
    Case(thomas_solve, _tridiag_args, (0, 1, 2, 3),
         {'for_range', 'reversed', 'setitem', 'docstring'}, autograd_ok=False,
         float32=True),
    Case(pairwise_distances, lambda r: (r.standard_normal((4, 2)),), 0,
         {'for_range', 'nested_loop', 'setitem'}, autograd_ok=False),
    Case(conv1d_im2col, lambda r: (_x(r, 8), r.standard_normal(3)), (0, 1),
         {'for_range', 'setitem'}, autograd_ok=False, order=2),
    Case(clamp_above, lambda r: (np.array([0.2, 1.7, -0.3, 2.4, 0.9]), 1.0),
         (0, 1), {'mask_setitem', 'methods'}, autograd_ok=False),
    Case(exponential_smoothing, lambda r: (_x(r, 7), 0.3), (0, 1),
         {'for_range', 'setitem'}, autograd_ok=False, order=2),
    Case(stencil_by_slices, lambda r: (_x(r, 5),), 0,
         {'augsetitem', 'augassign'}, autograd_ok=False, order=2),
    Case(reused_scratch, lambda r: (_x(r, 4), _x(r, 4)), (0, 1),
         {'for_range', 'setitem', 'augassign'}, autograd_ok=False),
    Case(bubble_pass_sort_weights, _bubble_args, 0,
         {'for_range', 'if', 'setitem', 'methods', 'docstring'},
         autograd_ok=False),
    Case(masked_row_update, _rows_args, 0,
         {'for_range', 'if', 'continue', 'setitem', 'methods'},
         autograd_ok=False),
    Case(upper_triangle_fill, _tri_args, 0,
         {'for_range', 'nested_loop', 'setitem', 'augassign'},
         autograd_ok=False),
]
