"""Numerical gradient checks: analytic derivatives against finite differences.

Everything here needs only NumPy.  ``s2sgrad`` itself is imported lazily, and
only when no ``grad=`` is given, so this module loads even when the package is
incomplete and can check any gradient implementation with the ``sg.grad``
calling convention ``grad(f, wrt=...)``.

The checks are directional: a random direction ``v`` (seeded) is drawn for
every argument in ``wrt`` and the analytic value ``<grad, v>`` is compared with
the central-difference derivative of ``t -> sum(f(x + t v))``, where ``sum``
adds up every output of ``f`` (tuples and lists flattened).  Finite differences
are always taken in float64, on float64 copies of the arguments.
"""

import copy
import inspect

import numpy as np

__all__ = ["numerical_directional_derivative", "check_grads", "check_vjp"]

# Relative step of the central differences.  With the Richardson combination
# of steps h and h/2 the truncation error is O(h**4), so a fairly large step
# keeps the round-off small; small enough that a kink (relu, abs, max) is
# rarely straddled.
_REL_STEP = 1e-4


# -- arguments ---------------------------------------------------------------

def _is_float(a):
    """True for a Python float and a real floating NumPy scalar or array."""
    if isinstance(a, bool):
        return False
    if isinstance(a, float):
        return True
    if isinstance(a, (np.ndarray, np.generic)):
        return np.issubdtype(a.dtype, np.floating)
    return False


def _to_float64(a):
    """A float64 copy of a float argument; any other argument unchanged."""
    if not _is_float(a):
        return a
    if isinstance(a, np.ndarray):
        return a.astype(np.float64)
    if isinstance(a, np.generic):
        return np.float64(a)
    return float(a)


def _perturb(a, v, t):
    """``a + t * v`` keeping the kind of ``a`` (array, NumPy scalar, float)."""
    if isinstance(a, np.ndarray):
        return a + t * v
    if isinstance(a, np.generic):
        return np.float64(a + t * v)
    return float(a + t * v)


def _snapshot(args):
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a
            for a in args]


def _assert_unchanged(before, args, what):
    for i, (old, new) in enumerate(zip(before, args)):
        if isinstance(new, np.ndarray) and not np.array_equal(
                old, new, equal_nan=np.issubdtype(new.dtype, np.inexact)):
            raise AssertionError(f"{what} modified its argument {i} in place")


def _resolve_wrt(f, wrt, nargs):
    """Positional indices named by ``wrt`` and whether a tuple was asked for.

    ``wrt`` follows sg.grad: an int, a parameter name, or a tuple of those.
    """
    multi = isinstance(wrt, tuple)
    items = wrt if multi else (wrt,)
    names = None
    indices = []
    for w in items:
        if isinstance(w, str):
            if names is None:
                try:
                    params = inspect.signature(f).parameters.values()
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"cannot resolve wrt={w!r}: no signature for {f!r}"
                    ) from exc
                names = [p.name for p in params
                         if p.kind in (p.POSITIONAL_ONLY,
                                       p.POSITIONAL_OR_KEYWORD)]
            if w not in names:
                raise ValueError(f"wrt={w!r} is not a positional parameter "
                                 f"of {_name(f)} {tuple(names)}")
            i = names.index(w)
        elif isinstance(w, (int, np.integer)) and not isinstance(w, bool):
            i = int(w)
        else:
            raise TypeError(f"wrt must be an int, a name or a tuple of them, "
                            f"not {w!r}")
        if not -nargs <= i < nargs:
            raise ValueError(f"wrt={w!r} is out of range for {nargs} "
                             f"arguments")
        indices.append(i % nargs)
    return tuple(indices), multi


def _name(f):
    return getattr(f, "__name__", None) or repr(f)


# -- outputs -----------------------------------------------------------------

