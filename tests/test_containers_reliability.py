"""Containers, loops over them, arguments and outputs: right or refused (issue 10).

Every program runs as Python first: s2sgrad's value must be Python's, its
gradient the central-difference one (float64).  Refusals are checked for
their class and for the line of this file they name.
"""
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_errors import line_of

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(0)
V = np.array([0.5, -1.25, 2.0])
M = np.array([[1.0, 2.0], [3.0, -4.0]])


def same_value(f, *args, **kwargs):
    got, want = sg.graph(f)(*args, **kwargs), f(*args, **kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def right(f, *args, wrt=0):
    same_value(f, *args)
    check_grads(f, *args, wrt=wrt, order=1)


def numerical_gradient(f, args, i, eps=1e-6):
    """Central differences w.r.t. every float of args[i] (nested lists and tuples of
    arrays), in the same structure."""
    def perturbed(tree, path, delta):
        if not path:
            return tree + delta
        k, rest = path[0], path[1:]
        if isinstance(tree, (list, tuple)):
            items = list(tree)
            items[k] = perturbed(items[k], rest, delta)
            return type(tree)(items)
        out = np.array(tree, dtype=float)
        unit = np.zeros_like(out)
        unit[k] = delta
        return out + unit

    def walk(tree, path):
        if isinstance(tree, (list, tuple)):
            return type(tree)(walk(t, path + (k,)) for k, t in enumerate(tree))
        if isinstance(tree, np.ndarray):
            g = np.zeros_like(tree)
            for idx in np.ndindex(tree.shape):
                def at(d):
                    a = list(args)
                    a[i] = perturbed(args[i], path + (idx,), d)
                    return np.sum(f(*a))
                g[idx] = (at(eps) - at(-eps)) / (2 * eps)
            return g
        a_plus, a_minus = list(args), list(args)
        a_plus[i] = perturbed(args[i], path, eps)
        a_minus[i] = perturbed(args[i], path, -eps)
        return float(np.sum(f(*a_plus)) - np.sum(f(*a_minus))) / (2 * eps)
    return walk(args[i], ())


def assert_tree_close(got, want):
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_close(g, w)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def refused(f, *args, error=sg.TransformError, marker='# ERR', grad=False, match=None):
    fn = sg.grad(f) if grad else sg.graph(f)
    with pytest.raises(error, match=match) as info:
        fn(*args)
    if error is sg.TransformError:
        assert os.path.basename(info.value.filename) == THIS_FILE
        assert info.value.lineno == line_of(f, marker), str(info.value)
    return info.value


# ---- dicts iterate their keys ----------------------------------------------------------

GLOBAL_DICT = {'a': 1.5, 'b': -2.0}
GLOBAL_SET = {3, 4}


def dict_argument_loop(x, d):
    s = 0.0
    for k in d:
        s = s + x * d[k]
    return s


def dict_argument_list(x, d):
    keys = list(d)
    return x * len(keys) * d[sorted(d)[0]]


def global_dict_loop(x):
    s = 0.0
    for k in GLOBAL_DICT:
        s = s + x * GLOBAL_DICT[k]
    return s


def global_dict_sorted(x):
    return sum(x * GLOBAL_DICT[k] for k in sorted(GLOBAL_DICT))


def local_dict_loop(x):
    d = {'a': x, 'b': 2.0 * x}
    s = 0.0
    for k in d:
        s = s + d[k] * d[k]
    return s * len(d) + ('a' in d) - ('z' in d)


def local_dict_list_and_sorted(x):
    d = {'b': x * x, 'a': np.sin(x)}
    total = 0.0
    for k in sorted(d):
        total = total * 2.0 + d[k]
    return total + len(list(d)) + float(list(d)[0] == 'b')


def dict_comprehension_keys(x):
    d = {k: x * (i + 1) for i, k in enumerate(['p', 'q', 'r'])}
    out = 0.0
    for k in d:
        out = out + d[k] * (k == 'q')
    return out


def dict_items_and_values(x):
    d = {'u': x, 'v': x * x}
    s = 0.0
    for k, v in d.items():
        s = s + v
    for v in d.values():
        s = s + v
    return s


@pytest.mark.parametrize('f', [global_dict_loop, global_dict_sorted, local_dict_loop,
                               local_dict_list_and_sorted, dict_comprehension_keys,
                               dict_items_and_values])
@pytest.mark.parametrize('x', [1.3, np.float64(-0.4), np.array([0.2, 1.1])])
def test_a_dict_iterates_its_keys(f, x):
    right(f, x)


def dict_argument_membership(x, d):
    s = x * ('a' in d) + 2.0 * x * ('z' in d) + 3.0 * x * ('b' not in d)
    for k, v in d.items():
        s = s + v * x
    return s


@pytest.mark.parametrize('f', [dict_argument_loop, dict_argument_list,
                               dict_argument_membership])
def test_a_dict_argument_iterates_its_keys(f):
    d = {'a': 1.5, 'b': -2.0}
    right(f, 0.7, d)
    right(f, V, d)


def test_a_dict_as_the_differentiated_argument_gets_a_dict():
    # (tests/test_containers.py: dicts, NamedTuples and their nesting as arguments)
    assert sg.grad(dict_argument_loop, wrt=1)(0.7, {'a': 1.0, 'b': 2.0}) == \
        {'a': pytest.approx(0.7), 'b': pytest.approx(0.7)}


def global_set_loop(x):
    s = 0.0
    for k in GLOBAL_SET:  # ERR
        s = s + x * k
    return s


def test_iterating_a_global_set_is_refused_at_its_line():
    refused(global_set_loop, 1.0, match='iterating a set')


def set_argument_loop(x, s):
    total = 0.0
    for k in s:
        total = total + x * k
    return total


def test_iterating_a_set_argument_is_a_type_error():
    with pytest.raises(TypeError, match='iterating a set'):
        sg.graph(set_argument_loop)(1.0, {1.0, 2.0})


# ---- lists of (W, b) tuples -------------------------------------------------------------

def mlp(x, params):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h * h)


