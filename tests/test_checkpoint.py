"""sg.checkpoint: a helper whose forward the reverse pass computes again.

The gradient through a checkpointed helper equals the plain one (and central
differences); the generated adjoint shows the recomputation under a comment
naming the helper and the call; a loop calling it keeps only each iteration's
inputs, which tracemalloc measures against the plain loop.
"""
import gc
import inspect
import pathlib
import re
import runpy

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_memory import peak_bytes


@sg.checkpoint
def block(h, x, W):
    z = W @ h + x
    a = np.tanh(z)
    return a * a + 0.5 * h


_block = block.python_function


@sg.checkpoint
def block_dot(h, x, W):
    a = np.tanh(np.dot(W, h) + x)
    return a * a + 0.5 * h


@sg.checkpoint
def two_results(h, W):
    a = np.sin(W @ h)
    return a, np.exp(-a * h)


@sg.checkpoint
def branchy(h, W):
    if np.sum(h) > 0:
        return np.tanh(W @ h)
    return np.sin(W @ h) * h


@sg.checkpoint
def with_loop(h, W):
    for _ in range(3):
        h = np.tanh(W @ h)
    return h


@sg.checkpoint
def outer_block(h, x, W):
    return block(np.cos(h), x, W) * 2.0


@sg.checkpoint
def from_params(h, x, params):
    return np.tanh(params['W'] @ h + params['b'] + x)


@sg.checkpoint
def random_block(h):
    return h * np.random.normal(size=h.shape)


# ---- programs, each with its plain twin ---------------------------------------------

def rnn_range(W, xs, h):
    for t in range(xs.shape[0]):
        h = block(h, xs[t], W)
    return np.sum(h ** 2)


def rnn_range_plain(W, xs, h):
    for t in range(xs.shape[0]):
        h = _block(h, xs[t], W)
    return np.sum(h ** 2)


def rnn_for_in(W, xs, h):
    for x in xs:
        h = block_dot(h, x=x, W=W)
    return np.sum(h * h)


def rnn_for_in_plain(W, xs, h):
    for x in xs:
        h = block_dot.python_function(h, x=x, W=W)
    return np.sum(h * h)


def rnn_len(W, xs, h):
    for t in range(len(xs)):
        h = block(h, xs[t], W)
    return np.sum(np.sin(h))


def rnn_len_plain(W, xs, h):
    for t in range(len(xs)):
        h = _block(h, xs[t], W)
    return np.sum(np.sin(h))


def straight(W, xs, h):
    h = block(h, xs[0], W)
    h = block(h, xs[1], W)
    return np.sum(h ** 3)


def straight_plain(W, xs, h):
    h = _block(h, xs[0], W)
    h = _block(h, xs[1], W)
    return np.sum(h ** 3)


def tuple_out(W, xs, h):
    a, b = two_results(h, W)
    return np.sum(a * b) + np.sum(xs)


def tuple_out_plain(W, xs, h):
    a, b = two_results.python_function(h, W)
    return np.sum(a * b) + np.sum(xs)


def branch_in_loop(W, xs, h):
    for t in range(xs.shape[0]):
        if t % 2 == 0:
            h = branchy(h, W) + xs[t]
        else:
            h = block(h, xs[t], W)
    return np.sum(h ** 2)


def branch_in_loop_plain(W, xs, h):
    for t in range(xs.shape[0]):
        if t % 2 == 0:
            h = branchy.python_function(h, W) + xs[t]
        else:
            h = _block(h, xs[t], W)
    return np.sum(h ** 2)


def inner_loop(W, xs, h):
    return np.sum(with_loop(h, W) * xs[0])


def inner_loop_plain(W, xs, h):
    return np.sum(with_loop.python_function(h, W) * xs[0])


def nested(W, xs, h):
    for x in xs:
        h = outer_block(h, x, W)
    return np.sum(h ** 2)


def nested_plain(W, xs, h):
    for x in xs:
        h = np.tanh(W @ np.cos(h) + x) ** 2 * 2.0 + 0.5 * np.cos(h) * 2.0
    return np.sum(h ** 2)


def with_dict(W, xs, h):
    params = {'W': W, 'b': xs[0]}
    for x in xs:
        h = from_params(h, x, params)
    return np.sum(h ** 2)


def with_dict_plain(W, xs, h):
    params = {'W': W, 'b': xs[0]}
    for x in xs:
        h = from_params.python_function(h, x, params)
    return np.sum(h ** 2)