def _sum_outputs(out):
    """The float64 sum of every element of every output (nested tuples and
    lists flattened, None skipped)."""
    if out is None or isinstance(out, str):
        return 0.0                  # (a constant leaf of a container's gradient)
    if isinstance(out, dict):       # (a container's gradient: sg.grad of it sums it too)
        out = list(out.values())
    elif _is_container(out) and not isinstance(out, (list, tuple)):
        out = list(vars(out).values())
    if isinstance(out, (tuple, list)):
        return sum((_sum_outputs(o) for o in out), 0.0)
    return float(np.sum(np.asarray(out), dtype=np.float64))


def _inner(u, out):
    """``<u, out>`` in float64 for matching nested structures."""
    if u is None or out is None:
        return 0.0
    if isinstance(out, (tuple, list)):
        return sum((_inner(a, b) for a, b in zip(u, out)), 0.0)
    return float(np.sum(np.asarray(u, np.float64) * np.asarray(out),
                        dtype=np.float64))


def _random_like(x, rng):
    """A random cotangent shaped and typed like the output ``x``."""
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(a, rng) for a in x)
    if x is None or not _is_float(x):
        return None
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape).astype(x.dtype)
    if isinstance(x, np.generic):
        return x.dtype.type(rng.standard_normal())
    return float(rng.standard_normal())


def _fmt(x):
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, threshold=24, edgeitems=3)
    return repr(x)


# -- finite differences ------------------------------------------------------

def _directional(f, args, indices, directions, eps):
    """Richardson-extrapolated central difference of t -> sum(f(x + t v)).

    Returns (estimate, D(h), D(h/2), h).
    """
    base = [_to_float64(a) for a in args]
    dirs = [np.asarray(v, dtype=np.float64) if isinstance(base[i], np.ndarray)
            else float(v) for i, v in zip(indices, directions)]
    for i, v in zip(indices, dirs):
        if np.shape(v) != np.shape(base[i]):
            raise ValueError(f"direction for argument {i} has shape "
                             f"{np.shape(v)}, argument has {np.shape(base[i])}")
    vmax = max((float(np.max(np.abs(v))) if np.size(v) else 0.0
                for v in dirs), default=0.0)
    if vmax == 0.0:
        return 0.0, 0.0, 0.0, 0.0
    if eps is None:
        xmax = max((float(np.max(np.abs(base[i]))) if np.size(base[i]) else 0.0
                    for i in indices), default=0.0)
        eps = _REL_STEP * max(1.0, xmax) / vmax

    def total(t):
        moved = list(base)
        for i, v in zip(indices, dirs):
            moved[i] = _perturb(base[i], v, t)
        return _sum_outputs(f(*moved))

    def central(h):
        return (total(h) - total(-h)) / (2.0 * h)

    d1 = central(eps)
    d2 = central(eps / 2.0)
    return (4.0 * d2 - d1) / 3.0, d1, d2, eps


def numerical_directional_derivative(f, args, wrt, directions, eps=None):
    """Derivative of ``sum(f(*args))`` along ``directions``, by central
    differences in float64.

    ``wrt`` is an int, a parameter name or a tuple of them; ``directions``
    gives one direction per entry (a single one when ``wrt`` is not a tuple),
    each shaped like its argument.  Float arguments are copied to float64
    before they are perturbed; the outputs of ``f`` (tuples and lists
    flattened) are summed in float64.  ``eps`` is the step along the
    direction; by default ``1e-4 * max(1, max|x|) / max|v|``, combined with
    half that step by Richardson extrapolation (error O(eps**4)).
    """
    indices, multi = _resolve_wrt(f, wrt, len(args))
    if not multi:
        directions = (directions,)
    directions = tuple(directions)
    if len(directions) != len(indices):
        raise ValueError(f"{len(directions)} directions for {len(indices)} "
                         f"arguments")
    for i in indices:
        if not _is_float(args[i]):
            raise TypeError(f"argument {i} is not a float: {args[i]!r}")
    return _directional(f, args, indices, directions, eps)[0]


