"""Every transform on every program of the corpus (tests/corpus/), values checked.

The corpus's cases (tests/test_corpus.py: their arguments from seed 0, their
``wrt``) are scalar functions whose gradient test_corpus.py checks against
central differences and autograd; here each transform of them is checked
against that gradient, against central differences of the function (or of
the gradient, for second derivatives) and, where autograd runs the same
source (``case.autograd_ok``), against autograd:

* ``sg.jvp``: the value, and the tangent against ``<grad, v>`` and the central
  difference along v (a random tangent for every argument in wrt);
* ``sg.vjp``: ``vjp_fn(u)`` against ``u * grad`` for the arguments in wrt, a
  random cotangent u; None for its integer, string and function arguments;
* ``sg.jacrev`` (and ``sg.jacfwd`` where it exists): against the gradient (a
  scalar output: J is the gradient's shape), central differences along sampled
  columns, and ``autograd.jacobian``;
* ``sg.hessian`` w.r.t. the first argument in wrt: symmetric, its sampled
  columns against central differences of the gradient, the whole against
  ``autograd.hessian``;
* ``sg.hvp``: against ``hessian @ v``;
* ``@sg.checkpoint`` on each corpus helper a case calls (module-level
  functions of the case's module): the same gradient as the plain program.

Every transform runs on every case (186), hessian and hvp w.r.t. the first
argument in wrt; @sg.checkpoint on the 21 cases that call a helper of their
module.  To keep the suite's time, central differences use at most
``COLUMNS`` sampled columns (the same ones each run: the first, the last and
one between), the gradient each check compares with is made once per case,
and every case's arguments are small (the corpus's own): about 30 s of CPU.
"""
import functools
import inspect
import types

import numpy as np
import pytest

import s2sgrad as sg
from test_corpus import (ALL, BY_ID, IDS, _args, _autograd_twin, _twin_function,
                         _wrt_indices)

COLUMNS = 3         # sampled columns of a Jacobian or Hessian checked by differences
EPS = 1e-6
# a program whose iteration count changes within +-EPS of its arguments: its
# differences step over that jump at 1e-6 (autograd agrees with s2sgrad to 1e-16)
STEPS = {'newton.power_iteration': 1e-7}

pytestmark = pytest.mark.filterwarnings('ignore:Output seems independent of input')


# ------------------------------------------------------------------ helpers

def _copy(args):
    """Fresh copies of the arrays among the arguments (a program may write into them)."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _with(args, i, value):
    return args[:i] + (value,) + args[i + 1:]


def _direction(args, indices, seed):
    """A random tangent for each argument in wrt: an array for an array, a float for a
    float; None for the others."""
    rng = np.random.default_rng(seed)
    tangents = [None] * len(args)
    for i in indices:
        tangents[i] = rng.standard_normal(np.shape(args[i])) \
            if isinstance(args[i], np.ndarray) else float(rng.standard_normal())
    return tuple(tangents)


def _moved(args, tangents, h):
    return tuple(a if t is None else a + h * t for a, t in zip(args, tangents))


def _central(f, args, tangents, eps=EPS):
    """d/dh f(args + h * tangents) at 0 by central differences."""
    hi = np.asarray(f(*_copy(_moved(args, tangents, eps))), dtype=np.float64)
    lo = np.asarray(f(*_copy(_moved(args, tangents, -eps))), dtype=np.float64)
    return (hi - lo) / (2 * eps)


def _columns(size):
    """The sampled flat indices of an input of `size` elements."""
    return sorted({0, size // 2, size - 1})[:COLUMNS] if size else []


def _unit(shape, k):
    e = np.zeros(int(np.prod(shape)))
    e[k] = 1.0
    return e.reshape(shape) if shape else float(e[0])


def _close(actual, expected, what, rtol=1e-8):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f'{what}: shape {actual.shape} vs {expected.shape}'
    scale = 1.0 + (np.max(np.abs(expected)) if expected.size else 0.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def _numeric_close(actual, numeric, what):
    """Central differences (float64, h = 1e-6): to 1e-5 of the values' size."""
    _close(actual, numeric, what + ' (central differences)', rtol=1e-5)