def mlp_by_index(x, params):
    h = x
    for i in range(len(params)):
        layer = params[i]
        h = np.tanh(np.dot(h, layer[0]) + layer[1])
    return np.sum(h)


def mlp_unrolled(x, params):
    (W1, b1), (W2, b2) = params
    return np.sum(np.tanh(np.tanh(x.dot(W1) + b1) @ W2 + b2))


def mlp_shared(x, params):
    # the same layer twice: its gradients add up
    h = x
    for W, b in [params[0], params[0], params[1]]:
        h = np.tanh(h @ W + b)
    return np.sum(h)


def stacked_in_a_loop(x, params):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.stack(params)[0] * x * i)
    return s


def summed_in_a_loop(x, params):
    s = 0.0
    for W, b in params:
        s = s + np.sum(sum(W for W, b in params) @ x) * np.sum(b)
    return s


PARAMS = [(RNG.normal(size=(3, 3)), RNG.normal(size=3)) for _ in range(2)]


@pytest.mark.parametrize('f', [mlp, mlp_by_index, mlp_unrolled, mlp_shared])
def test_a_list_of_tuples_as_a_constant_argument(f):
    right(f, V, PARAMS)


@pytest.mark.parametrize('f', [mlp, mlp_by_index, mlp_unrolled, mlp_shared, summed_in_a_loop])
@pytest.mark.parametrize('kind', [list, tuple])
def test_a_list_of_tuples_as_the_differentiated_argument(f, kind):
    params = kind(PARAMS)
    got = sg.grad(f, wrt=1)(V, params)
    want = numerical_gradient(f, (V, params), 1)
    assert_tree_close(got, want)
    assert any(np.any(g != 0) for layer in got for g in layer)
    value, both = sg.value_and_grad(f, wrt=('x', 'params'))(V, params)
    assert value == pytest.approx(f(V, params))
    assert_tree_close(both[1], want)