# -- checks ------------------------------------------------------------------

def _check_structure(result, args, indices, multi, what):
    """``result`` as a tuple, after checking it is one entry per index, each
    with the kind, shape and dtype of its float argument."""
    if multi:
        if not isinstance(result, tuple) or len(result) != len(indices):
            raise AssertionError(f"{what} should return a tuple of "
                                 f"{len(indices)} gradients, got {result!r}")
        parts = result
    else:
        parts = (result,)
    for i, g in zip(indices, parts):
        a = args[i]
        if not _is_float(a):
            continue  # the contract fixes nothing for non-float arguments
        if g is None:
            raise AssertionError(f"{what}: gradient for argument {i} is None")
        if type(a) is float:
            if not isinstance(g, float):
                raise AssertionError(
                    f"{what}: argument {i} is a Python float, its gradient "
                    f"is {type(g).__name__} {g!r}, not a float")
            continue
        gshape, gdtype = np.shape(g), np.asarray(g).dtype
        if gshape != a.shape or gdtype != a.dtype:
            raise AssertionError(
                f"{what}: gradient for argument {i} has shape {gshape} dtype "
                f"{gdtype}; the argument has shape {a.shape} dtype {a.dtype}")
    return parts


def _lowest_precision(args):
    """The narrowest float dtype narrower than float64 among the array and
    NumPy-scalar arguments, or None if there is none."""
    dtypes = [np.asarray(a).dtype for a in args
              if _is_float(a) and type(a) is not float]
    low = [d for d in dtypes if d.itemsize < 8]
    return min(low, key=lambda d: d.itemsize) if low else None


def _compare(label, analytic, numeric, info, dirs, indices, parts, rtol, atol):
    if abs(analytic - numeric) <= atol + rtol * abs(numeric):
        return
    _, d1, d2, h = info
    lines = [
        f"{label} disagrees with finite differences",
        f"  analytic <grad, v>            = {analytic!r}",
        f"  numeric  d/dt sum f(x + t v)  = {numeric!r}",
        f"  difference {analytic - numeric!r} > atol {atol} + rtol {rtol} "
        f"* |numeric|",
        f"  central differences: h={h!r} -> {d1!r}, h/2 -> {d2!r}",
    ]
    for i, v, g in zip(indices, dirs, parts):
        lines.append(f"  direction v[{i}] = {_fmt(v)}")
        lines.append(f"  analytic grad[{i}] = {_fmt(g)}")
    raise AssertionError("\n".join(lines))


def _dot(parts, dirs):
    return sum((float(np.sum(np.asarray(g, np.float64) * v, dtype=np.float64))
                for g, v in zip(parts, dirs)), 0.0)


# -- containers: checked leaf by leaf ---------------------------------------

def _is_container(a):
    return isinstance(a, (dict, list, tuple)) or (
        hasattr(a, "__dict__") and not isinstance(a, (np.ndarray, np.generic, type))
        and not callable(a))


def _float_paths(a, path=()):
    """The paths (keys, positions, attribute names) of the float leaves of a
    container (a dict, list, tuple, NamedTuple, dataclass or plain object)."""
    if isinstance(a, dict):
        items = a.items()
    elif isinstance(a, (list, tuple)):
        items = enumerate(a)
    elif _is_container(a):
        items = vars(a).items()
    else:
        return [path] if _is_float(a) else []
    return [p for k, v in items for p in _float_paths(v, path + (k,))]


def _leaf(a, path):
    for k in path:
        if a is None:
            return None
        a = a[k] if isinstance(a, (dict, list, tuple)) else getattr(a, k)
    return a