@functools.lru_cache(maxsize=None)
def _gradient(case_id, wrt):
    """sg.grad of a case, made once for the tests that compare with it."""
    return sg.grad(BY_ID[case_id][1].fn, wrt=wrt)


@functools.lru_cache(maxsize=None)
def _grads(case_id):
    """The gradients of a case at its arguments: a tuple, one per argument in wrt."""
    case = BY_ID[case_id][1]
    g = _gradient(case_id, case.wrt)(*_copy(_args(case)))
    return g if isinstance(case.wrt, tuple) else (g,)


def _params():
    return [pytest.param(case_id, id=case_id) for case_id in IDS]


# ------------------------------------------------------------------ jvp and vjp

@pytest.mark.parametrize('case_id', _params())
def test_jvp(case_id):
    """The value, and J v against <grad, v> and the central difference along v."""
    _, case = BY_ID[case_id]
    args = _args(case)
    indices = _wrt_indices(case, args)
    tangents = _direction(args, indices, seed=1)
    out, tangent = sg.jvp(case.fn, _copy(args), tangents)
    _close(out, case.fn(*_copy(args)), 'jvp value', rtol=1e-10)
    grads = _grads(case_id)
    expected = sum(np.sum(np.asarray(g) * tangents[i]) for i, g in zip(indices, grads))
    _close(tangent, expected, 'jvp against <grad, v>')
    _numeric_close(tangent, _central(case.fn, args, tangents), 'jvp')


@pytest.mark.parametrize('case_id', _params())
def test_vjp(case_id):
    """vjp_fn(u) is u * grad for each argument in wrt (a scalar output), and None for
    the arguments that are not floats (integers, strings, functions)."""
    _, case = BY_ID[case_id]
    args = _args(case)
    indices = _wrt_indices(case, args)
    out, vjp_fn = sg.vjp(case.fn, *_copy(args))
    _close(out, case.fn(*_copy(args)), 'vjp value', rtol=1e-10)
    u = np.asarray(np.random.default_rng(2).standard_normal(np.shape(out)))
    u = u if np.ndim(out) else type(out)(u) if isinstance(out, float) else u[()]
    cotangents = vjp_fn(u)
    assert isinstance(cotangents, tuple) and len(cotangents) == len(args)
    for i, g in zip(indices, _grads(case_id)):
        _close(cotangents[i], u * np.asarray(g), f'vjp of argument {i} against u * grad')
    for i, (arg, ct) in enumerate(zip(args, cotangents)):
        if isinstance(arg, (str, int, types.FunctionType)) or \
                isinstance(arg, np.ndarray) and not np.issubdtype(arg.dtype, np.inexact):
            assert ct is None, f'argument {i} ({type(arg).__name__}) has a cotangent'


# ------------------------------------------------------------------ Jacobians

def _jacobians(case, jac, args):
    j = jac(case.fn, wrt=case.wrt)(*_copy(args))
    return j if isinstance(case.wrt, tuple) else (j,)


def _check_jacobian(case_id, jac, what):
    module, case = BY_ID[case_id]
    args = _args(case)
    indices = _wrt_indices(case, args)
    out = case.fn(*_copy(args))
    jacobians = _jacobians(case, jac, args)
    for i, j, g in zip(indices, jacobians, _grads(case_id)):
        x = args[i]
        assert np.shape(j) == np.shape(out) + np.shape(x)
        _close(j, g, f'{what} w.r.t. argument {i} against grad')
        for k in _columns(np.size(x)):
            direction = _with((None,) * len(args), i, _unit(np.shape(x), k))
            _numeric_close(np.ravel(j)[k], _central(case.fn, args, direction),
                           f'{what} column {k} of argument {i}')
    if case.autograd_ok:
        import autograd
        twin = _twin_function(module, case)
        for i, j in zip(indices, jacobians):
            theirs = autograd.jacobian(twin, i)(*_copy(args))
            _close(j, theirs, f'{what} w.r.t. argument {i} against autograd.jacobian')


@pytest.mark.parametrize('case_id', _params())
def test_jacrev(case_id):
    _check_jacobian(case_id, sg.jacrev, 'jacrev')