def test_a_list_of_arrays_read_whole_in_a_loop():
    arrays = [RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))]
    got = sg.grad(stacked_in_a_loop, wrt=1)(V, arrays)
    assert_tree_close(got, numerical_gradient(stacked_in_a_loop, (V, arrays), 1))


def python_list_of_floats(x):
    return x[0] * x[1] + np.sum(np.array(x) ** 2)


@pytest.mark.parametrize('x', [[1.0, 2.0], (0.5, -3.0)])
def test_a_python_sequence_of_floats_gets_a_gradient_of_its_structure(x):
    got = sg.grad(python_list_of_floats)(x)
    assert_tree_close(got, numerical_gradient(python_list_of_floats, (x,), 0))


def test_a_list_of_integers_as_the_differentiated_argument_is_a_type_error():
    where = f'{THIS_FILE}:{python_list_of_floats.__code__.co_firstlineno}'
    with pytest.raises(TypeError, match=rf"argument 'x' of python_list_of_floats \({where}\) "
                                        rf"holds no float"):
        sg.grad(python_list_of_floats)([1, 2])


# ---- lists assigned into -------------------------------------------------------------

def list_items_assigned(x):
    lst = [x, x * 2.0]
    lst[0] = x * 3.0
    lst[-1] = lst[-1] * x
    return lst[0] + lst[1]


def list_items_assigned_in_a_loop(x):
    lst = [0.0, 0.0, 0.0]
    for i in range(3):
        lst[i] = x * i + lst[i - 1]
    return lst[0] + lst[1] * lst[2]


def list_items_assigned_in_a_branch(x):
    lst = [x, x]
    if np.sum(x) > 0:
        lst[1] = x * 3.0
    return np.sum(lst[0] * lst[1])


def run_time_list_assigned(x, n):
    lst = []
    for i in range(n):
        lst.append(x * (i + 1))
    lst[0] = x * 5.0
    lst[-1] = lst[-1] * 2.0
    for i in range(n):
        lst[i] = lst[i] * lst[i - 1]
    return lst[0] + lst[1]


def run_time_index_read(x, n):
    lst = [x, x * x]
    for i in range(n):
        lst[i % 2] = lst[i % 2] * 2.0 + lst[(i + 1) % 2]
    return lst[0] * lst[1]


@pytest.mark.parametrize('x', [1.5, -0.7, np.array([0.3, -1.2])])
def test_list_item_assignment(x):
    for f in (list_items_assigned, list_items_assigned_in_a_loop,
              list_items_assigned_in_a_branch):
        right(f, x)
    right(run_time_list_assigned, x, 3)
    right(run_time_index_read, x, 3)


def tuple_item_assigned(x):
    t = (x, x)
    t[0] = x  # ERR
    return t[0]


def test_assigning_into_a_tuple_is_refused_at_its_line():
    refused(tuple_item_assigned, 1.0, match='tuple')


# ---- containers through branches ------------------------------------------------------

def pair(x):
    if x > 0:
        return x * 2.0, x * 3.0
    return x, np.sin(x)


def tuple_from_a_helper_with_branches(x):
    a, b = pair(x)
    return a * b


def tuple_assigned_in_a_branch(x):
    t = (x, x)
    if x > 0:
        t = (x * 2.0, x)
    return t[0] * t[1]


def dict_assigned_in_a_branch(x):
    d = {'a': x, 'b': 1.0}
    if x > 0:
        d['b'] = x * 5.0
    else:
        d['a'] = np.cos(x)
    return d['a'] * d['b']


def tuple_conditional_expression(x):
    a, b = (x * 2.0, x) if x > 0 else (x, x * 3.0)
    return a * b


@pytest.mark.parametrize('f', [tuple_from_a_helper_with_branches, tuple_assigned_in_a_branch,
                               dict_assigned_in_a_branch, tuple_conditional_expression])
@pytest.mark.parametrize('x', [1.5, -0.7])
def test_containers_through_a_run_time_branch(f, x):
    right(f, x)


def list_of_another_length(x):
    lst = [x]
    if x > 0:  # ERR
        lst = [x, x]
    return lst[0]