def _replaced(a, path, value):
    """A copy of container `a` with the leaf at `path` replaced (`a` untouched)."""
    if not path:
        return value
    k, rest = path[0], path[1:]
    if isinstance(a, dict):
        return {**a, k: _replaced(a[k], rest, value)}
    if isinstance(a, (list, tuple)):
        items = list(a)
        items[k] = _replaced(items[k], rest, value)
        if isinstance(a, list):
            return items
        return type(a)(*items) if hasattr(a, "_fields") else tuple(items)
    out = copy.copy(a)
    object.__setattr__(out, k, _replaced(getattr(a, k), rest, value))
    return out


def _flattened(label, f, derivative, args, indices, multi):
    """The same check with each container in ``wrt`` given as its float leaves, one
    argument each: (f, derivative, args, indices) of the flat problem, the
    derivative's gradients read leaf by leaf (a None where a float leaf is is an
    error)."""
    places = []                         # (argument, path) of each flat argument
    for i, a in enumerate(args):
        paths = _float_paths(a) if i in indices and _is_container(a) else [None]
        places += [(i, p) for p in paths]

    def unflatten(flat):
        out = list(args)
        for (i, path), v in zip(places, flat):
            out[i] = v if path is None else _replaced(out[i], path, v)
        return out

    def flat_derivative(*flat):
        result = derivative(*unflatten(flat))
        parts = result if multi else (result,)
        grads = dict(zip(indices, parts))
        out = []
        for i, path in places:
            if i not in grads:
                continue
            if path is None:
                out.append(grads[i])
                continue
            g = _leaf(grads[i], path)
            if g is None:
                raise AssertionError(f"{label}: gradient for argument {i} has no entry at "
                                     f"{path!r} (a float leaf)")
            out.append(g)
        return tuple(out)

    flat_indices = tuple(n for n, (i, _) in enumerate(places) if i in indices)
    flat_args = [args[i] if path is None else _leaf(args[i], path) for i, path in places]
    return (lambda *flat: f(*unflatten(flat))), flat_derivative, flat_args, flat_indices


def _check_linearisation(label, f, derivative, args, indices, multi, rng,
                         rtol, atol):
    """Shared body of check_grads and check_vjp for one level.

    ``derivative(*args)`` returns one cotangent per index (a tuple if
    ``multi``); finite differences are taken of ``sum(f(*args))``.  A container
    in ``wrt`` is checked leaf by leaf.
    """
    if any(_is_container(args[i]) for i in indices):
        f, derivative, args, indices = _flattened(label, f, derivative, args, indices,
                                                  multi)
        multi = True
    before = _snapshot(args)
    result = derivative(*args)
    _assert_unchanged(before, args, label)
    parts = _check_structure(result, args, indices, multi, label)

    checked = [(k, i) for k, i in enumerate(indices) if _is_float(args[i])]
    if not checked:
        return
    f_idx = [i for _, i in checked]
    dirs = [rng.standard_normal(np.shape(args[i])) if isinstance(
        args[i], np.ndarray) else float(rng.standard_normal()) for i in f_idx]
    info = _directional(f, args, f_idx, dirs, None)
    numeric = info[0]

    low = _lowest_precision(args)
    if low is None:
        parts64 = [parts[k] for k, _ in checked]
    else:
        # The derivative at the original precision: checked loosely.
        loose = float(np.sqrt(np.finfo(low).eps))
        lp = [parts[k] for k, _ in checked]
        _compare(f"{label} (at {low} precision)", _dot(lp, dirs), numeric,
                 info, dirs, f_idx, lp, max(rtol, loose), max(atol, loose))
        # The same derivative code run on float64 copies: checked tightly.
        args64 = [_to_float64(a) for a in args]
        res64 = derivative(*args64)
        parts64 = _check_structure(res64, args64, indices, multi, label)
        parts64 = [parts64[k] for k, _ in checked]
    _compare(label, _dot(parts64, dirs), numeric, info, dirs, f_idx, parts64,
             rtol, atol)