if hasattr(sg, 'jacfwd'):      # (built on another branch: tested once merged)
    @pytest.mark.parametrize('case_id', _params())
    def test_jacfwd(case_id):
        _check_jacobian(case_id, sg.jacfwd, 'jacfwd')


# ------------------------------------------------------------------ second order

def _first_float(case, args):
    """The first argument in wrt (each case's wrt holds floats and float arrays)."""
    return _wrt_indices(case, args)[0]


@pytest.mark.parametrize('case_id', _params())
def test_hessian_and_hvp(case_id):
    """hessian: symmetric, sampled columns against central differences of the
    gradient, the whole against autograd.hessian; hvp against hessian @ v."""
    module, case = BY_ID[case_id]
    args = _args(case)
    i = _first_float(case, args)
    x = args[i]
    shape, n = np.shape(x), int(np.size(x))
    hessian = np.asarray(sg.hessian(case.fn, wrt=i)(*_copy(args)))
    assert hessian.shape == shape + shape
    square = hessian.reshape(n, n)
    _close(square, square.T, 'hessian symmetric', rtol=1e-7)
    gradient = _gradient(case_id, i)
    for k in _columns(n):
        direction = _with((None,) * len(args), i, _unit(shape, k))
        numeric = _central(gradient, args, direction, STEPS.get(case_id, EPS))
        _numeric_close(square[:, k].reshape(shape), numeric, f'hessian column {k}')
    if case.autograd_ok:
        import autograd
        theirs = autograd.hessian(_twin_function(module, case), i)(*_copy(args))
        _close(hessian, theirs, 'hessian against autograd.hessian', rtol=1e-7)
    v = _direction(args, [i], seed=3)[i]
    hv = sg.hvp(case.fn, wrt=i)(*_copy(args), v)
    _close(hv, (square @ np.ravel(v)).reshape(shape), 'hvp against hessian @ v')


# ------------------------------------------------------------------ checkpoint

def _helpers(case):
    """The module-level functions of the case's module that the program calls (by
    name, from its own body)."""
    fn = inspect.unwrap(case.fn)
    names = set(fn.__code__.co_names)
    return {name: value for name, value in fn.__globals__.items()
            if name in names and isinstance(value, types.FunctionType) and
            value.__module__ == fn.__module__ and value is not fn}


def _with_checkpointed_helpers(case, helpers):
    """The program with each helper replaced by its sg.checkpoint (same source)."""
    fn = inspect.unwrap(case.fn)
    scope = dict(fn.__globals__)
    scope.update({name: sg.checkpoint(helper) for name, helper in helpers.items()})
    new = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    functools.update_wrapper(new, fn)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


CHECKPOINTED = [case_id for case_id in IDS if _helpers(BY_ID[case_id][1])]


@pytest.mark.parametrize('case_id', CHECKPOINTED)
def test_checkpointed_helpers(case_id):
    """@sg.checkpoint on the helpers a program calls: its gradient is the plain one's,
    computed again in the reverse pass (a '# recompute' in its source)."""
    _, case = BY_ID[case_id]
    args = _args(case)
    helpers = _helpers(case)
    checkpointed = _with_checkpointed_helpers(case, helpers)
    ours = sg.grad(checkpointed, wrt=case.wrt)
    got = ours(*_copy(args))
    got = got if isinstance(case.wrt, tuple) else (got,)
    for k, (a, b) in enumerate(zip(got, _grads(case_id))):
        _close(a, b, f'gradient {k} with checkpointed {sorted(helpers)}', rtol=1e-10)


def test_every_case_is_covered():
    assert len(IDS) == len(ALL) >= 186
    assert len(CHECKPOINTED) >= 20
    _autograd_twin()


def test_checkpointed_helpers_are_computed_again():
    """Most checkpointed helpers have intermediates to compute again (the others
    are linear, or checks that compute nothing the adjoint reads)."""
    again = 0
    for case_id in CHECKPOINTED:
        case = BY_ID[case_id][1]
        program = _with_checkpointed_helpers(case, _helpers(case))
        again += '# recompute ' in sg.grad(program, wrt=case.wrt).source_for(*_args(case))
    assert again >= 17


# ------------------------------------------------- what the corpus found, small

def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def branchy(x):
    out = []
    for v in x:
        if v > 1.0:
            out.append(np.tanh(v))
        else:
            out.append(v * v)
    return np.stack(out)