def test_a_list_of_another_length_in_a_branch_is_refused():
    refused(list_of_another_length, 1.0, match='another length')


# ---- gradients over a list built in a loop ----------------------------------------------

def gradients_of_the_last_w_r_t_the_first(x):
    hs = [x]
    for i in range(3):
        hs.append(np.sin(hs[-1]))
    return sg.gradients(hs[-1], [hs[0]])[0]


def gradients_through_known_items(x):
    hs = [x, x * 2.0]
    for i in range(3):
        hs.append(np.sin(hs[-1]) * hs[0])
    return sg.gradients(hs[-1], [hs[1], hs[0]])


def test_gradients_of_a_list_built_in_a_loop_are_connected():
    x = 0.5
    want = np.cos(np.sin(np.sin(x))) * np.cos(np.sin(x)) * np.cos(x)
    assert sg.graph(gradients_of_the_last_w_r_t_the_first)(x) == pytest.approx(want)
    v = np.array([0.5, 0.2])
    d_h1, d_x = sg.graph(gradients_through_known_items)(v)

    def last(x, h1):
        h = h1
        for _ in range(3):
            h = np.sin(h) * x
        return h
    eps = 1e-6
    num_h1 = (last(v, 2 * v + eps) - last(v, 2 * v - eps)) / (2 * eps)
    num_x = (last(v + eps, 2 * (v + eps)) - last(v - eps, 2 * (v - eps))) / (2 * eps)
    np.testing.assert_allclose(d_h1, num_h1, rtol=1e-6)
    np.testing.assert_allclose(d_x, num_x, rtol=1e-6)


def gradients_w_r_t_a_middle_item(x):
    hs = [x]
    for i in range(3):
        hs.append(np.sin(hs[-1]))
    return sg.gradients(hs[-1], [hs[2]])[0]  # ERR


def test_gradients_w_r_t_an_item_appended_in_a_loop_is_refused():
    refused(gradients_w_r_t_a_middle_item, 0.5, match='item of a list')


# ---- things that were held constant ---------------------------------------------------

def getattr_transpose(a):
    return np.sum(getattr(a, 'T') @ a) + np.sum(getattr(a, 'real', None))


def full_like_of_a_value(a):
    return np.sum(np.full_like(a, np.sum(a)) * a)


def full_of_a_value(a):
    return np.sum(np.full(a.shape, a[0]) * a) + np.sum(np.full_like(a, 2.0, dtype=float) * a)


def zeros_like_plus_a_value(a):
    return np.sum((np.zeros_like(a) + a[-1]) * a)


def full_like_of_integers(a):
    return np.sum(np.full_like(np.array([1, 2]), np.sum(a)) * a[0])


def arange_from_a_value(a):
    return np.sum(np.arange(a[0, 0], a[0, 0] + 3.0) ** 2) + \
        np.sum(np.arange(0.0, 2.0, 0.3 + 0.01 * a[1, 1]) * a[0, 1])


@pytest.mark.parametrize('f', [getattr_transpose, full_like_of_a_value, full_of_a_value,
                               zeros_like_plus_a_value, arange_from_a_value])
def test_values_that_were_held_constant(f):
    right(f, M)


def test_a_value_written_into_integers_has_no_gradient():
    # np.full_like of an integer array rounds the value: piecewise constant
    same_value(full_like_of_integers, M)
    filled = np.full_like(np.array([1, 2]), np.sum(M))     # rounded
    np.testing.assert_array_equal(sg.grad(full_like_of_integers)(M), [filled, [0.0, 0.0]])


def getattr_of_a_computed_name(a, name):
    return getattr(a, name)  # ERR


def test_getattr_with_a_run_time_name_is_refused():
    refused(getattr_of_a_computed_name, M, 'T', match='constant attribute name')


def repeated_index_assigned(a):
    y = np.zeros(3)
    y[[0, 0]] = a[:2]
    return np.sum(y * np.array([1.0, 2.0, 3.0]))


