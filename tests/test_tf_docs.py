"""The tf.gradients documentation, run with s2sgrad (API.md section 2).

Each example of the TensorFlow page is written as it appears there, with
``sg`` for ``tf``, ``@sg.graph`` for ``@tf.function`` and NumPy values for
TensorFlow constants; the documented numbers are the expected ones.  The rest
of the file covers the other promises of the section: grad_ys, stop_gradients,
unconnected gradients, aggregation methods, gate_gradients, name, the graph
context, several and nested gradients calls, integer constness, dtype and
shape, intermediate xs.
"""
import io
import re
import tokenize

import numpy as np
import pytest

import s2sgrad as sg


def assert_scalar_list(result, expected, dtype=np.float64):
    """``result`` is a list of scalars (shape ()) of ``dtype`` equal to
    ``expected``."""
    assert isinstance(result, list), result
    assert len(result) == len(expected)
    for r, e in zip(result, expected):
        assert np.shape(r) == () and np.asarray(r).dtype == dtype
        assert float(r) == e


def assert_close(actual, expected, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------- the documented examples

@sg.graph
def stop_gradients_example():
    a = np.float64(0.)
    b = 2 * a
    return sg.gradients(a + b, [a, b], stop_gradients=[a, b])


@sg.graph
def total_derivatives_example():
    a = np.float64(0.)
    b = 2 * a
    return sg.gradients(a + b, [a, b])


@sg.graph
def stop_gradient_equivalent_example():
    a = sg.stop_gradient(np.float64(0.))
    b = sg.stop_gradient(2 * a)
    return sg.gradients(a + b, [a, b])


@sg.graph
def unconnected_example(use_zero):
    a = np.ones([1, 2])
    b = np.ones([3, 1])
    if use_zero:
        return sg.gradients([b], [a], unconnected_gradients='zero')
    else:
        return sg.gradients([b], [a], unconnected_gradients='none')


@sg.graph
def cost_example():
    Ws = np.float64(0.)
    bs = 2 * Ws
    cost = Ws + bs  # This is just an example. Please ignore the formulas.
    g = sg.gradients(cost, [Ws, bs])
    dCost_dW, dCost_db = g
    return dCost_dW, dCost_db


def test_doc_stop_gradients():
    assert_scalar_list(stop_gradients_example(), [1.0, 1.0])


def test_doc_total_derivatives():
    assert_scalar_list(total_derivatives_example(), [3.0, 1.0])


def test_doc_stop_gradient_equivalent():
    assert_scalar_list(stop_gradient_equivalent_example(), [1.0, 1.0])


def test_doc_unconnected_none():
    assert unconnected_example(False) == [None]


def test_doc_unconnected_zero():
    result = unconnected_example(True)
    assert isinstance(result, list) and len(result) == 1
    zeros = result[0]
    assert isinstance(zeros, np.ndarray)
    assert zeros.shape == (1, 2) and zeros.dtype == np.float64
    np.testing.assert_array_equal(zeros, np.array([[0., 0.]]))


def test_doc_cost_example():
    result = cost_example()
    assert isinstance(result, tuple)
    assert [float(r) for r in result] == [3.0, 1.0]
    assert result == (3.0, 1.0)


# ------------------------------------------------------ stop_gradients

@sg.graph
def stop_one_value_not_list():
    a = np.float64(0.)
    b = 2 * a
    return sg.gradients(a + b, [a, b], stop_gradients=b)


@sg.graph
def partial_and_total(x):
    h = np.sin(x)
    y = np.sum(h * x)
    partial = sg.gradients(y, [x], stop_gradients=[h])[0]
    total = sg.gradients(y, [x])[0]
    return partial, total


@sg.graph
def stop_gradient_on_array(x):
    h = sg.stop_gradient(np.sin(x))
    return sg.gradients(np.sum(h * x), [x])[0]


def test_stop_gradients_single_value():
    # b stops: its own gradient is 1 but none flows on to a.
    assert_scalar_list(stop_one_value_not_list(), [1.0, 1.0])


def test_stop_gradients_partial_versus_total_on_arrays():
    x = rng().standard_normal(5)
    partial, total = partial_and_total(x)
    assert_close(partial, np.sin(x))
    assert_close(total, np.sin(x) + np.cos(x) * x)
    assert_close(stop_gradient_on_array(x), np.sin(x))


def test_stop_gradient_is_identity_forward():
    @sg.graph
    def forward(x):
        return sg.stop_gradient(x * 2.0) + 1.0

    x = rng().standard_normal(3)
    assert_close(forward(x), 2.0 * x + 1.0)


# ----------------------------------------------------------- grad_ys

@sg.graph
def weighted_two_ys(x, u1, u2):
    y1 = np.sin(x)
    y2 = x ** 2
    return sg.gradients([y1, y2], [x], grad_ys=[u1, u2])


@sg.graph
def two_ys_default(x):
    y1 = np.sin(x)
    y2 = x ** 2
    return sg.gradients([y1, y2], x)


def grad_ys_too_short(x, u1):
    y1 = np.sin(x)
    y2 = x ** 2
    return sg.gradients([y1, y2], [x], grad_ys=[u1])


def grad_ys_too_long(x, u1):
    y1 = np.sin(x)
    return sg.gradients([y1], [x], grad_ys=[u1, u1])


def test_grad_ys_weights_each_y():
    r = rng(1)
    x, u1, u2 = r.standard_normal(4), r.standard_normal(4), r.standard_normal(4)
    (dx,) = weighted_two_ys(x, u1, u2)
    assert_close(dx, u1 * np.cos(x) + u2 * 2.0 * x)


def test_default_grad_ys_are_ones_and_ys_are_summed():
    x = rng(2).standard_normal(4)
    result = two_ys_default(x)
    assert isinstance(result, list) and len(result) == 1
    assert_close(result[0], np.cos(x) + 2.0 * x)


@pytest.mark.parametrize("fn", [grad_ys_too_short, grad_ys_too_long],
                         ids=["too_short", "too_long"])
def test_grad_ys_length_mismatch_is_value_error(fn):
    x = np.ones(3)
    with pytest.raises(ValueError):
        sg.graph(fn)(x, x)


# --------------------------------------------------- unconnected gradients

@sg.graph
def unconnected_default(x, c):
    y = np.sum(x ** 2)
    return sg.gradients(y, [x, c])


@sg.graph
def unconnected_none_string(x, c):
    y = np.sum(x ** 2)
    return sg.gradients(y, [x, c], unconnected_gradients='none')


@sg.graph
def unconnected_none_enum(x, c):
    y = np.sum(x ** 2)
    return sg.gradients(y, [x, c],
                        unconnected_gradients=sg.UnconnectedGradients.NONE)


@sg.graph
def unconnected_zero_string(x, c):
    y = np.sum(x ** 2)
    return sg.gradients(y, [x, c], unconnected_gradients='zero')


@sg.graph
def unconnected_zero_enum(x, c):
    y = np.sum(x ** 2)
    return sg.gradients(y, [x, c],
                        unconnected_gradients=sg.UnconnectedGradients.ZERO)


def unconnected_bogus(x, c):
    y = np.sum(x ** 2)
    return sg.gradients(y, [x, c], unconnected_gradients='bogus')


@pytest.mark.parametrize("fn", [unconnected_default, unconnected_none_string,
                                unconnected_none_enum],
                         ids=["default", "string", "enum"])
def test_unconnected_none(fn):
    x, c = rng(3).standard_normal(3), rng(4).standard_normal((2, 2))
    dx, dc = fn(x, c)
    assert_close(dx, 2.0 * x)
    assert dc is None


@pytest.mark.parametrize("fn", [unconnected_zero_string,
                                unconnected_zero_enum], ids=["string", "enum"])
def test_unconnected_zero(fn):
    x = rng(3).standard_normal(3)
    c = rng(4).standard_normal((2, 2)).astype(np.float32)
    dx, dc = fn(x, c)
    assert_close(dx, 2.0 * x)
    assert isinstance(dc, np.ndarray)
    assert dc.shape == (2, 2) and dc.dtype == np.float32
    assert not np.any(dc)


def test_unconnected_bogus_is_value_error():
    with pytest.raises(ValueError):
        sg.graph(unconnected_bogus)(np.ones(3), np.ones(2))


# -------------------------------------------------- aggregation methods

# x feeds y through five terms, so its adjoint sums five contributions.
# d/dx = 2x + cos(x) w + exp(x) x + exp(x)

@sg.graph
def agg_none(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(y, [x])


@sg.graph
def agg_add_n(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(y, [x], aggregation_method=sg.AggregationMethod.ADD_N)


@sg.graph
def agg_default(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(y, [x],
                        aggregation_method=sg.AggregationMethod.DEFAULT)


@sg.graph
def agg_tree(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(
        y, [x], aggregation_method=sg.AggregationMethod.EXPERIMENTAL_TREE)


@sg.graph
def agg_accumulate(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(
        y, [x],
        aggregation_method=sg.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N)


@sg.graph
def agg_gate_on(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(y, [x], gate_gradients=True)


@sg.graph
def agg_named(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(y, [x], name='my_grads')


def code_tokens(fn, name):
    """The tokens of ``fn.source`` without comments or blank lines, with the
    function's own name and this file's ``file:line`` references replaced,
    so that two functions differing only in a gradients option compare
    equal exactly when their generated code is the same."""
    tokens = []
    for tok in tokenize.generate_tokens(io.StringIO(fn.source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL):
            continue
        text = tok.string.replace(name, "F")
        text = re.sub(r"[\w./\\-]*test_tf_docs\.py:\d+", "LOC", text)
        tokens.append((tok.type, text))
    return tokens


def agg_expected(x, w):
    return 2.0 * x + np.cos(x) * w + np.exp(x) * x + np.exp(x)


AGGREGATED = {"agg_none": agg_none, "agg_add_n": agg_add_n,
              "agg_default": agg_default, "agg_tree": agg_tree,
              "agg_accumulate": agg_accumulate, "agg_gate_on": agg_gate_on,
              "agg_named": agg_named}


@pytest.mark.parametrize("name", sorted(AGGREGATED))
def test_every_aggregation_option_gives_the_same_numbers(name):
    fn = AGGREGATED[name]
    r = rng(5)
    x, w = r.standard_normal(6), r.standard_normal(6)
    result = fn(x, w)
    assert isinstance(result, list) and len(result) == 1
    assert result[0].shape == x.shape and result[0].dtype == x.dtype
    assert_close(result[0], agg_expected(x, w))


def test_aggregation_methods_generate_different_code():
    add_n, tree, accumulate = (code_tokens(AGGREGATED[n], n) for n in
                               ("agg_add_n", "agg_tree", "agg_accumulate"))
    assert add_n != tree
    assert add_n != accumulate
    assert tree != accumulate


def test_gate_gradients_is_visible_in_source():
    assert (code_tokens(agg_gate_on, "agg_gate_on")
            != code_tokens(agg_none, "agg_none"))


def test_name_appears_in_source():
    assert "my_grads" in agg_named.source
    assert "my_grads" not in agg_none.source


# ------------------------------------------------------- graph context

def plain_function_calling_gradients(x):
    return sg.gradients(np.sum(x ** 2), [x])


def test_gradients_outside_a_graph_is_runtime_error():
    x = np.ones(3)
    with pytest.raises(RuntimeError, match="graph"):
        sg.gradients(x, [x])
    with pytest.raises(RuntimeError, match="graph"):
        plain_function_calling_gradients(x)


# ------------------------------------------- several and nested calls

@sg.graph
def two_gradient_calls(x, w):
    y = np.sum(np.sin(x) * w)
    gx = sg.gradients(y, [x])[0]
    z = np.sum(w ** 2 * x)
    gw = sg.gradients(z, [w])[0]
    return gx, gw


@sg.graph
def gradient_of_gradient(x):
    y = x ** 3
    g = sg.gradients(y, x)[0]
    h = sg.gradients(g, x)[0]
    k = sg.gradients(h, x)[0]
    return g, h, k


@sg.graph
def mixed_second_derivative(x, w):
    y = np.sum(np.sin(x * w))
    gx = sg.gradients(y, [x])[0]
    return sg.gradients(gx, [w])[0]


def test_two_gradients_calls_in_one_body():
    r = rng(6)
    x, w = r.standard_normal(4), r.standard_normal(4)
    gx, gw = two_gradient_calls(x, w)
    assert_close(gx, np.cos(x) * w)
    assert_close(gw, 2.0 * w * x)


def test_gradient_of_a_gradient():
    x = rng(7).standard_normal(5)
    g, h, k = gradient_of_gradient(x)
    assert_close(g, 3.0 * x ** 2)
    assert_close(h, 6.0 * x)
    assert_close(k, np.full_like(x, 6.0))


def test_mixed_second_derivative():
    r = rng(8)
    x, w = r.standard_normal(4), r.standard_normal(4)
    # d/dw of cos(x w) w = cos(x w) - x w sin(x w)
    assert_close(mixed_second_derivative(x, w),
                 np.cos(x * w) - x * w * np.sin(x * w))


# --------------------------------------------- integers are constants

@sg.graph
def integer_range_none(x):
    n = np.arange(3)
    y = x * n
    return sg.gradients(y, [x, n])


@sg.graph
def integer_range_zero(x):
    n = np.arange(3)
    y = x * n
    return sg.gradients(y, [x, n], unconnected_gradients='zero')


@sg.graph
def integer_argument(x, k):
    y = x * k
    return sg.gradients(y, [x, k])


@sg.graph
def integer_cut_path(x):
    k = (x * 10.0).astype(np.int64)
    y = x * k
    return sg.gradients(y, [x, k])


@sg.graph
def boolean_mask(x):
    mask = x > 0
    y = x * mask
    return sg.gradients(y, [x, mask])


def test_integer_value_gets_none():
    x = rng(9).standard_normal(3)
    dx, dn = integer_range_none(x)
    assert_close(dx, np.arange(3.0))
    assert dx.dtype == np.float64
    assert dn is None


def test_integer_value_gets_zeros_with_zero():
    x = rng(9).standard_normal(3)
    dx, dn = integer_range_zero(x)
    assert_close(dx, np.arange(3.0))
    assert isinstance(dn, np.ndarray)
    assert dn.shape == (3,) and dn.dtype == np.arange(3).dtype
    assert not np.any(dn)


def test_integer_argument_is_constant():
    x, k = rng(10).standard_normal(4), np.array([1, -2, 3, 0])
    dx, dk = integer_argument(x, k)
    assert_close(dx, k.astype(np.float64))
    assert dk is None


def test_integer_intermediate_cuts_the_path():
    x = np.array([0.35, -1.72, 2.05, 0.91])
    dx, dk = integer_cut_path(x)
    # Only the direct use of x counts: the integer k is a constant.
    assert_close(dx, (x * 10.0).astype(np.int64).astype(np.float64))
    assert dk is None


def test_boolean_value_is_constant():
    x = rng(11).standard_normal(6)
    dx, dmask = boolean_mask(x)
    assert_close(dx, (x > 0).astype(np.float64))
    assert dmask is None


# --------------------------------------------------- dtype and shape

@sg.graph
def layer_gradients(x, W, b):
    y = np.tanh(x @ W + b)
    return sg.gradients(y, [x, W, b])


def layer_expected(x, W, b):
    x, W, b = (np.asarray(a, np.float64) for a in (x, W, b))
    dz = 1.0 - np.tanh(x @ W + b) ** 2
    return dz @ W.T, x.T @ dz, dz.sum(axis=0)


@pytest.mark.parametrize("dtypes", [
    (np.float64, np.float64, np.float64),
    (np.float32, np.float32, np.float32),
    (np.float32, np.float32, np.float64),
    (np.float64, np.float32, np.float64),
])
def test_results_have_dtype_and_shape_of_xs(dtypes):
    r = rng(12)
    args = [r.standard_normal(s).astype(d)
            for s, d in zip([(4, 3), (3, 2), (2,)], dtypes)]
    result = layer_gradients(*args)
    assert isinstance(result, list) and len(result) == 3
    for g, a, e in zip(result, args, layer_expected(*args)):
        assert g.shape == a.shape and g.dtype == a.dtype
        low = np.float32 in dtypes
        assert_close(g, e, rtol=1e-5 if low else 1e-12,
                     atol=1e-6 if low else 1e-12)


@sg.graph
def scalar_xs(s, x):
    return sg.gradients(np.sum(s * x ** 2), [s, x])


def test_scalar_x_gets_scalar_gradient():
    s, x = np.float64(1.5), np.arange(3.0)
    ds, dx = scalar_xs(s, x)
    assert np.shape(ds) == () and np.asarray(ds).dtype == np.float64
    assert float(ds) == pytest.approx(5.0, rel=1e-12)
    assert_close(dx, 3.0 * x)


# ------------------------------------------------- intermediate xs

@sg.graph
def intermediate_xs(x):
    h = x * 2.0
    y = h * h + h * x
    return sg.gradients(y, [h, x])


@sg.graph
def chained_intermediates(x):
    u = np.sin(x)
    v = u * u
    y = v + u
    return sg.gradients(y, [u, v, x])


def test_intermediate_xs_give_total_derivatives():
    x = rng(13).standard_normal(4)
    dh, dx = intermediate_xs(x)
    h = 2.0 * x
    assert_close(dh, 2.0 * h + x)
    # y = 6 x**2 in terms of x alone
    assert_close(dx, 12.0 * x)


def test_chained_intermediates():
    x = rng(14).standard_normal(4)
    du, dv, dx = chained_intermediates(x)
    u = np.sin(x)
    assert_close(du, 2.0 * u + 1.0)
    assert_close(dv, np.ones_like(x))
    assert_close(dx, (2.0 * u + 1.0) * np.cos(x))
