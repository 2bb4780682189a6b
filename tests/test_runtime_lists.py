"""Lists indexed at run time: every spelling of ADBench's LSTM (tests/lstm_spellings.py)
runs under sg.graph and differentiates right, against central differences and against
autograd running the same source; forward modes agree with the gradient; what stays
refused is refused at the user's line."""
import inspect
import os
import pathlib

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.errors import TransformError
from s2sgrad.testing import check_grads

import lstm_spellings as L
from autograd_reference import autograd_twin

SPELLINGS = sorted(L.SPELLINGS)
THIS_FILE = os.path.basename(__file__)


def arguments(name, c=5, seed=0):
    return L.ARGUMENTS[name](*L.inputs(np.random.default_rng(seed), c=c))


def canonical(c=5, seed=0):
    return L.inputs(np.random.default_rng(seed), c=c)


def test_every_spelling_computes_the_same_objective():
    want = L.torch_rows(*canonical())
    for name in SPELLINGS:
        assert L.SPELLINGS[name](*arguments(name)) == pytest.approx(want, rel=1e-12), name


@pytest.mark.parametrize('name', SPELLINGS)
@pytest.mark.parametrize('c', [2, 5])
def test_graph_value(name, c):
    args = arguments(name, c)
    assert sg.graph(L.SPELLINGS[name])(*args) == pytest.approx(
        L.SPELLINGS[name](*args), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize('name', SPELLINGS)
def test_gradient_central_differences(name):
    # (second order: gradients of loops' gradients are refused; see below)
    check_grads(L.SPELLINGS[name], *arguments(name, c=4), wrt=L.WRT[name], order=1)


@pytest.fixture(scope='module')
def twin():
    return autograd_twin(pathlib.Path(L.__file__))


def _autograd_canonical(twin, name, args):
    import autograd
    return L.canonical_grad(name, autograd.grad(twin[name], L.WRT[name])(*args))


# spellings that write rows into arrays (`s2[i] = ...`), which autograd cannot run:
# compared with autograd of the same objective spelled with a list and np.stack
ROW_WRITES = {'torch_rows', 'sequence_list', 'zip_sequence'}


@pytest.mark.parametrize('name', SPELLINGS)
@pytest.mark.parametrize('c', [3, 8])
def test_gradient_autograd(twin, name, c):
    args = arguments(name, c, seed=c)
    dmain, dextra = L.canonical_grad(name, sg.grad(L.SPELLINGS[name], wrt=L.WRT[name])(*args))
    if name in ROW_WRITES:
        want = _autograd_canonical(twin, 'tf_stacked', canonical(c, seed=c))
    else:
        want = _autograd_canonical(twin, name, args)
    np.testing.assert_allclose(dmain, want[0], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dextra, want[1], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize('name', SPELLINGS)
def test_value_and_grad(name):
    args = arguments(name)
    value, grads = sg.value_and_grad(L.SPELLINGS[name], wrt=L.WRT[name])(*args)
    assert value == pytest.approx(L.SPELLINGS[name](*args), rel=1e-12)
    for got, want in zip(L.canonical_grad(name, grads),
                         L.canonical_grad(name, sg.grad(L.SPELLINGS[name],
                                                        wrt=L.WRT[name])(*args))):
        np.testing.assert_allclose(got, want, rtol=1e-13)


# the state passed in: a 2-d array, lists and tuples of rows copied with list(...)
STATE = {'torch_rows': (2,), 'tf_carried': (2,), 'layer_lists': (3, 4), 'enumerate_zip': (3, 4),
         'fixed_layers': (2, 3), 'layer_tuples': (2,), 'layer_dicts': (2,)}


@pytest.mark.parametrize('name', sorted(STATE))
def test_gradient_wrt_the_state(name):
    check_grads(L.SPELLINGS[name], *arguments(name, c=4), wrt=STATE[name], order=1)


def test_gradient_of_a_state_tuple_is_a_tuple():
    args = arguments('fixed_layers', c=3)
    dh, dc = sg.grad(L.fixed_layers, wrt=(2, 3))(*args)
    assert type(dh) is tuple and type(dc) is tuple and len(dh) == 2


def test_gradient_does_not_change_the_arguments():
    for name in SPELLINGS:
        args = arguments(name)
        before = [repr(a) for a in args]
        sg.grad(L.SPELLINGS[name], wrt=L.WRT[name])(*args)
        assert [repr(a) for a in args] == before, name


# ---- forward modes: along the extra parameters (an array in every spelling)

def _reference_grad(name, args):
    return L.canonical_grad(name, sg.grad(L.SPELLINGS[name], wrt=L.WRT[name])(*args))[1]


def _extra_index(name):
    return L.WRT[name][-1]


@pytest.mark.parametrize('name', SPELLINGS)
def test_jvp(name):
    args = arguments(name)
    k = _extra_index(name)
    v = np.random.default_rng(1).standard_normal(args[k].shape)
    tangents = tuple(v if i == k else None for i in range(len(args)))
    tangents = tuple(t if t is not None else _zero_tangent(a) for t, a in zip(tangents, args))
    value, tangent = sg.jvp(L.SPELLINGS[name], args, tangents)
    assert value == pytest.approx(L.SPELLINGS[name](*args), rel=1e-12)
    assert tangent == pytest.approx(np.sum(_reference_grad(name, args) * v), rel=1e-9)


def _zero_tangent(a):
    if isinstance(a, np.ndarray):
        return np.zeros_like(a)
    if isinstance(a, dict):
        return {k: _zero_tangent(v) for k, v in a.items()}
    if isinstance(a, (list, tuple)):
        return type(a)(_zero_tangent(v) for v in a)
    return a


@pytest.mark.parametrize('name', SPELLINGS)
def test_jacfwd(name):
    args = arguments(name)
    J = sg.jacfwd(L.SPELLINGS[name], wrt=_extra_index(name))(*args)
    np.testing.assert_allclose(J, _reference_grad(name, args), rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize('name', ['torch_rows', 'tf_stacked', 'layer_lists', 'history',
                                  'predictions', 'while_time'])
def test_hessian_against_differences_of_the_gradient(name):
    args = list(arguments(name, c=3))
    k = _extra_index(name)
    H = sg.hessian(L.SPELLINGS[name], wrt=k)(*args)
    v = np.random.default_rng(2).standard_normal(args[k].shape)
    eps = 1e-5
    plus, minus = list(args), list(args)
    plus[k], minus[k] = args[k] + eps * v, args[k] - eps * v
    numeric = (_reference_grad(name, plus) - _reference_grad(name, minus)) / (2 * eps)
    np.testing.assert_allclose(np.tensordot(H, v, axes=2), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize('name', ['torch_rows', 'tf_stacked', 'layer_lists', 'history',
                                  'predictions', 'while_time'])
def test_gradient_of_the_gradient(name):
    # w.r.t. the extra parameters (an array in every spelling)
    check_grads(L.SPELLINGS[name], *arguments(name, c=3), wrt=_extra_index(name), order=2)


def rows_into_the_argument(main_params, extra_params, state, sequence):
    """ADBench's PyTorch version without the copy: rows written into `state` itself."""
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for i in range(0, len(state), 2):
            state[i], state[i + 1] = L.lstm_model(main_params[i], main_params[i + 1],
                                                  state[i], state[i + 1], x)
            x = state[i]
        total += L.log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / L._norm(sequence)


def test_rows_written_into_the_argument():
    # (the caller's array is left as it was; Python's function changes it)
    main, extra, state, seq = canonical()
    before = state.copy()
    value, grads = sg.value_and_grad(rows_into_the_argument, wrt=(0, 1))(main, extra, state, seq)
    np.testing.assert_array_equal(state, before)
    assert value == pytest.approx(L.torch_rows(main, extra, state, seq), rel=1e-12)
    for got, want in zip(grads, sg.grad(L.torch_rows, wrt=(0, 1))(main, extra, state, seq)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def plus_equals_in_a_loop(x, n):
    new = []
    for i in range(n):
        new += [x * i, np.sin(x)]
    return np.sum(np.stack(new) ** 2)


def test_plus_equals_appends_in_a_loop():
    # (the loop was once dropped: an empty list carried item by item)
    x = np.random.default_rng(0).standard_normal(3)
    assert sg.graph(plus_equals_in_a_loop)(x, 3) == pytest.approx(plus_equals_in_a_loop(x, 3))
    check_grads(plus_equals_in_a_loop, x, 3, order=1)


# ---- what stays refused, at the user's line

def line_of(func, marker='# ERR'):
    lines, start = inspect.getsourcelines(func)
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1
    return hits[0]


def nested_item_write(layers, extra_params, states, sequence):
    """A write into an item of a run-time list (`states[l][0] = h`)."""
    states = [list(s) for s in states]
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for l in range(len(layers)):
            W, b = layers[l]
            h, c = L.lstm_model(W, b, states[l][0], states[l][1], x)
            states[l][0] = h  # ERR
            states[l][1] = c
            x = h
        total = total + L.log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total


def written_after_put(x):
    """An array a run-time list holds, written after it was put there: the list shows
    the write (Python) -- never its old contents."""
    a = x * 2.0
    lst = [a]
    for i in range(3):
        lst.append(x * 1.0)
    a[0] = 100.0
    k = len(lst) - 4  # ERR (the first read of the list after the write)
    return np.sum(lst[k])


def written_after_store(x):
    lst = []
    for i in range(3):
        lst.append(x * 1.0)
    a = x * 2.0
    k = len(lst) - 1
    lst[k] = a
    a[0] = 100.0
    return np.sum(lst[k])  # ERR


def written_through_an_item(x):
    lst = []
    for i in range(3):
        lst.append(x * 1.0)
    b = lst[len(lst) - 1]
    b[0] = 100.0  # ERR
    return np.sum(lst[2])


def augmented_item(x, n):
    """`hs[i] += v` changes the array in place in Python: `keep` shows it too."""
    hs = [x * 1.0, x * 2.0]
    keep = hs[0]
    for i in range(n):
        hs[i] += 1.0  # ERR
    return np.sum(keep) + np.sum(hs[0])


def grown_by_assignment(x, n):
    new = []
    for i in range(n):  # ERR
        new = new + [x * i]
    return np.sum(np.stack(new))


def plus_of_an_array_item(x):
    lst = []
    for i in range(2):
        lst.append(x * 1.0)
    k = len(lst) - 1
    lst[k] = lst[k] + [x, x]  # ERR
    return np.sum(lst[k])


def test_concatenating_an_array_item_is_a_type_error_when_it_runs():
    # (an array's + would broadcast the list: not followed)
    with pytest.raises(TypeError, match=r'x \+ \[...\] where x is a ndarray') as err:
        sg.graph(plus_of_an_array_item)(np.ones(2))
    assert f'{THIS_FILE}:{line_of(plus_of_an_array_item)}' in ''.join(
        getattr(err.value, '__notes__', [])) + str(err.value)


REFUSED = [
    (augmented_item, lambda: (np.ones(3), 2), 'item of a run-time list'),
    (grown_by_assignment, lambda: (np.ones(3), 3), 'grows: append to it'),
    (nested_item_write, lambda: arguments('layer_tuples', c=3), 'item of a run-time list'),
    (written_after_put, lambda: (np.ones(3),), 'cannot be read here'),
    (written_after_store, lambda: (np.ones(3),), 'cannot be read here'),
    (written_through_an_item, lambda: (np.ones(3),), 'item of a run-time list'),
]


@pytest.mark.parametrize('fn, make_args, message', REFUSED, ids=[r[0].__name__ for r in REFUSED])
@pytest.mark.parametrize('transform', ['graph', 'grad'])
def test_refused_at_the_line(fn, make_args, message, transform):
    f = sg.graph(fn) if transform == 'graph' else sg.grad(fn)
    with pytest.raises(TransformError, match=message) as err:
        f(*make_args())
    assert os.path.basename(err.value.filename) == THIS_FILE
    assert err.value.lineno == line_of(fn)


def test_nested_write_says_what_to_write_instead():
    with pytest.raises(TransformError, match=r'lst\[i\] = \[h, c\]'):
        sg.grad(nested_item_write)(*arguments('layer_tuples', c=3))