def repeated_index_added(a):
    y = np.zeros(3)
    y[[0, 0, 2]] += a * a
    return np.sum(y * np.array([1.0, 2.0, 3.0]))


def repeated_run_time_index(a, idx):
    y = np.ones(4)
    y[idx] = a * 2.0
    return np.sum(y * y)


def repeated_index_broadcast(a):
    y = np.zeros((3, 2))
    y[[1, 1, 0]] = a[0]
    return np.sum(y * np.arange(6.0).reshape(3, 2))


@pytest.mark.parametrize('f', [repeated_index_assigned, repeated_index_added,
                               repeated_index_broadcast])
def test_a_repeated_index_gives_the_gradient_to_the_write_numpy_keeps(f):
    right(f, V)


def test_a_repeated_run_time_index_is_decided_when_the_code_runs():
    right(repeated_run_time_index, V, np.array([3, 1, 3]))
    right(repeated_run_time_index, V, np.array([0, 1, 2]))
    g = sg.grad(repeated_index_assigned)(V)
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


# ---- arguments --------------------------------------------------------------------------

def two(x, y):
    return np.sum(x * y)


@pytest.mark.parametrize('call', [
    lambda g: g(np.array([1, 2]), V[:2]),
    lambda g: g(x=np.array([1, 2]), y=V[:2]),
    lambda g: g(V[:2], y=np.array([1, 2])),
    lambda g: g(np.array([True, False]), V[:2]),
    lambda g: g(3, 1.0),
])
def test_integer_arguments_are_refused_however_they_are_passed(call):
    with pytest.raises(TypeError, match='must be a float or an array of floats'):
        call(sg.grad(two, wrt=(0, 1)))


def with_integer_default(x, n=2):
    return x * n


def test_an_integer_default_is_refused_as_a_differentiated_argument():
    with pytest.raises(TypeError, match="argument 'n'"):
        sg.grad(with_integer_default, wrt='n')(1.0)


@pytest.mark.parametrize('args, kwargs, match', [
    ((1.0, 2.0, 3.0), {}, 'too many positional arguments'),
    ((1.0,), {}, "missing a required argument: 'y'"),
    ((1.0,), {'z': 2.0}, "missing a required argument: 'y'"),
    ((1.0, 2.0), {'z': 2.0}, "got an unexpected keyword argument 'z'"),
])
def test_a_wrong_call_is_pythons_type_error(args, kwargs, match):
    for g in (sg.grad(two), sg.value_and_grad(two, wrt=(0, 1))):
        g(1.0, 2.0)                     # (the float path compiled first)
        with pytest.raises(TypeError, match=f'two\\(\\): {match}'):
            g(*args, **kwargs)
        with pytest.raises(TypeError, match=f'two\\(\\): {match}'):
            g(*[np.float64(a) for a in args], **kwargs)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_an_np_matrix_is_refused():
    with pytest.raises(TypeError, match='np.matrix'):
        sg.grad(two)(np.matrix([[1.0, 2.0]]), 3.0)
    with pytest.raises(TypeError, match='np.matrix'):
        sg.grad(two)(3.0, np.matrix([[1.0, 2.0]]))


def keyword_only(x, *, scale=2.0, shift):
    return np.sum(np.sin(x) * scale + shift * x)


def positional_only(x, y=1.5, /, z=0.5):
    return np.sum(x * y + z * x * x)


def mixed_parameters(a, /, b, *, c, d=3.0):
    return np.sum(a * b * c + d * a)


def test_keyword_only_parameters():
    same_value(keyword_only, V, shift=0.5)
    same_value(keyword_only, V, scale=1.0, shift=0.5)
    # wrt by name and by index (a keyword-only parameter's index: its place in
    # the signature)
    g = sg.grad(keyword_only, wrt=('scale', 2, 0))(V, shift=0.5)
    assert g[0] == pytest.approx(np.sum(np.sin(V)))
    assert g[1] == pytest.approx(np.sum(V))
    np.testing.assert_allclose(g[2], np.cos(V) * 2.0 + 0.5)
    with pytest.raises(TypeError, match="missing a required argument: 'shift'"):
        sg.grad(keyword_only)(V)


