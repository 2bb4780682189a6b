"""Statements that must keep working in the forward pass: print, assert,
raise in a branch not taken, docstrings, annotations, pass."""
import numpy as np

from . import Case

VERBOSE = True


def loss_with_print(W, x, t):
    pred = np.tanh(x @ W)
    loss = np.mean((pred - t) ** 2)
    print("loss:", loss, "max prediction:", np.max(pred))
    return loss


def loss_with_fstring_print(W, x, t):
    loss = np.mean((np.tanh(x @ W) - t) ** 2)
    print(f"loss = {loss:.6f} for {x.shape[0]} samples")
    return loss


def checked_shapes(W, x):
    assert x.ndim == 2, "x must be a matrix"
    assert x.shape[1] == W.shape[0], "inner dimensions differ"
    h = x @ W
    assert np.all(np.isfinite(h))
    return np.sum(np.sin(h))


def rejects_non_finite(x, w):
    if not np.all(np.isfinite(x)):
        raise ValueError("non-finite input")
    return np.sum(np.tanh(x @ w))


def rejects_wrong_rank(x):
    if x.ndim != 2:
        raise ValueError("expected a matrix, got %d dimensions" % x.ndim)
    return np.sum(x @ x.T)


def documented_energy(x, k):
    """Potential energy of springs between neighbours.

    Only the docstring is special here; the body is ordinary NumPy.
    """
    d = x[1:] - x[:-1]
    return 0.5 * k * np.sum(d ** 2) + np.sum(np.cos(x))


def descent_with_progress(x, target):
    for step in range(4):
        grad = 2.0 * (x - target) + np.cos(x)
        x = x - 0.1 * grad
        print("step", step, "objective", np.sum((x - target) ** 2))
    return np.sum(x ** 2)


def asserts_in_loop(xs, w):
    total = 0.0
    for x in xs:
        assert x.shape == w.shape
        total += np.tanh(np.dot(x, w))
    return total


def annotated(x: np.ndarray, scale: float = 2.0) -> float:
    """Annotated parameters, an annotated local, pass and ellipsis."""
    y: np.ndarray = scale * x
    pass
    ...
    return np.sum(np.sin(y))


def _check_positive(x):
    if np.any(x <= 0.0):
        raise ValueError("log-likelihood needs positive data")


def gamma_log_likelihood(x, shape):
    _check_positive(x)
    return np.sum((shape - 1.0) * np.log(x) - x)


def verbose_constant_print(x):
    y = np.exp(-x ** 2)
    if VERBOSE:
        print("mean activation", np.mean(y))
    return np.sum(y)


def discarded_expressions(x):
    np.sum(x)
    x.shape
    "a string statement"
    return np.sum(x ** 3)


def print_with_keywords(x, w):
    z = x @ w
    print("z", z, sep=" | ", end="\n")
    return np.sum(z ** 2)


# ------------------------------------------------------------------ cases

def _wxt(rng):
    return (rng.standard_normal((3, 2)), rng.standard_normal((4, 3)),
            rng.standard_normal((4, 2)))


CASES = [
    Case(loss_with_print, _wxt, (0, 1, 2), {'print'}, order=2, float32=True),
    Case(loss_with_fstring_print, _wxt, (0, 1, 2), {'print'}, autograd_ok=False),
    Case(checked_shapes,
         lambda r: (r.standard_normal((3, 2)), r.standard_normal((4, 3))),
         (0, 1), {'assert'}, order=2),
    Case(rejects_non_finite,
         lambda r: (r.standard_normal((4, 3)), r.standard_normal(3)), (0, 1),
         {'raise', 'if', 'boolop'}),
    Case(rejects_wrong_rank, lambda r: (r.standard_normal((3, 2)),), 0,
         {'raise', 'if'}),
    Case(documented_energy, lambda r: (r.standard_normal(5), 1.3), (0, 1),
         {'docstring'}, order=2),
    Case(descent_with_progress,
         lambda r: (r.standard_normal(3), r.standard_normal(3)), (0, 1),
         {'print', 'for_range'}),
    Case(asserts_in_loop,
         lambda r: (r.standard_normal((4, 3)), r.standard_normal(3)), (0, 1),
         {'assert', 'for_array', 'augassign'}),
    Case(annotated, lambda r: (r.standard_normal(4), 2.0), (0, 1),
         {'docstring'}),
    Case(gamma_log_likelihood,
         lambda r: (r.uniform(0.5, 2.0, 5), 2.5), (0, 1),
         {'raise', 'if', 'helper'}, order=2),
    # the branch is on a module constant: no run-time `if`
    Case(verbose_constant_print, lambda r: (r.standard_normal(4),), 0,
         {'print', 'constant'}, order=2),
    Case(discarded_expressions, lambda r: (r.standard_normal(4),), 0, set(),
         order=2),
    Case(print_with_keywords,
         lambda r: (r.standard_normal((3, 2)), r.standard_normal(2)), (0, 1),
         {'print'}),
]
