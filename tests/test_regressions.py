"""Programs that once gave wrong gradients, kept as checks (each found by the corpus)."""
import numpy as np

import s2sgrad as sg
from corpus.buffers import reused_scratch
from corpus.configs import dict_argument_model
from corpus.newton import secant_cube_root
from s2sgrad.testing import check_grads


def tuple_state(xs, a):
    # the carried tuple is two loop variables; codegen once computed `c * h`
    # after h's gradient had been overwritten under the same name
    hc = (a, a * 2.0)
    for x in xs:
        h, c = hc
        hc = (np.sin(h + x), c * h)
    return np.sum(hc[0] + hc[1])


def break_in_branch(a):
    # the branch that breaks does not touch y: its gradient once came out None
    x = a
    for _ in range(3):
        y = x * x
        if y > 0.5:
            break
        x = y + 0.5
    return x


def appended_in_branches(x):
    # a list gradient once overwritten under its own name before it was read
    pieces = []
    for v in x:
        if v < -1.0:
            pieces.append(v + 1.0)
        else:
            pieces.append(v * 3.0)
    return np.sum(np.stack(pieces) * np.arange(1.0, len(pieces) + 1.0))


def test_tuple_state():
    check_grads(tuple_state, np.array([0.3, -0.2, 0.8, 0.1]), 0.3, wrt=(0, 1), order=1)


def test_return_inside_loop():
    assert abs(sg.grad(secant_cube_root)(3.0) - 3.0 ** (-2.0 / 3.0) / 3.0) < 1e-12


def test_break_in_a_branch():
    check_grads(break_in_branch, 0.8, order=1)
    check_grads(break_in_branch, 0.3, order=1)


def test_buffer_reused_across_iterations():
    check_grads(reused_scratch, np.array([0.3, -0.5, 1.2]), 0.7, wrt=(0, 1), order=1)


def test_list_appended_in_branches():
    check_grads(appended_in_branches, np.array([-2.0, 0.5, 1.5]), order=1)


def loop_then_second_derivative(x):
    for _ in range(3):
        x = np.sin(x)
    return np.sum(x)


def test_second_derivative_through_a_loop_is_right_not_zero():
    # (once refused; tests/test_higher_order_loops.py has the rest)
    check_grads(loop_then_second_derivative, np.array([0.3, 0.4]), order=2)


def test_a_dict_argument_is_read():
    cfg = {"scale": 0.5, "penalties": {"l1": 0.1, "l2": 0.2}}
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=3), rng.normal(size=(4, 3))
    assert sg.graph(dict_argument_model)(w, x, cfg) == dict_argument_model(w, x, cfg)
    check_grads(dict_argument_model, w, x, cfg, wrt=(0, 1), order=1)


def uses_config_on_the_gradient_path(w, cfg):
    return np.sum(w * sum(cfg.values()))


def test_a_gradient_into_a_dict_argument_is_a_dict():
    # (once refused; tests/test_containers.py has the rest)
    import pytest
    got = sg.grad(uses_config_on_the_gradient_path, wrt=1)(np.ones(2), {"a": 1.0, "b": 3.0})
    assert got == {"a": pytest.approx(2.0), "b": pytest.approx(2.0)}


def returns_a_dict(x):
    out = {'a': x * 2.0, 'b': [x, np.sin(x)]}
    return out


def test_a_dict_result_is_a_dict():
    x = np.array([0.3, 0.5])
    result = sg.graph(returns_a_dict)(x)
    assert isinstance(result, dict) and list(result) == ['a', 'b']
    np.testing.assert_allclose(result['b'][1], np.sin(x))
    value, grad = sg.value_and_grad(returns_a_dict)(x)
    assert isinstance(value, dict)
    np.testing.assert_allclose(grad, 3.0 + np.cos(x))


def sorts_in_place(x):
    y = x * 1.0
    y.sort()
    return y[0] * 10.0 + y[1]


def test_sort_in_place_is_a_new_version_of_the_array():
    # x.sort() once ran as np.sort with its result thrown away
    x = np.array([3.0, 1.0, 2.0])
    assert sg.graph(sorts_in_place)(x) == sorts_in_place(x) == 12.0
    np.testing.assert_allclose(sg.grad(sorts_in_place)(x), [0.0, 10.0, 1.0])


def unpacks_an_array(v):
    p, q = v * 2.0
    return p * q


def test_unpacking_an_array_gives_an_array_gradient():
    # the gradient of the unpacked array came back as a tuple: (dp, dq) * 2.0 failed
    check_grads(unpacks_an_array, np.array([0.3, 0.5]), order=2)


def unpacks_a_tuple_twice(x):
    g = np.gradient(x)
    a, b = g
    c, d = g
    return np.sum(a * 2.0 + b * d)


def indexes_a_tuple(x):
    g = np.gradient(x)
    return np.sum(g[0] * g[1])


def test_a_run_time_tuple_read_twice_sums_entry_by_entry():
    # two gradients of a tuple were added with +, which concatenates tuples
    x = np.arange(12.0).reshape(3, 4) ** 2 / 10.0
    check_grads(unpacks_a_tuple_twice, x, order=1)
    check_grads(indexes_a_tuple, x, order=1)