@sg.checkpoint
def loop_then_branch(W, x, h, t):
    for _ in range(2):
        h = np.tanh(W @ h + x)
    if t % 3 != 0:
        h = h * 1.1
    return h


def inner_loop_and_branch(W, xs, h):
    for t in range(xs.shape[0]):
        h = loop_then_branch(W, xs[t], h, t)
    return np.sum(h ** 2)


PAIRS = [(rnn_range, rnn_range_plain), (rnn_for_in, rnn_for_in_plain),
         (rnn_len, rnn_len_plain), (straight, straight_plain), (tuple_out, tuple_out_plain),
         (branch_in_loop, branch_in_loop_plain), (inner_loop, inner_loop_plain),
         (nested, nested_plain), (with_dict, with_dict_plain)]


def _args(seed=0, n=4, steps=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) * 0.5, rng.normal(size=(steps, n)), rng.normal(size=n)


# ---- the plain function outside a transform ---------------------------------------

def test_called_outside_a_transform_it_is_the_plain_function():
    W, xs, h = _args()
    np.testing.assert_array_equal(block(h, xs[0], W), _block(h, xs[0], W))
    assert block.__name__ == 'block' and block.__wrapped__ is _block
    assert sg.checkpoint(block).python_function is _block


def test_only_functions_are_checkpointed():
    with pytest.raises(TypeError, match='s2sgrad.checkpoint expects a Python function'):
        sg.checkpoint(3)


def test_grad_of_a_checkpointed_function_itself_is_its_gradient():
    W, xs, h = _args()
    f = sg.checkpoint(rnn_range_plain)
    np.testing.assert_allclose(sg.grad(f)(W, xs, h), sg.grad(rnn_range_plain)(W, xs, h))


# ---- gradients ------------------------------------------------------------------

@pytest.mark.parametrize('f, plain', PAIRS, ids=[f.__name__ for f, _ in PAIRS])
def test_gradient_equals_the_plain_one(f, plain):
    for seed in (0, 1):
        W, xs, h = _args(seed)
        got = sg.grad(f, wrt=(0, 1, 2))(W, xs, h)
        want = sg.grad(plain, wrt=(0, 1, 2))(W, xs, h)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('f', [f for f, _ in PAIRS], ids=[f.__name__ for f, _ in PAIRS])
def test_gradient_matches_central_differences(f):
    # (first order: the plain function has no second order through a loop yet)
    check_grads(f, *_args(2), wrt=(0, 1, 2), order=1 if f not in (straight, tuple_out) else 2)


def test_an_inner_loop_then_a_branch():
    # (the plain loop kept h after the branch on its tape where its reverse loop
    # needs h after the inner loop: tests/test_loop_tapes.py; checkpointed,
    # nothing of the body is taped)
    check_grads(inner_loop_and_branch, *_args(3, steps=10), wrt=(0, 1, 2), order=1)


def test_value_and_grad_and_gradients_in_a_graph():
    W, xs, h = _args()
    value, g = sg.value_and_grad(rnn_range)(W, xs, h)
    assert value == pytest.approx(rnn_range_plain(W, xs, h))
    np.testing.assert_allclose(g, sg.grad(rnn_range_plain)(W, xs, h), rtol=1e-12)

    @sg.graph
    def in_graph(W, xs, h):
        return sg.gradients(rnn_range(W, xs, h), [W])[0]

    np.testing.assert_allclose(in_graph(W, xs, h), g, rtol=1e-12)


def test_second_order_where_the_plain_function_has_it():
    W, xs, h = _args()
    first, first_plain = sg.grad(straight, wrt=2), sg.grad(straight_plain, wrt=2)

    def scalar(W, xs, h):
        return np.sum(first(W, xs, h) ** 2)

    def scalar_plain(W, xs, h):
        return np.sum(first_plain(W, xs, h) ** 2)

    np.testing.assert_allclose(first(W, xs, h), first_plain(W, xs, h), rtol=1e-12)
    for wrt in (0, 2):
        np.testing.assert_allclose(sg.grad(scalar, wrt=wrt)(W, xs, h),
                                   sg.grad(scalar_plain, wrt=wrt)(W, xs, h), rtol=1e-10)
    check_grads(straight, W, xs, h, wrt=2, order=3)
    check_grads(tuple_out, W, xs, h, wrt=0, order=2)