def check_grads(f, *args, wrt=0, order=2, rtol=1e-5, atol=1e-6, seed=0,
                grad=None):
    """Assert that ``grad(f, wrt=wrt)`` is the gradient of ``sum(f(*args))``.

    ``grad`` defaults to ``s2sgrad.grad``; any function with its calling
    convention works.  For every float argument named by ``wrt`` (an int, a
    parameter name, or a tuple of them, which then gives a tuple of gradients)
    the gradient must have the argument's kind, shape and dtype (a Python
    float gets a float), and ``<grad, v>`` along a random direction ``v``
    must match the central-difference derivative in float64 within
    ``atol + rtol * |numeric|``.  Arguments of lower precision (float32) are
    checked twice: the gradient at their own precision with a tolerance of
    ``sqrt(eps)`` of that type, and the gradient of float64 copies with
    ``rtol``/``atol``.  A container in ``wrt`` (a dict, list, tuple,
    NamedTuple, dataclass or object) is checked at each of its float leaves,
    whose gradient must be there in the same structure; other non-float
    arguments in ``wrt`` are not checked.  The gradient function must not
    modify its arguments.

    With ``order >= 2`` the check is repeated on ``grad(grad(f, wrt), wrt)``
    (the gradient of the summed gradient outputs) and so on up to ``order``.
    Raises AssertionError showing the analytic and numeric values and the
    direction.
    """
    if grad is None:
        import s2sgrad
        grad = s2sgrad.grad
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    indices, multi = _resolve_wrt(f, wrt, len(args))
    rng = np.random.default_rng(seed)
    func = f
    several = isinstance(f(*copy.deepcopy(args)), (tuple, list))   # (f may write into them)
    for level in range(1, order + 1):
        if several and level > 1 and any(_is_container(args[i]) for i in indices):
            raise NotImplementedError(
                "check_grads: order >= 2 with a tuple wrt that names a container is not "
                "supported (its gradients would be summed with np.sum); check each "
                "argument on its own")
        if several:
            func = _summed(func, len(args))
        gfun = grad(func, wrt=wrt)
        label = (f"order-{level} gradient of {_name(f)} w.r.t. wrt={wrt!r}")
        _check_linearisation(label, func, gfun, args, indices, multi, rng,
                             rtol, atol)
        func = gfun
        several = multi


def _summed(f, nargs):
    """``f`` with its outputs (a tuple or list) summed into one number, with the
    signature of its first ``nargs`` parameters: ``grad`` differentiates one
    output, as JAX's does (a tuple output is an error there and in s2sgrad)."""
    def summed(*args):
        total = 0.0
        for out in f(*args):
            total = total + np.sum(out)
        return total
    signature = getattr(f, "signature", None) or inspect.signature(f)
    summed.__signature__ = signature.replace(
        parameters=list(signature.parameters.values())[:nargs])
    summed.__wrapped__ = f
    summed.__name__ = f"summed_{_name(f)}"
    return summed


def check_vjp(f, vjp, *args, wrt=0, rtol=1e-5, atol=1e-6, seed=0):
    """Assert that ``vjp(u, *args)`` is ``J^T u`` for the outputs of ``f``.

    For multi-output functions: ``u`` is a random cotangent with the
    structure of ``f(*args)`` (the same nesting of tuples and lists, each
    float leaf an array of its shape and dtype; non-float leaves get None).
    ``vjp`` returns one cotangent per entry of ``wrt`` (a tuple when ``wrt``
    is a tuple), each shaped and typed like its argument, and
    ``<vjp(u), v>`` must equal the derivative of ``<u, f(x + t v)>``
    computed by central differences in float64.
    """
    indices, multi = _resolve_wrt(f, wrt, len(args))
    rng = np.random.default_rng(seed)
    u = _random_like(f(*args), rng)

    def weighted(*a):
        return _inner(u, f(*a))

    _check_linearisation(f"vector-Jacobian product of {_name(f)} w.r.t. "
                         f"wrt={wrt!r}", weighted, lambda *a: vjp(u, *a),
                         args, indices, multi, rng, rtol, atol)