def test_positional_only_parameters():
    same_value(positional_only, V)
    same_value(positional_only, V, 2.0, z=1.0)
    check_grads(positional_only, V, 2.0, 1.0, wrt=(0, 1, 2), order=1)
    with pytest.raises(TypeError, match='positional only'):
        sg.grad(positional_only)(x=V)


def test_mixed_parameters():
    same_value(mixed_parameters, V, 2.0, c=1.5)
    g = sg.value_and_grad(mixed_parameters, wrt=('c', 'a', 3))(V, b=2.0, c=1.5)
    assert g[0] == pytest.approx(mixed_parameters(V, 2.0, c=1.5))
    assert g[1][0] == pytest.approx(np.sum(V * 2.0))
    np.testing.assert_allclose(g[1][1], 2.0 * 1.5 + 3.0)
    assert g[1][2] == pytest.approx(np.sum(V))


# ---- outputs that are not floats -------------------------------------------------------

def returns_none(x):
    y = x * 2.0


def returns_a_string(x):
    return 'loss'


def returns_an_int(x):
    return 3


def returns_a_bool(x):
    return x > 0


def returns_integers(x):
    return np.argmax(x)


def returns_a_list_of_ints(x):
    return [1, 2]


@pytest.mark.parametrize('f, what', [
    (returns_none, 'returned None'), (returns_a_string, "returned str 'loss'"),
    (returns_an_int, 'returned int 3'), (returns_a_bool, 'returned (bool|ndarray of bool)'),
    (returns_integers, 'returned int64'), (returns_a_list_of_ints, 'returned int 1'),
])
@pytest.mark.parametrize('x', [1.5, V])
@pytest.mark.parametrize('transform', [sg.grad, sg.value_and_grad])
def test_an_output_that_is_not_floats_is_a_type_error(f, what, x, transform):
    where = rf'{f.__name__} \({THIS_FILE}:{f.__code__.co_firstlineno}\)'
    with pytest.raises(TypeError, match=f'grad: {where} {what}'):
        transform(f)(x)


def returns_complex(x):
    return np.sum(x * 1j)


COMPLEX_WEIGHTS = np.array([1.0 + 1.0j, 2.0, -0.5j])


def returns_complex_from_a_global(x):
    return np.sum(COMPLEX_WEIGHTS * x)


def returns_a_spectrum(x):
    return np.fft.fft(x)


def returns_complex_of_a_complex_argument(z):
    return np.sum(z * z)


def returns_the_power_of_a_spectrum(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2)


@pytest.mark.parametrize('f, x', [(returns_complex, V), (returns_complex, 1.5),
                                  (returns_a_spectrum, V), (returns_complex_from_a_global, V),
                                  (returns_complex_of_a_complex_argument, V + 1j)])
def test_a_complex_output_is_a_type_error(f, x):
    where = rf'{f.__name__} \({THIS_FILE}:{f.__code__.co_firstlineno}\)'
    with pytest.raises(TypeError, match=f'grad: {where} returned .*complex'):
        sg.grad(f)(x)


def test_a_real_loss_of_complex_intermediates_is_differentiated():
    right(returns_the_power_of_a_spectrum, V)


def returns_a_constant_float(x):
    return 2.5


def test_a_float_output_that_does_not_depend_on_the_argument_has_zero_gradient():
    assert sg.grad(returns_a_constant_float)(1.5) == 0.0
    np.testing.assert_array_equal(sg.grad(lambda_free_sum)(V), np.zeros(3))


def lambda_free_sum(x):
    return np.sum(np.ones(3))


# ---- loops --------------------------------------------------------------------------

