"""Errors point at the user's file and line (API.md section 7).

Each function below marks the line an error must point at with ``# ERR``;
``line_of`` finds that line's absolute number in this file.  The functions
are plain (undecorated): each test applies ``sg.graph`` / ``sg.grad`` and
calls the result inside ``pytest.raises``, so an error may come at
decoration, at transformation or at the first call.
"""
import functools
import inspect
import math
import os
import types

import numpy as np
import pytest

import s2sgrad as sg

THIS_FILE = os.path.basename(__file__)


def line_of(func, marker="# ERR"):
    """The absolute line number, in its file, of the only line of ``func``'s
    source that contains ``marker``."""
    lines, start = inspect.getsourcelines(inspect.unwrap(func))
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, f"{marker!r} found {len(hits)} times in {func}"
    return hits[0]


def location(func, marker="# ERR"):
    """``test_errors.py:<line>`` of the marked line of ``func``."""
    return f"{THIS_FILE}:{line_of(func, marker)}"


def line_of_probe():
    x = 1  # HERE
    return x


def test_line_of_finds_the_marked_line():
    assert line_of(line_of_probe, "# HERE") == \
        line_of_probe.__code__.co_firstlineno + 1


def graph_and_call(fn, *args):
    return sg.graph(fn)(*args)


def assert_transform_error(fn, *args, construct):
    """``sg.graph(fn)`` refuses ``fn`` with a TransformError pointing at the
    marked line of this file and naming the construct."""
    with pytest.raises(sg.TransformError) as info:
        graph_and_call(fn, *args)
    err = info.value
    assert isinstance(err, SyntaxError)
    assert os.path.basename(err.filename) == THIS_FILE, err.filename
    assert err.lineno == line_of(fn), (err.lineno, str(err))
    assert construct in str(err) + (err.text or ""), (str(err), err.text)
    return err


def test_transform_error_is_a_syntax_error():
    assert issubclass(sg.TransformError, SyntaxError)


# ------------------------------------------------------ refused syntax

def uses_try(x):
    y = np.sin(x)
    try:  # ERR
        z = np.log(y)
    except FloatingPointError:
        z = y
    return np.sum(z)


# Loops once were refused; they now run and are differentiated.
def uses_for(x):
    y = x
    for _ in range(3):  # ERR
        y = np.sin(y)
    return np.sum(y)


def uses_while(x):
    y = x
    while np.sum(y) > 1.0:  # ERR
        y = y * 0.5
    return np.sum(y)


_COUNTER = 0


def uses_global(x):
    global _COUNTER  # ERR
    _COUNTER = _COUNTER + 1
    return np.sum(x)


def make_uses_nonlocal():
    calls = 0

    def uses_nonlocal(x):
        nonlocal calls  # ERR
        calls = calls + 1
        return np.sum(x)

    return uses_nonlocal


def uses_exec(x):
    exec("y = 1")  # ERR
    return np.sum(x)


def uses_eval(x):
    y = eval("x * 2.0")  # ERR
    return np.sum(y)


def uses_lambda(x):
    y = (lambda v: v * v)(x)
    return np.sum(y)


def test_lambda_is_differentiated():
    x = np.arange(1.0, 4.0)
    np.testing.assert_allclose(sg.grad(uses_lambda)(x), 2.0 * x)


def uses_yield(x):
    yield np.sum(x)  # ERR


async def uses_async(x):  # ERR
    return np.sum(x)


# Assignment into an array is differentiated; what cannot be made to agree
# with Python -- a view read after the array it shows is assigned into -- is
# refused when it runs, at the line that took the view (y[0] of a 1-d array is
# a scalar copy, and fine).
def reads_view_after_assignment(x):
    y = x[:, None] * x[None, :]
    row = y[0]  # ERR
    y[0] = 1.0
    return np.sum(row) + np.sum(y)


def swaps_two_items(x):
    y = x.copy()
    tmp = y[0]
    y[0] = y[1]
    y[1] = tmp
    return np.sum(y * np.arange(1.0, 4.0))


def test_a_view_read_after_assignment_is_refused_when_it_runs():
    with pytest.raises(ValueError, match='view') as info:
        sg.grad(reads_view_after_assignment)(np.arange(1.0, 4.0))
    assert any(location(reads_view_after_assignment) in note
               for note in info.value.__notes__), info.value.__notes__


