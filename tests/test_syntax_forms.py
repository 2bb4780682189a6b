"""Python syntax forms users write every day: right, or refused at their line.

Each form is run through sg.graph (forward value against the original Python)
and sg.grad / value_and_grad (gradient against central differences), in
several spellings: at the top level, inside loops and branches, in helpers.
Refusals are TransformErrors naming this file and the marked line (``# ERR``).
"""
import inspect
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.frontend.inlining import MAX_RECURSION_DEPTH
from s2sgrad.testing import check_grads

THIS_FILE = os.path.basename(__file__)


def line_of(func, marker="# ERR"):
    lines, start = inspect.getsourcelines(inspect.unwrap(func))
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, f"{marker!r} found {len(hits)} times in {func}"
    return hits[0]


def assert_refused(fn, *args, construct, at=None, marker="# ERR"):
    """sg.graph(fn) raises a TransformError at the marked line (of `at`, a helper,
    or else of fn) naming the construct."""
    with pytest.raises(sg.TransformError) as info:
        sg.graph(fn)(*args)
    err = info.value
    assert os.path.basename(err.filename) == THIS_FILE, err.filename
    assert err.lineno == line_of(at or fn, marker), (err.lineno, str(err))
    assert construct in str(err), str(err)
    return err


def assert_right(fn, *args, wrt=0):
    """Forward value equals Python's; gradient matches central differences."""
    expected = fn(*args)
    np.testing.assert_allclose(sg.graph(fn)(*args), expected, rtol=1e-12, atol=1e-12)
    value, _ = sg.value_and_grad(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    check_grads(fn, *args, wrt=wrt, order=1)


# ------------------------------------------------------------ error format

def refused_with_open(x):
    with open(os.devnull):  # ERR
        y = x * 2.0
    return np.sum(y)


def test_error_states_its_location_once_with_the_users_line():
    err = assert_refused(refused_with_open, np.ones(3), construct="with")
    where = f"{THIS_FILE}:{line_of(refused_with_open)}"
    text = str(err)
    assert text.count(where) == 1, text
    assert "line " not in text.split("\n")[0], text        # not also `(file, line N)`
    assert "with open(os.devnull):" in text, text           # the user's line
    assert err.msg.startswith("with") and where not in err.msg, err.msg


# ------------------------------------------------------------ walrus (:=)

def walrus_in_expression(x):
    y = (s := np.sin(x)) * s
    return np.sum(y + s)


def walrus_in_if_test(x):
    if (n := x.shape[0]) > 2:
        return np.sum(x[:n - 1] ** 2)
    return np.sum(x)


def walrus_in_runtime_if_test(x):
    if (t := np.sum(x * x)) > 1.0:
        y = t * x
    else:
        y = x
    return np.sum(y) + t


def walrus_in_while_test(x):
    y = x
    k = 0
    while (s := np.sum(y * y)) > 0.5:
        y = y * 0.7
        k += 1
    return s * k + np.sum(y)        # s from the test that failed


def walrus_in_while_test_with_counter(x):
    total = 0.0
    k = 5
    while (k := k - 1) > 0:
        total = total + k * np.sum(np.cos(x))
    return total + k


def walrus_in_comprehension(x):
    ys = [last := x[i] * w for i, w in enumerate((1.0, 2.0, 3.0))]
    return sum(ys) + last              # `:=` binds outside the comprehension


def walrus_in_comprehension_filter(x):
    rows = [r for t in x if (r := t * 2.0) > 0.0]
    return np.sum(np.array(rows)) * r


def walrus_in_runtime_comprehension(x):
    ys = [(v := np.exp(t)) * v for t in x]
    return sum(ys) + v


def walrus_in_loop(x):
    acc = 0.0
    for t in x:
        acc = acc + (u := t * t) * u
    return acc + u


def _walrus_helper(a):
    return (b := np.tanh(a)) * b


def walrus_in_helper(x):
    return np.sum(_walrus_helper(x)) + np.sum(_walrus_helper(x * 2.0))


def walrus_in_branch(x, flag=True):
    if flag:
        z = (m := np.max(x)) * x
    else:
        z = (m := np.min(x)) * x
    return np.sum(z) + m


@pytest.mark.parametrize("fn", [
    walrus_in_expression, walrus_in_if_test, walrus_in_runtime_if_test,
    walrus_in_while_test, walrus_in_while_test_with_counter, walrus_in_comprehension,
    walrus_in_comprehension_filter, walrus_in_runtime_comprehension, walrus_in_loop,
    walrus_in_helper, walrus_in_branch,
])
def test_walrus(fn):
    assert_right(fn, np.array([0.3, 0.9, 1.4]))
    assert_right(fn, np.array([0.1, -0.2, 0.25, 0.5]))


def walrus_after_runtime_and(x):
    s = np.sum(x)
    ok = s > 0.0 and (t := s * 2.0) > 1.0  # ERR
    return t if ok else s


def walrus_in_runtime_ifexp(x):
    s = np.sum(x)
    y = (u := s * 2.0) if s > 0.0 else s  # ERR
    return y + u


@pytest.mark.parametrize("fn", [walrus_after_runtime_and, walrus_in_runtime_ifexp])
def test_walrus_on_a_conditional_path_is_refused(fn):
    assert_refused(fn, np.array([0.3, 0.9]), construct=":=")


# ------------------------------------------------------------ del

def del_temporary(x):
    t = np.sin(x)
    y = t * 2.0
    del t
    return np.sum(y)


def del_then_rebind(x):
    t = x * 3.0
    del t
    t = np.cos(x)
    return np.sum(t)


def del_in_loop_body(x):
    acc = 0.0
    for v in x:
        tmp = v * v
        acc = acc + tmp
        del tmp
    return acc


def del_in_unrolled_loop(x):
    acc = 0.0
    for w in (1.0, 2.0):
        tmp = w * x
        acc = acc + np.sum(tmp)
        del tmp
    return acc


def del_list_item(x):
    parts = [x, x * 2.0, x * 3.0]
    del parts[1]
    return np.sum(parts[0] + parts[1])


def del_list_slice(x):
    parts = [x, np.sin(x), x * 3.0, x * 4.0]
    del parts[:2], parts[-1]
    return np.sum(sum(parts))


def del_dict_item(x):
    d = {"a": x, "b": np.exp(x), "c": x * x}
    del d["b"]
    return sum(np.sum(v) for v in d.values()) + len(d)


def del_in_branch(x, flag=True):
    t = x * 2.0
    if flag:
        del t
        t = x * 5.0
    return np.sum(t)


def _del_helper(a):
    b = a * a
    del a
    return b


def del_in_helper(x):
    return np.sum(_del_helper(x))


@pytest.mark.parametrize("fn", [
    del_temporary, del_then_rebind, del_in_loop_body, del_in_unrolled_loop,
    del_list_item, del_list_slice, del_dict_item, del_in_branch, del_in_helper,
])
def test_del(fn):
    assert_right(fn, np.array([0.3, 0.9, 1.4]))


def del_then_read(x):
    t = x * 2.0
    del t
    return np.sum(t)  # ERR


def del_on_runtime_branch_then_read(x):
    t = x * 2.0
    if np.sum(x) > 0.0:
        del t
    return np.sum(t)  # ERR


def del_in_loop_then_read_after(x):
    for v in x:
        t = v * 2.0
        del t
    return np.sum(t)  # ERR


def del_and_rebind_in_loop(x):
    t = x * 2.0
    for v in x:
        del t  # ERR
        t = v
    return np.sum(t)


def del_read_in_next_iteration(x):
    t = x
    for k in range(3):
        y = t * 2.0  # ERR
        del t
        t = y
    return np.sum(t)


def del_array_item(x):
    y = x * 2.0
    del y[0]  # ERR
    return np.sum(y)


def del_aliased_list(x):
    a = [x, x * 2.0]
    b = a
    del a[0]  # ERR
    return np.sum(b[0])


def del_list_inside_dict(x):
    a = [x, x * 2.0]
    d = {"a": a}
    del a[0]  # ERR
    return np.sum(d["a"][0])


def del_global(x):
    del np  # ERR
    return x


def del_attribute(x):
    y = x * 2.0
    del y.real  # ERR
    return np.sum(y)


@pytest.mark.parametrize("fn, construct", [
    (del_then_read, "del t"),
    (del_on_runtime_branch_then_read, "del t"),
    (del_in_loop_then_read_after, "del t"),
    (del_read_in_next_iteration, "del t"),
    (del_and_rebind_in_loop, "del t"),
    (del_array_item, "del y[...]"),
    (del_aliased_list, "'b'"),
    (del_list_inside_dict, "'d'"),
    (del_global, "del np"),
    (del_attribute, "del"),
])
def test_del_refused(fn, construct):
    assert_refused(fn, np.array([0.3, 0.9]), construct=construct)


# ------------------------------------------------------------ match

ACTIVATION = "tanh"


class Point:
    __match_args__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y


ORIGIN_SHIFT = Point(0.5, 2.0)


def match_literal_on_constant(x, mode="relu"):
    match mode:
        case "tanh":
            y = np.tanh(x)
        case "relu":
            y = np.maximum(x, 0.0)
        case _:
            y = x
    return np.sum(y)


def match_global_with_return(x):
    match ACTIVATION:
        case "relu" | "leaky":
            return np.sum(np.maximum(x, 0.0))
        case "tanh":
            return np.sum(np.tanh(x))
    return np.sum(x)


def match_capture_and_guard(x, n=3):
    match n:
        case 0:
            return 0.0
        case k if k > 2:
            y = x * k
        case k:
            y = x - k
    return np.sum(y * y)


def match_value_pattern(x, axis=0):
    match axis:
        case np.newaxis:
            y = x
        case 0:
            y = np.cumsum(x)
    return np.sum(y * y)


def match_sequence_of_arrays(x):
    pair = (x, np.sin(x))
    match pair:
        case (a, b):
            y = a * b
        case _:
            y = x
    return np.sum(y)


def match_sequence_star(x):
    parts = [x, x * 2.0, x * 3.0, np.cos(x)]
    match parts:
        case [first, *middle, last]:
            y = first * last + sum(middle)
    return np.sum(y)


SHAPE = (3, 2)
SCALE = 3


def match_shape_constant(x):
    match SHAPE:
        case (n,):
            y = x * n
        case (n, m):
            y = x * n + m
        case _:
            y = x
    return np.sum(y)


def match_mapping(x):
    config = {"scale": 2.0, "offset": x}
    match config:
        case {"scale": s, **rest}:
            y = x * s + rest["offset"]
        case _:
            y = x
    return np.sum(y)


def match_class_pattern(x):
    match ORIGIN_SHIFT:
        case Point(0.0, y=b):
            z = x * b
        case Point(a, b):
            z = (x - a) * b
    return np.sum(z ** 2)


def match_builtin_class_pattern(x):
    match SCALE:
        case float(s):
            y = x * s
        case int(s) if s > 1:
            y = x * (s + 0.5)
        case _:
            y = x
    return np.sum(y)


def match_none_singleton(x, weight=None):
    match weight:
        case None:
            y = x
        case w:
            y = x * w
    return np.sum(y)


def match_runtime_scalar(x):
    s = np.round(np.sum(x))
    match s:
        case 0.0:
            y = x
        case 1.0 | 2.0:
            y = x * 2.0
        case 3.0:
            return np.sum(np.sin(x))
        case _:
            y = x * x
    return np.sum(y)


def match_runtime_with_capture_and_guard(x):
    s = np.round(np.sum(x))
    match s:
        case 0.0:
            y = x
        case v if v > 2.0:
            y = x * v
        case v:
            y = x - v
    return np.sum(y * y)


def match_in_loop(x):
    acc = 0.0
    for k in range(4):
        match k % 3:
            case 0:
                acc = acc + np.sum(x)
            case 1:
                acc = acc + np.sum(x * x)
            case _:
                acc = acc * 0.5
    return acc


def match_runtime_with_break_and_continue(x):
    acc = 0.0
    for v in x:
        match np.round(v):
            case -1.0:
                continue
            case 3.0:
                break
        acc = acc + v * v
    return acc


def match_runtime_falling_through_to_code_after(x):
    match np.round(np.sum(x)):
        case 1.0:
            return np.sum(x)
        case 2.0:
            x = x * 2.0
    return np.sum(x * x)


def match_runtime_in_loop(x):
    acc = 0.0
    for v in x:
        match np.sign(v):
            case 1.0:
                acc = acc + v * v
            case -1.0:
                acc = acc - v
            case _:
                acc = acc + 1.0
    return acc


def _match_helper(a, kind):
    match kind:
        case "square":
            return a * a
        case "exp":
            return np.exp(a)
    return a


def match_in_helper(x):
    return np.sum(_match_helper(x, "square") + _match_helper(x, "exp") + _match_helper(x, "?"))


@pytest.mark.parametrize("fn", [
    match_literal_on_constant, match_global_with_return, match_capture_and_guard,
    match_value_pattern, match_sequence_of_arrays, match_sequence_star, match_shape_constant,
    match_mapping, match_class_pattern, match_builtin_class_pattern, match_none_singleton,
    match_runtime_scalar, match_runtime_with_capture_and_guard, match_in_loop,
    match_runtime_in_loop, match_in_helper, match_runtime_with_break_and_continue,
    match_runtime_falling_through_to_code_after,
])
@pytest.mark.parametrize("x", [[0.3, 0.9, 1.4], [0.1, 0.2, 0.1], [1.3, -0.4, 0.2],
                               [0.6, 0.6, 0.7], [-0.3, 0.1, -0.1], [0.5, -0.8, 3.1, 2.0]])
def test_match(fn, x):
    assert_right(fn, np.array(x))


@pytest.mark.parametrize("mode", ["tanh", "relu", "other"])
def test_match_on_each_constant(mode):
    sg_fn = sg.graph(match_literal_on_constant)
    x = np.array([0.3, -0.9, 1.4])
    np.testing.assert_allclose(sg_fn(x, mode), match_literal_on_constant(x, mode))
    check_grads(match_literal_on_constant, x, mode, wrt=0, order=1)


def match_sequence_on_runtime_value(x):
    match x:
        case [a, b]:  # ERR
            return np.sum(a * b)
    return np.sum(x)


def match_class_on_runtime_value(x):
    s = np.sum(x)
    match s:
        case float():  # ERR
            return s
    return s * 2.0


def match_mapping_on_runtime_value(x):
    match x:
        case {"a": a}:  # ERR
            return np.sum(a)
    return np.sum(x)


def match_or_binding_on_runtime_value(x):
    s = np.sum(x)
    match (s, 1.0):
        case (1.0, v) | (v, 2.0):  # ERR
            return v
    return s


@pytest.mark.parametrize("fn, construct", [
    (match_sequence_on_runtime_value, "sequence pattern"),
    (match_class_on_runtime_value, "class pattern float"),
    (match_mapping_on_runtime_value, "mapping pattern"),
    (match_or_binding_on_runtime_value, "or-pattern"),
])
def test_match_refused(fn, construct):
    assert_refused(fn, np.array([0.3, 0.9]), construct=construct)


# ------------------------------------------------------------ with

import contextlib  # noqa: E402
import warnings  # noqa: E402


def with_errstate_ignore(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(x)
        z = np.where(np.isfinite(y), y, 0.0)
    return np.sum(z * x)


def with_errstate_return(x):
    with np.errstate(all="raise"):
        return np.sum(np.log(x) * x)


def with_errstate_in_loop(x):
    acc = 0.0
    for t in x:
        with np.errstate(over="ignore"):
            acc = acc + np.exp(t) * t
    return acc


def with_errstate_in_branch(x):
    if np.sum(x) > 1.0:
        with np.errstate(all="ignore"):
            y = np.sqrt(x) * x
    else:
        y = x * x
    return np.sum(y)


def with_two_managers_and_a_list(x):
    parts = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        parts.append(np.sin(x))
        parts.append(np.log(x))
    return np.sum(parts[0] * parts[1])


def with_tuple_and_list_built_inside(x):
    with np.errstate(all="ignore"):
        pair = (np.log(x), x * 2.0)
        same = [pair[0], pair[0]]
    return np.sum(pair[0] * pair[1]) + np.sum(same[1])


def with_printoptions(x):
    with np.printoptions(precision=3):
        y = x * 2.0
        print(y)
    return np.sum(y * y)


def _with_helper(a):
    with np.errstate(under="ignore"):
        b = np.exp(-a * a)
    return b


def with_in_helper(x):
    return np.sum(_with_helper(x) * x)


@pytest.mark.parametrize("fn", [
    with_errstate_ignore, with_errstate_return, with_errstate_in_loop,
    with_errstate_in_branch, with_two_managers_and_a_list, with_tuple_and_list_built_inside,
    with_printoptions,
    with_in_helper,
])
def test_with(fn, capsys):
    assert_right(fn, np.array([0.3, 0.9, 1.4]))
    assert_right(fn, np.array([0.2, 0.1, 0.4]))


def test_with_errstate_raise_raises_as_python_does_and_restores_the_state():
    x = np.array([1.0, 0.0])
    before = np.geterr()
    with pytest.raises(FloatingPointError):
        with_errstate_return(x)
    for run in (sg.graph(with_errstate_return), sg.grad(with_errstate_return),
                sg.value_and_grad(with_errstate_return)):
        with pytest.raises(FloatingPointError):
            run(x)
        assert np.geterr() == before


def test_with_errstate_ignore_stays_silent():
    x = np.array([1.0, 0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # any RuntimeWarning would raise
        expected = with_errstate_ignore(x)
        assert sg.graph(with_errstate_ignore)(x) == expected
        sg.grad(with_errstate_ignore)(x)


def test_with_is_kept_in_the_generated_source():
    source = sg.grad(with_errstate_ignore).source
    assert source.count("with np.errstate(divide='ignore', invalid='ignore'):") == 2, source


def with_unknown_manager(x):
    with contextlib.suppress(ValueError):  # ERR
        y = x * 2.0
    return np.sum(y)


def with_as(x):
    with np.errstate(all="ignore") as state:  # ERR
        y = x * 2.0
    return np.sum(y), state


def with_return_in_the_middle(x):
    with np.errstate(all="ignore"):
        if np.sum(x) > 0.0:
            return np.sum(x)  # ERR
        y = x * 2.0
    return np.sum(y)


def with_computed_argument(x, mode="ignore"):
    with np.errstate(all=mode):  # ERR
        y = x * 2.0
    return np.sum(y)


def with_return_in_loop(x):
    for t in x:
        with np.errstate(all="ignore"):
            return t * 2.0  # ERR
    return 0.0


@pytest.mark.parametrize("fn, construct", [
    (with_unknown_manager, "contextlib.suppress"),
    (with_as, "as"),
    (with_return_in_the_middle, "return"),
    (with_computed_argument, "literals"),
    (with_return_in_loop, "return"),
])
def test_with_refused(fn, construct):
    assert_refused(fn, np.array([0.3, 0.9]), construct=construct)


# ------------------------------------------------------------ recursion

def _power(x, n):
    if n == 0:
        return 1.0
    return x * _power(x, n - 1)  # RECURSES


def recursion_fixed_by_a_literal(x):
    return np.sum(_power(x, 3))


DEPTH = 4


def _tree(x, depth):
    if depth == 0:
        return np.sin(x)
    left = _tree(x * 0.5, depth - 1)
    right = _tree(x + 0.1, depth - 1)
    return left * right + x


def recursion_two_calls_fixed_by_a_global(x):
    return np.sum(_tree(x, DEPTH))


def _layers(h, sizes):
    if not sizes:
        return h
    first, *rest = sizes
    return _layers(np.tanh(h * first), rest)


def recursion_over_a_constant_tuple(x):
    return np.sum(_layers(x, (0.5, 2.0, 1.5)))


def recursion_in_a_nested_def(x):
    def fact_like(v, k):
        return v if k <= 1 else v * fact_like(v + 1.0, k - 1)
    return np.sum(fact_like(x, 4))


def recursion_in_loop_and_branch(x, flag=True):
    acc = 0.0
    for k in (0, 1, 2):
        if flag:
            acc = acc + np.sum(_power(x, k))
    return acc


@pytest.mark.parametrize("fn", [
    recursion_fixed_by_a_literal, recursion_two_calls_fixed_by_a_global,
    recursion_over_a_constant_tuple, recursion_in_a_nested_def, recursion_in_loop_and_branch,
])
def test_recursion_unrolled(fn):
    assert_right(fn, np.array([0.3, 0.9, 1.4]))


def _halve_until_small(x):
    if np.sum(x * x) < 1.0:
        return x
    return _halve_until_small(x * 0.5)  # ERR


def recursion_on_a_runtime_value(x):
    return np.sum(_halve_until_small(x))


def _fib(x, n):
    if n < 2:
        return x
    return _fib(x, n - 1) + _fib(x, n - 2)  # ERR


def recursion_on_a_runtime_argument(x, n=6):
    return np.sum(_fib(x, n))


def recursion_in_a_runtime_loop(x):
    acc = 0.0
    for k in range(3):
        acc = acc + np.sum(_power(x, k))
    return acc


@pytest.mark.parametrize("fn, helper, marker", [
    (recursion_on_a_runtime_value, _halve_until_small, "# ERR"),
    (recursion_on_a_runtime_argument, _fib, "# ERR"),
    (recursion_in_a_runtime_loop, _power, "# RECURSES"),
])
def test_recursion_on_runtime_values_refused(fn, helper, marker):
    err = assert_refused(fn, np.array([0.3, 0.9]), construct="recursive call to", at=helper,
                         marker=marker)
    assert "depth must be fixed by constants" in str(err)
    assert len(getattr(err, "__notes__", ())) <= 1, err.__notes__     # not one per level


def recursion_just_past_the_limit(x):
    return np.sum(_power(x, MAX_RECURSION_DEPTH + 1))


def recursion_at_the_limit(x):
    return np.sum(_power(x, MAX_RECURSION_DEPTH - 1) * x)


def test_recursion_limit_past_which_it_is_refused():
    with pytest.raises(sg.TransformError, match="deeper than"):
        sg.graph(recursion_just_past_the_limit)(np.ones(2))
    x = np.array([1.01, 0.99])
    np.testing.assert_allclose(sg.grad(recursion_at_the_limit)(x),
                               MAX_RECURSION_DEPTH * x ** (MAX_RECURSION_DEPTH - 1))


# ------------------------------------------------------------ audited forms

MODES = ("sum", "mean")


def membership_on_a_runtime_value(x, mode="mean"):
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"unknown mode {mode!r}")
    if mode in MODES:
        return np.sum(x) if mode == "sum" else np.mean(x * x)
    return np.max(x)


def membership_of_a_runtime_scalar(x):
    k = np.round(np.sum(x))
    scale = 2.0 if k in [1.0, 2.0, 3.0] else 0.5
    return np.sum(x) * scale + (k not in {4.0: "a", 5.0: "b"})


def assert_with_messages(x):
    assert x.shape == (3,), f"expected 3 items, got {x.shape}"
    assert np.all(np.isfinite(x)), f"not finite: {np.sum(x):.3f}"
    return np.sum(x * x)


def fstring_format_specs(x):
    s = np.sum(x)
    print(f"{s:.3f}|{s!r:>30}|{len(x):04d}|{x.shape}|{'tag':^7}", sep=" ", end="~\n")
    return s * 2.0


def print_with_sep_and_end(x):
    print(np.sum(x), x[0], "done", sep=" | ", end="!\n")
    return np.sum(x * x)


def lambda_default_bound_at_definition(x):
    k = 3.0
    f = lambda v, c=k: v * c        # noqa: E731
    k = 5.0
    return np.sum(f(x)) + k


def chained_comparisons(x):
    s = np.sum(x)
    inside = 0.0 < s < 10.0
    y = x * s if inside else x
    return np.sum(np.where((0.5 < x) & (x <= 1.3), y, 0.0))


def star_arguments_of_known_tuples(x):
    args = (x, 2.0)
    shape = (3,)
    return np.sum(np.power(*args)) + np.sum(np.reshape(x, *[shape])) + np.sum(np.stack([*[x, x]]))


GAIN = 1.5


def isinstance_and_type_on_constants(x):
    y = x * GAIN if isinstance(GAIN, float) and type(GAIN) is float else x
    if isinstance(MODES, tuple):
        y = y * len(MODES)
    return np.sum(y)


def raise_in_a_runtime_branch(x):
    if np.sum(x) < 0.0:
        raise ValueError(f"negative sum {np.sum(x)}")
    return np.sum(x * x)


@pytest.mark.parametrize("fn", [
    membership_on_a_runtime_value, membership_of_a_runtime_scalar, assert_with_messages,
    fstring_format_specs, print_with_sep_and_end, lambda_default_bound_at_definition,
    chained_comparisons, star_arguments_of_known_tuples, isinstance_and_type_on_constants,
    raise_in_a_runtime_branch,
])
def test_audited_forms(fn, capsys):
    x = np.array([0.3, 0.9, 1.4])
    fn(x)
    printed = capsys.readouterr().out
    sg.graph(fn)(x)
    assert capsys.readouterr().out == printed
    assert_right(fn, x)
    assert_right(fn, np.array([0.1, 0.2, 0.1]))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_membership_per_mode(mode):
    x = np.array([0.3, -0.9, 1.4])
    assert sg.graph(membership_on_a_runtime_value)(x, mode) == \
        membership_on_a_runtime_value(x, mode)
    check_grads(membership_on_a_runtime_value, x, mode, wrt=0, order=1)
    with pytest.raises(ValueError, match="unknown mode 'min'"):
        sg.graph(membership_on_a_runtime_value)(x, "min")


@pytest.mark.parametrize("fn, exc, message", [
    (assert_with_messages, AssertionError, "expected 3 items, got (4,)"),
    (raise_in_a_runtime_branch, ValueError, "negative sum"),
])
def test_audited_errors_raise_as_python_does(fn, exc, message):
    x = -np.ones(4)
    with pytest.raises(exc) as expected:
        fn(x)
    with pytest.raises(exc) as got:
        sg.graph(fn)(x)
    # (pytest rewrites this file's asserts: Python's message gets pytest's explanation)
    assert str(got.value).startswith(message) and str(expected.value).startswith(message)


def membership_in_a_runtime_array(x):
    return np.sum(x) if 0.9 in x else 0.0


def test_membership_in_a_runtime_array_is_pythons():
    # (the test is exact equality: central differences would leave the branch)
    for x, found in ((np.array([0.3, 0.9]), True), (np.array([0.3, 0.4]), False)):
        assert sg.graph(membership_in_a_runtime_array)(x) == membership_in_a_runtime_array(x)
        dx = sg.grad(membership_in_a_runtime_array)(x)
        assert np.array_equal(dx, np.ones(2) if found else np.zeros(2))


def augmented_attribute(x):
    HOLDER.total += np.sum(x)  # ERR
    return np.sum(x)


class _Holder:
    total = 0.0


HOLDER = _Holder()


def uses_global_statement(x):
    global GAIN  # ERR
    GAIN = 2.0
    return np.sum(x) * GAIN


@pytest.mark.parametrize("fn, construct", [
    (augmented_attribute, "attribute"),
    (uses_global_statement, "global"),       # nonlocal: tests/test_errors.py
])
def test_audited_refusals(fn, construct):
    assert_refused(fn, np.array([0.3, 0.9]), construct=construct)


def walrus_late_in_a_chained_comparison(x):
    c = 1.0
    s = np.sum(x)
    inside = 0.0 < s < (c := 10.0)  # ERR
    return s * c if inside else s


def test_walrus_late_in_a_chained_comparison_is_refused():
    assert_refused(walrus_late_in_a_chained_comparison, np.array([0.3, 0.9]), construct=":=")


def walrus_early_in_a_chained_comparison(x):
    s = np.sum(x)
    inside = 0.0 < (t := s * 2.0) < 10.0
    return t * 3.0 if inside else t


def test_walrus_early_in_a_chained_comparison():
    assert_right(walrus_early_in_a_chained_comparison, np.array([0.3, 0.9]))
    assert_right(walrus_early_in_a_chained_comparison, np.array([3.0, 4.9]))


def walrus_not_reached_in_a_chained_comparison(x):
    c = 1.0
    inside = 0 < 5 < 3 < (c := 10.0)
    return np.sum(x) * c + inside


def test_walrus_not_reached_in_a_chained_comparison_binds_nothing():
    assert_right(walrus_not_reached_in_a_chained_comparison, np.array([0.3, 0.9]))


class _ReprInjects(str):
    def __repr__(self):
        return "__import__('os').system('touch INJECTED')"


IGNORE = _ReprInjects("ignore")


def with_argument_of_a_str_subclass(x):
    with np.errstate(all=IGNORE):  # ERR
        y = x * 2.0
    return np.sum(y)


def test_with_argument_of_a_str_subclass_is_refused():
    assert_refused(with_argument_of_a_str_subclass, np.array([0.3]), construct="literals")


def test_transform_error_survives_pickle_and_copy():
    import copy
    import pickle
    err = assert_refused(refused_with_open, np.ones(3), construct="with")
    for clone in (pickle.loads(pickle.dumps(err)), copy.copy(err)):
        assert type(clone) is sg.TransformError
        assert str(clone) == str(err) and clone.msg == err.msg
        assert (clone.filename, clone.lineno, clone.text) == (err.filename, err.lineno, err.text)
        assert getattr(clone, "__notes__", None) == getattr(err, "__notes__", None)


def match_on_a_runtime_shape(x):
    match x.shape:
        case (n,):
            y = x * n
        case (n, 3):
            y = x.sum(axis=1) * n
        case (n, m) if m > 1:
            y = np.sum(x, axis=0) * (n + m)
        case _:
            y = x
    return np.sum(y * y)


def match_on_np_shape_in_a_helper(x):
    return _shape_kind(x) + _shape_kind(x.T)


def _shape_kind(a):
    match np.shape(a):
        case (2, k):
            return np.sum(a[0]) * k
        case shape:
            return np.sum(a) * len(shape)


@pytest.mark.parametrize("fn", [match_on_a_runtime_shape, match_on_np_shape_in_a_helper])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 2), (2, 1), (2, 2, 2)])
def test_match_on_a_runtime_shape(fn, shape):
    x = np.linspace(0.1, 1.7, int(np.prod(shape))).reshape(shape)
    assert_right(fn, x)


def match_star_on_a_runtime_shape(x):
    match x.shape:
        case (n, *rest):  # ERR
            return np.sum(x) * n
    return np.sum(x)


def test_match_star_on_a_runtime_shape_is_refused():
    assert_refused(match_star_on_a_runtime_shape, np.ones(3), construct="*rest")