def test_second_order_through_a_loop_as_for_the_plain_function():
    W, xs, h = _args()
    first, first_plain = sg.grad(rnn_range), sg.grad(rnn_range_plain)

    def scalar(W):
        return np.sum(first(W, xs, h))

    def scalar_plain(W):
        return np.sum(first_plain(W, xs, h))

    np.testing.assert_allclose(sg.grad(scalar)(W), sg.grad(scalar_plain)(W), rtol=1e-10)
    check_grads(scalar, W, order=1)


# ---- the generated source --------------------------------------------------------

def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, line in enumerate(lines) if text in line)


def test_the_adjoint_recomputes_the_helper_under_a_comment():
    src = sg.grad(rnn_range).source
    line = _line_of(rnn_range, 'h = block(')
    comment = f'# recompute block (test_checkpoint.py:{line}), checkpointed'
    assert src.count(comment) == 1
    forward, adjoint = src.split('# ---- grad of rnn_range')
    assert comment in adjoint
    # the forward loop tapes the state only; the plain one tapes the block's insides
    assert re.findall(r'(_tape\w*)\.append', forward) == ['_tape_h']
    plain = sg.grad(rnn_range_plain).source.split('# ---- grad of')[0]
    assert len(re.findall(r'_tape\w*\.append', plain)) > 1


def test_a_straight_call_is_recomputed_too():
    src = sg.grad(straight).source
    assert src.count('# recompute block (test_checkpoint.py:') == 2


# ---- refusals --------------------------------------------------------------------

def test_random_numbers_inside_a_checkpointed_helper_are_refused_at_their_line():
    def f(h):
        return np.sum(random_block(h) ** 2)

    with pytest.raises(sg.TransformError) as info:
        sg.grad(f)(np.ones(3))
    line = _line_of(random_block.python_function, 'np.random.normal')
    assert f'test_checkpoint.py:{line}' in str(info.value)
    assert 'draws random numbers' in str(info.value)


# ---- memory ----------------------------------------------------------------------

@sg.checkpoint
def wide(h, x, W):
    A = np.tanh(np.outer(h, x) + W)         # (N, N) intermediates, three per step
    B = A * A
    return np.sin(B @ h) * 0.1 + 0.9 * h


_wide = wide.python_function


def long_loop(W, xs, h):
    for t in range(xs.shape[0]):
        h = wide(h, xs[t], W)
    return np.sum(h ** 2)


def long_loop_plain(W, xs, h):
    for t in range(xs.shape[0]):
        h = _wide(h, xs[t], W)
    return np.sum(h ** 2)


@pytest.mark.parametrize('n, steps, ratio', [(48, 1000, 0.1), (16, 10000, 0.15)])
def test_a_long_checkpointed_loop_keeps_only_its_inputs(n, steps, ratio):
    # measured: 0.74 MB against 20.5 MB (1/27) for 1,000 steps of (48, 48)
    # intermediates; 2.5 MB against 33.7 MB (1/13) for 10,000 steps of (16, 16)
    rng = np.random.default_rng(0)
    W, xs, h = rng.normal(size=(n, n)) * 0.1, rng.normal(size=(steps, n)) * 0.1, \
        rng.normal(size=n)
    g, g_plain = sg.grad(long_loop), sg.grad(long_loop_plain)
    np.testing.assert_allclose(g(W, xs, h), g_plain(W, xs, h), rtol=1e-12, atol=1e-14)
    gc.collect()
    checkpointed, plain = peak_bytes(g, W, xs, h), peak_bytes(g_plain, W, xs, h)
    # plain: the block's (n, n) intermediates of every step; checkpointed: a state
    # (n floats) a step, and one step's intermediates at a time
    assert plain > steps * n * n * 8
    assert checkpointed < ratio * plain, (checkpointed, plain)
    assert checkpointed < steps * (n * 8 + 200) + 20 * n * n * 8


# ---- the docs ----------------------------------------------------------------------

def test_the_docs_section_runs(tmp_path):
    page = (pathlib.Path(__file__).parent.parent / 'docs' / 'derivatives.md').read_text()
    section = re.split(r'^## ', page, flags=re.M)
    (section,) = [s for s in section if s.startswith('Checkpointing\n')]
    blocks = re.findall(r'^```python\n(.*?)^```$', section, re.S | re.M)
    assert blocks
    program = tmp_path / 'section.py'
    program.write_text('\n\n'.join(blocks))
    runpy.run_path(str(program), run_name='docs_derivatives')