def test_a_scalar_item_read_after_assignment_is_fine():
    x = np.array([0.5, 2.0, -1.0])
    assert sg.graph(swaps_two_items)(x) == swaps_two_items(x)
    np.testing.assert_allclose(sg.grad(swaps_two_items)(x), [2.0, 1.0, 3.0])


HOLDER = types.SimpleNamespace(value=None)


def uses_attribute_mutation(x):
    HOLDER.value = x * 2.0  # ERR
    y = np.sum(HOLDER.value * x)
    return sg.gradients(y, [x])


def uses_try_finally(x):
    y = np.sin(x)
    try:  # ERR
        y = y * 2.0
    finally:
        y = y + 1.0
    return np.sum(y)


def uses_with(x):
    with open(os.devnull):  # ERR
        y = np.log(x)
    return np.sum(y)


def calls_fromiter(x):
    gen = (v * 2.0 for v in x)
    y = np.fromiter(gen, float)  # ERR
    return sg.gradients(np.sum(y), [x])


@pytest.mark.parametrize("fn, construct", [
    (uses_try, "try"),
    (uses_try_finally, "try"),
    (uses_with, "with"),
    (uses_global, "global"),
    (make_uses_nonlocal(), "nonlocal"),
    (uses_exec, "exec"),
    (uses_eval, "eval"),
    (uses_yield, "yield"),
    (uses_async, "async"),
    (uses_attribute_mutation, "HOLDER.value"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_refused_construct_points_at_its_line(fn, construct):
    assert_transform_error(fn, np.arange(1.0, 4.0), construct=construct)


@pytest.mark.parametrize("fn", [uses_for, uses_while])
def test_loops_run_forward_and_are_differentiated(fn):
    from s2sgrad.testing import check_grads
    x = np.arange(1.0, 4.0)
    assert sg.graph(fn)(x) == fn(x)
    check_grads(fn, x, order=1)


def writes_into_argument(x):
    x[0] = 5.0
    return np.sum(x * x)


def test_assignment_into_an_argument_works_on_a_copy():
    x = np.array([0.3, -0.5, 1.2])
    before = x.copy()
    np.testing.assert_allclose(sg.grad(writes_into_argument)(x), [0.0, -1.0, 2.4])
    np.testing.assert_array_equal(x, before)


def test_transform_error_through_grad():
    with pytest.raises(sg.TransformError) as info:
        sg.grad(uses_try)(np.arange(1.0, 4.0))
    assert os.path.basename(info.value.filename) == THIS_FILE
    assert info.value.lineno == line_of(uses_try)


def test_function_without_source_is_refused():
    namespace = {"np": np}
    exec("def no_source(x):\n    return np.sum(x)\n", namespace)
    with pytest.raises(sg.TransformError):
        graph_and_call(namespace["no_source"], np.ones(3))


# ------------------------------------------ calls with no gradient rule

def scaled_sin(v):
    return math.sin(2.0 * v)


scaled_sin_ufunc = np.frompyfunc(scaled_sin, 1, 1)
scaled_sin_vectorized = np.vectorize(scaled_sin)


def calls_frompyfunc(x):
    y = scaled_sin_ufunc(x)  # ERR
    return sg.gradients(np.sum(y), [x])


def calls_vectorize(x):
    y = scaled_sin_vectorized(x)  # ERR
    return sg.gradients(np.sum(y), [x])


def calls_reduce(x):
    y = functools.reduce(np.add, [x, np.sin(x)])  # ERR
    return sg.gradients(np.sum(y), [x])


def calls_apply_along_axis(x):
    y = np.apply_along_axis(np.cumsum, 0, x)  # ERR
    return sg.gradients(np.sum(y), [x])



@pytest.mark.parametrize("fn, name", [
    (calls_frompyfunc, "scaled_sin"),
    (calls_vectorize, "scaled_sin"),
    (calls_reduce, "reduce"),
    (calls_apply_along_axis, "apply_along_axis"),
    (calls_fromiter, "fromiter"),
], ids=["frompyfunc", "vectorize", "reduce", "apply_along_axis", "fromiter"])
def test_call_without_rule_on_gradient_path_is_lookup_error(fn, name):
    with pytest.raises(LookupError) as info:
        graph_and_call(fn, np.arange(1.0, 4.0))
    message = str(info.value)
    assert name in message, message
    assert location(fn) in message, message


def loss_through_vectorize(x):
    return np.sum(scaled_sin_vectorized(x) * x)  # ERR


def test_lookup_error_through_grad():
    with pytest.raises(LookupError) as info:
        sg.grad(loss_through_vectorize)(np.arange(1.0, 4.0))
    message = str(info.value)
    assert "scaled_sin" in message and location(loss_through_vectorize) in \
        message, message


def frompyfunc_off_path(x):
    side = scaled_sin_ufunc(x)
    y = np.sum(x ** 2)
    return sg.gradients(y, [x])[0], side


def vectorize_on_a_constant(x):
    c = scaled_sin_vectorized(np.arange(3.0))
    y = np.sum(x * c)
    return sg.gradients(y, [x])[0]


def loss_with_constant_from_vectorize(x):
    c = scaled_sin_vectorized(np.arange(3.0))
    return np.sum(x * c)


def test_same_calls_off_the_gradient_path_are_fine():
    x = np.array([0.5, -1.0, 2.0])
    grad, side = graph_and_call(frompyfunc_off_path, x)
    np.testing.assert_allclose(grad, 2.0 * x, rtol=1e-12)
    np.testing.assert_allclose(side.astype(np.float64), np.sin(2.0 * x),
                               rtol=1e-12)

    expected = np.sin(2.0 * np.arange(3.0))
    np.testing.assert_allclose(graph_and_call(vectorize_on_a_constant, x),
                               expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        sg.grad(loss_with_constant_from_vectorize)(x), expected,
        rtol=1e-12, atol=1e-15)


# ----------------------------------------------- errors at run time

def shape_mismatch(a, b):
    c = np.sin(a)
    d = c + b  # ERR
    return np.sum(d)


def shape_mismatch_in_graph(a, b):
    c = np.sin(a)
    d = c * b  # ERR
    return sg.gradients(np.sum(d), [a, b])


def assert_runtime_error(info, fn, direct):
    err = info.value
    assert type(err) is type(direct)
    assert str(err) == str(direct)
    notes = getattr(err, "__notes__", [])
    assert any(location(fn) in note for note in notes), notes


@pytest.mark.parametrize("run", [
    lambda a, b: graph_and_call(shape_mismatch, a, b),
    lambda a, b: sg.grad(shape_mismatch)(a, b),
    lambda a, b: sg.value_and_grad(shape_mismatch, wrt=(0, 1))(a, b),
], ids=["graph", "grad", "value_and_grad"])
def test_runtime_error_propagates_with_a_note(run):
    a, b = np.ones(3), np.ones(4)
    with pytest.raises(ValueError) as direct:
        np.sin(a) + b
    with pytest.raises(ValueError) as info:
        run(a, b)
    assert_runtime_error(info, shape_mismatch, direct.value)


def test_runtime_error_inside_a_gradients_body():
    a, b = np.ones(3), np.ones(4)
    with pytest.raises(ValueError) as direct:
        np.sin(a) * b
    with pytest.raises(ValueError) as info:
        graph_and_call(shape_mismatch_in_graph, a, b)
    assert_runtime_error(info, shape_mismatch_in_graph, direct.value)


def test_run_time_errors_do_not_break_later_calls():
    fn = sg.graph(shape_mismatch)
    with pytest.raises(ValueError):
        fn(np.ones(3), np.ones(4))
    x = np.arange(3.0)
    assert fn(x, x) == pytest.approx(np.sum(np.sin(x) + x), rel=1e-12)


# ---------------------------------------------------- failed exports

@pytest.mark.parametrize("make", [
    lambda: sg.graph(uses_try),
    lambda: sg.grad(uses_global),
    lambda: sg.value_and_grad(loss_through_vectorize),
    lambda: sg.graph(calls_vectorize),
], ids=["graph-try", "grad-global", "value_and_grad-vectorize",
        "graph-vectorize"])
def test_failed_export_leaves_no_file(tmp_path, make):
    target = tmp_path / "exported.py"
    with pytest.raises((sg.TransformError, LookupError)):
        make().export(str(target))
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_export_keeps_an_existing_file(tmp_path):
    target = tmp_path / "exported.py"
    target.write_text("# an earlier export\n")
    with pytest.raises((sg.TransformError, LookupError)):
        sg.grad(loss_through_vectorize).export(str(target))
    assert target.read_text() == "# an earlier export\n"
    assert list(tmp_path.iterdir()) == [target]