def summed_branchy(x):
    return np.sum(branchy(x))


def nested_branchy(x, W):
    s = 0.0
    for i in range(3):
        for v in x:
            if v > 1.0:
                s = s + np.tanh(v * W[i])
            else:
                s = s + v * v * W[i]
    return s


X4 = np.array([2.0, -1.0, 0.5, 1.5])
W3 = np.array([0.3, 0.5, 0.7])


def test_jacrev_through_a_branch_in_a_loop():
    """The adjoint runs once per seed: values a loop saved in a branch are popped
    by each seed's adjoint."""
    want = np.diag(np.where(X4 > 1.0, 1.0 - np.tanh(X4) ** 2, 2.0 * X4))
    np.testing.assert_allclose(sg.jacrev(branchy)(X4), want, rtol=1e-12)


@pytest.mark.parametrize('wrt', [0, 1])
def test_hessian_through_nested_loops_with_branches(wrt):
    args = (X4, W3)
    hessian = sg.hessian(nested_branchy, wrt=wrt)(*args)
    gradient = sg.grad(nested_branchy, wrt=wrt)
    for k in range(np.size(args[wrt])):
        direction = _with((None, None), wrt, _unit(np.shape(args[wrt]), k))
        _numeric_close(hessian[:, k], _central(gradient, args, direction), f'column {k}')


def test_gradients_in_a_loop_after_the_forward():
    """sg.gradients called in a loop, of a forward computed before it: each call's
    adjoint pops its own copies."""
    @sg.graph
    def rows(x):
        y = branchy(x)
        found = []
        for k in range(4):
            found.append(sg.gradients(y, x, grad_ys=np.eye(4)[k])[0])
        return np.stack(found)
    np.testing.assert_allclose(rows(X4), sg.jacrev(branchy)(X4), rtol=1e-12)
    assert '= list(_tape_' in rows.source
    assert 'list(_tape_' not in sg.grad(summed_branchy).source_for(X4)


def test_jacrev_of_jacrev_through_a_loop_is_refused():
    """The outer adjoint would read the inner Jacobian's tapes once per seed and sum
    nothing: refused at the loop, not a wrong value."""
    def f(x):
        s = x
        for i in range(3):
            s = np.sin(s) * x
        return s
    with pytest.raises(sg.TransformError, match='more than once on one forward pass') as info:
        sg.jacrev(sg.jacrev(f))(np.array([0.5, -1.0, 0.7]))
    assert info.value.filename.endswith('test_corpus_transforms.py')
    assert info.value.lineno == _line_of(f, 'for i in range(3)')


def test_jvp_of_a_value_kept_from_the_step_before():
    """`y_prev = y` in a while loop: y_prev's tangent is the step before's (the loop's
    output is read, the phi not)."""
    def fall(h0, v0):
        y, v, y_prev = h0, v0, h0
        while y > 0.0:
            v = v - 0.2
            y_prev = y
            y = y + 0.1 * v
        return y * y_prev + 3.0 * y_prev
    args = (1.23, 0.37)
    for i in range(2):
        tangents = _with((None, None), i, 1.0)
        _, tangent = sg.jvp(fall, args, tangents)
        _close(tangent, sg.grad(fall, wrt=i)(*args), f'jvp of argument {i}', rtol=1e-10)
        _numeric_close(tangent, _central(fall, args, tangents), f'jvp of argument {i}')


def test_vjp_leaves_constant_primals_out():
    def step(x, n, kind, mask):
        for _ in range(n):
            x = np.tanh(x) * mask if kind == 'act' else x * 2.0
        return np.sum(x)
    x, mask = np.array([0.1, 0.2]), np.array([1, 0])
    out, vjp_fn = sg.vjp(step, x, 2, 'act', mask)
    dx, dn, dkind, dmask = vjp_fn(3.0)
    assert dn is None and dkind is None and dmask is None
    np.testing.assert_allclose(dx, 3.0 * sg.grad(step)(x, 2, 'act', mask))
    with pytest.raises(TypeError, match='vjp: no primal of step is a float'):
        sg.vjp(step, np.arange(2), 2, 'act', mask)