def enumerate_zip_arrays(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s = s + (i + 1) * a * b
    return s


def enumerate_zip_lists(x):
    s = 0.0
    for i, (a, b) in enumerate(zip([x, 2.0 * x], [1.0, 3.0])):
        s = s + (i + 1) * a * b
    return s


def test_enumerate_zip():
    right(enumerate_zip_arrays, V, np.array([1.0, -1.0, 2.0]), wrt=(0, 1))
    right(enumerate_zip_arrays, M, M[::-1], wrt=(0, 1))
    right(enumerate_zip_lists, 1.3)
    right(enumerate_zip_lists, V)


def last_row_after_the_loop(x):
    for row in x:
        pass
    return np.sum(row * row)


def last_index_after_the_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s * i


def bound_before_the_loop(x, n):
    i = 10
    for i in range(n):
        pass
    return x * i


def item_at_the_break(x):
    for v in x:
        if v > 1.0:
            break
    return v * 3.0


def test_a_loop_variable_read_after_its_loop_keeps_its_last_value():
    right(last_row_after_the_loop, M)
    right(last_index_after_the_loop, 1.5, 3)
    right(bound_before_the_loop, 1.5, 0)
    right(bound_before_the_loop, 1.5, 3)
    right(item_at_the_break, V)


def test_a_loop_variable_after_an_empty_loop_is_unbound():
    with pytest.raises(UnboundLocalError):
        last_index_after_the_loop(1.5, 0)
    with pytest.raises(UnboundLocalError, match="'i'"):
        sg.graph(last_index_after_the_loop)(1.5, 0)


def break_in_a_list_loop(x):
    xs = [x, 2.0 * x, 3.0 * x]
    s = 0.0
    for v in xs:
        if np.sum(v) > 2.5:
            break
        s = s + v * v
    return s


def continue_in_a_list_loop(x):
    s = 0.0
    for v in [x, -x, 2.0 * x]:
        if np.sum(v) < 0:
            continue
        s = s + v
    return s


def return_in_a_list_loop(x):
    for v in [x, x * x, x * x * x]:
        if np.sum(v) > 3.0:
            return v
    return x


def break_in_a_zip_of_lists(x):
    s = 0.0
    for a, b in zip([x, x * x], (1.0, 2.0)):
        s = s + a * b
        if np.sum(s) > 1.0:
            break
    return s


@pytest.mark.parametrize('f', [break_in_a_list_loop, continue_in_a_list_loop,
                               return_in_a_list_loop, break_in_a_zip_of_lists])
@pytest.mark.parametrize('x', [0.7, 1.1, 2.0, np.array([0.3, 0.4])])
def test_early_exits_in_a_loop_over_a_list_built_here(f, x):
    right(f, x)


def nested_signatures(x):
    def g(a, /, b=2.0, *rest, c, d=1.0, **kw):
        return a * b * c + d + sum(rest) + kw.get('e', 0.0)
    h = lambda u, *, v=3.0: u * v  # noqa: E731
    return g(x, c=x) + g(x, 3.0, x, c=2.0, e=x) + h(x) + h(x, v=x)


def nested_called_wrongly(x):
    def g(a, *, c):
        return a * c
    return g(x, x)  # ERR


def test_keyword_only_and_positional_only_parameters_of_nested_functions():
    right(nested_signatures, 1.5)
    right(nested_signatures, V)
    refused(nested_called_wrongly, 1.0, match='too many positional arguments')


def test_a_list_of_integers_is_checked_after_a_list_of_floats():
    g = sg.grad(python_list_of_floats)
    g([1.0, 2.0])
    with pytest.raises(TypeError, match="argument 'x'"):
        g([1, 2])


def returns_a_string_on_one_path(x):
    for t in range(3):
        if np.sum(x) > 10.0:
            return np.sum(x * x)
        x = x * 2.0
    return "done"


def test_a_string_returned_on_one_path_is_a_type_error():
    # the output merges a float and "done": checked when the code runs, on either path
    where = rf'returns_a_string_on_one_path \({THIS_FILE}:' \
            rf'{returns_a_string_on_one_path.__code__.co_firstlineno}\)'
    with pytest.raises(TypeError, match=f'grad: {where} returned str'):
        sg.grad(returns_a_string_on_one_path)(np.ones(2))
    right(returns_a_string_on_one_path, np.full(2, 4.0))        # the float path
