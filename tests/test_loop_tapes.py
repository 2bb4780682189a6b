"""Loops in a call's specialisation: every spelling of a loop gives the code of
`for x in xs`, and a loop saves each value it carries once.

The bench's RNN (bench/workloads.py) written with `for x in xs`, `for i in
range(len(xs))` and `xs[i]`, a helper cell, or `while i < n` with an int
counter: shapes are known in each spelling's body (an int counter indexes a
known shape), the for spellings run the same adjoint, and the reverse loop
reads a carried value before and after a step from one tape.
"""
import re

import numpy as np
import pytest

import bench_workloads
import s2sgrad as sg
from s2sgrad.testing import check_grads
from test_spellings import normalised, specialised


BENCH = bench_workloads.load()
rnn_for, rnn_range, rnn_helper, rnn_while = (BENCH.rnn, BENCH.rnn_range, BENCH.rnn_helper,
                                             BENCH.rnn_while)


def rnn_inputs(rng, steps=5):
    """The bench's RNN, smaller; big enough (h: 96 elements) that the
    specialisation writes in place."""
    return BENCH.rnn_inputs(rng, steps=steps, batch=8, n_in=3, hidden=12, n_out=2)


RNN_LOOPS = (rnn_for, rnn_range, rnn_helper, rnn_while)
WRT = (0, 1, 2, 3)


def adjoint_part(source):
    """The gradient's half of a generated function (from its banner on), with
    each name renamed by its first appearance (`v0`, `v1`, ...), comments dropped."""
    start = source.rindex('\n', 0, source.index('# ---- grad of')) + 1
    return normalised('def f():\n' + source[start:])


@pytest.mark.parametrize('fn', RNN_LOOPS, ids=lambda fn: fn.__name__)
def test_every_loop_spelling_knows_its_shapes(fn):
    """Each spelling's body has known shapes: no value summed back at run time,
    products spelled with @ (an int counter `i` indexes `xs[i, :, :]` of a known shape)."""
    source = normalised(specialised(fn, rnn_inputs(np.random.default_rng(0)), WRT))
    assert '_sg_unbroadcast' not in source and '_sg_matmul' not in source, source
    assert 'np.matmul' not in source and 'np.dot' not in source, source


def test_the_for_spellings_run_the_same_adjoint():
    """`for x in xs`, `for i in range(len(xs))` with `xs[i]`, and a helper cell: the
    same reverse loop, which reads xs[i] again rather than saving it."""
    args = rnn_inputs(np.random.default_rng(0))
    sources = [specialised(fn, args, WRT) for fn in (rnn_for, rnn_range, rnn_helper)]
    first = adjoint_part(sources[0])
    for source in sources[1:]:
        assert adjoint_part(source) == first, source
    assert 'reversed(_range)' in sources[0] and '_tape_x' not in sources[0], sources[0]


def test_the_specialised_rnn_reads_as_numpy():
    """The array is walked as it is, the accumulators start as np.zeros_like, each
    term goes straight into its accumulator, and each user line is named once."""
    source = specialised(rnn_for, rnn_inputs(np.random.default_rng(0)), WRT)
    assert '_sg_iterable' not in source and '_sg_zeros_like' not in source, source
    for name in ('dW', 'dU', 'db'):
        assert re.search(rf'^\s*{name} \+= \S', source, re.M), source
        assert not re.search(rf'^\s*{name}_1 = ', source, re.M), source
    comments = re.findall(r'^\s*(# .*)$', source, re.M)
    assert len(comments) == len(set(comments)), source


def tape_lists(source):
    """The names of the tapes a generated function makes (`_tape_h = []`)."""
    return re.findall(r'^\s*(_tape\w*) = \[\]$', source, re.M)


@pytest.mark.parametrize('fn', RNN_LOOPS, ids=lambda fn: fn.__name__)
def test_a_carried_value_is_saved_once(fn):
    """h before a step and h after it come from one tape: the reverse loop carries
    the value after a step from the step after it."""
    source = specialised(fn, rnn_inputs(np.random.default_rng(0)), WRT)
    tapes = tape_lists(source)
    assert [name for name in tapes if name.startswith('_tape_h')] == ['_tape_h'], source
    assert source.count('.append(') == len(tapes), source


@pytest.mark.parametrize('steps', [0, 1, 7])
@pytest.mark.parametrize('fn', RNN_LOOPS, ids=lambda fn: fn.__name__)
def test_loops_of_zero_one_and_many_steps(fn, steps):
    args = rnn_inputs(np.random.default_rng(steps), steps=steps)
    before = [a.copy() for a in args]
    check_grads(fn, *args, wrt=WRT, order=1)
    value, grads = sg.value_and_grad(fn, wrt=WRT)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    for a, b in zip(args, before):          # nothing written into the arguments
        np.testing.assert_array_equal(a, b)


# ---- loops whose carried values are read and exit in other ways ----------------------

def breaks(W, xs, h):
    for x in xs:
        h = np.tanh(h @ W + x)
        if np.sum(h) > 1.0:
            break
    return np.sum(h * h)


def continues(W, xs, h):
    for x in xs:
        if np.sum(x) > 0.0:
            continue
        h = np.tanh(h @ W + x)
    return np.sum(h * h)


def while_breaks(W, xs, h):
    i = 0
    while i < xs.shape[0]:
        h = np.sin(h @ W) * h + xs[i]
        if np.sum(h) > 2.0:
            break
        i += 1
    return np.sum(h * h)


def nested(W, xs, h):
    for x in xs:
        for k in range(2):
            h = np.tanh(h @ W + x * k)
    return np.sum(h * h)


def many_reads(W, xs, h):
    for x in xs:
        h = h * np.sin(h) + np.tanh(h @ W) * h + x * h
    return np.sum(h * h)


def two_carried(W, xs, h):
    g = h * 0.5
    for x in xs:
        h, g = np.tanh(g @ W + x), h * g
    return np.sum(h * g)


def through_a_view(W, xs, h):
    for x in xs:
        h = np.tanh(h @ W + x)
        row = h[0]
        row *= 2.0
    return np.sum(h * h)


def float_counter(W, xs, h):
    t = 0.0
    while t < 0.35:
        h = h + 0.1 * np.tanh(h @ W) * h
        t += 0.1
    return np.sum(h * h) + np.sum(xs)


def written_after(W, xs, h):
    for x in xs:
        h = np.tanh(h @ W + x)
    h *= 2.0                        # (the loop's result, which the reverse loop reads)
    h[0] = h[1]
    return np.sum(h * h)


def next_read_again(W, xs, h):
    for x in xs:
        g = np.tanh(h @ W + x)
        h = g * np.cos(h) + np.sin(g)
    return np.sum(h * h)


EXITS = (breaks, continues, while_breaks, nested, many_reads, two_carried, through_a_view,
         float_counter, written_after, next_read_again)


def small_inputs(rng, steps):
    return (rng.normal(size=(12, 12)) * 0.3, rng.normal(size=(steps, 8, 12)) * 0.3,
            rng.normal(size=(8, 12)) * 0.3)


@pytest.mark.parametrize('steps', [0, 1, 6])
@pytest.mark.parametrize('fn', EXITS, ids=lambda fn: fn.__name__)
def test_loops_right_in_every_form(fn, steps):
    args = small_inputs(np.random.default_rng(steps), steps)
    before = [a.copy() for a in args]
    expected = fn(*[a.copy() for a in args])
    try:
        value, _ = sg.value_and_grad(fn, wrt=(0, 2))(*args)
    except sg.TransformError:
        return                               # refused at its line: allowed, never wrong
    assert value == pytest.approx(expected, rel=1e-12)
    check_grads(fn, *args, wrt=(0, 2), order=1)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


def cubic(q, v, k, n):
    i = 0
    while i < n:
        a = -k * q - 0.1 * q * q * q
        q, v = q + 0.01 * v, v + 0.01 * a
        i += 1
    return np.sum(q ** 2) + 0.5 * np.sum(v ** 2)


def test_products_of_saved_values_are_computed_again():
    """`0.1 * q * q * q` needs `0.1 * q` and `0.1 * q * q` in its adjoint: computed
    again from q (saved anyway), not saved each step."""
    args = (np.linspace(-1.0, 1.0, 70), np.linspace(0.5, -0.5, 70), 0.7, 5)
    source = specialised(cubic, args, (0, 1, 2))
    assert tape_lists(source) == ['_tape_q'], source
    for n in (0, 1, 5):
        check_grads(cubic, *args[:3], n, wrt=(0, 1, 2), order=1)


def damped(q, c, n):
    i = 0
    while i < n:
        q = q - 0.1 * c * q
        i += 1
    return np.sum(q * q)


@pytest.mark.parametrize('steps', [0, 1, 6])
def test_a_float_parameters_gradient_in_a_loop_starts_from_zero_point_zero(steps):
    """The gradient of a Python float summed over the steps of a loop starts from
    `0.0` in an array specialisation (no helper asking its type) and comes back a
    float, at any number of steps."""
    q = np.random.default_rng(steps).normal(size=5)
    g = sg.grad(damped, wrt=(0, 1))
    source = g.source_for(q, 0.3, steps)
    assert '_sg_zeros_like' not in source and re.search(r'\bdc\b.* = .*\b0\.0\b', source), source
    dq, dc = g(q, 0.3, steps)
    assert type(dc) is float
    check_grads(damped, q, 0.3, steps, wrt=(0, 1), order=1)
    assert dc == pytest.approx(-0.2 * steps * np.sum(q * q) * 0.97 ** (2 * steps - 1), abs=1e-12)


def cubes(q, k, n):
    i = 0
    while i < n:
        q = q - 0.01 * (k * q + 0.1 * q * q * q)
        i += 1
    return np.sum(q * q)


def monomials(x, y):
    return np.sum(x * y * x + 0.5 * x * x * y + np.sin(x) * y * x * 2.0 + x * x * x)


@pytest.mark.parametrize('fn, args', [
    (cubes, (np.linspace(-1.0, 1.0, 7), 0.7, 4)),
    (monomials, (np.linspace(-1.0, 1.0, 6), np.linspace(0.5, 2.0, 6))),
    (monomials, (np.linspace(-1.0, 1.0, 6).astype(np.float32),
                 np.linspace(0.5, 2.0, 6).astype(np.float32)))])
def test_equal_monomials_of_one_sum_are_one_term(fn, args):
    """The product rule of `0.1 * q * q * q` gives three terms `0.1 * q * q * d`: one
    term times 3 (a person's `0.3 * q * q`); `x * y * x` gives two of `x * y * d`
    and `0.5 * x * x * y` two of `0.5 * x * y * d`, which differ in their factor:
    not merged with the others.  Right, and in the argument's dtype."""
    source = sg.grad(fn, wrt=(0, 1)).source_for(*args)
    assert '* 3' in source or '* 2' in source, source
    dx, dy = sg.grad(fn, wrt=(0, 1))(*args)
    assert dx.dtype == args[0].dtype
    if args[0].dtype == np.float64:
        check_grads(fn, *args, wrt=(0, 1), order=1)


# ---- a taped value whose name a later statement of the step rebinds -----------------
def inner_loop_then_branch(W, xs, h):
    for t in range(xs.shape[0]):
        for _ in range(2):
            h = np.tanh(W @ h + xs[t])
        if t % 3 != 0:
            h = h * 1.1
    return np.sum(h ** 2)


def inner_loop_then_rebound(W, xs, h):
    for x in xs:
        for _ in range(2):
            h = np.tanh(W @ h + x)
        h = 0.5 * h
    return np.sum(h ** 2)


@pytest.mark.parametrize('f, rebinding', [(inner_loop_then_branch, 'h = h * 1.1'),
                                          (inner_loop_then_rebound, 'h = 0.5 * h')])
def test_a_value_is_taped_before_its_name_is_rebound(f, rebinding):
    # the tape pushed h at the end of the step, after `h = h * 1.1` had rebound the
    # name the inner loop's result is printed under: a silent wrong gradient
    rng = np.random.default_rng(3)
    W, xs, h = 0.5 * rng.standard_normal((3, 3)), rng.standard_normal((5, 3)), \
        rng.standard_normal(3)
    check_grads(f, W, xs, h, wrt=(0, 1, 2), order=1)
    source = sg.grad(f).source_for(W, xs, h)
    assert source.index('_tape_h.append(h)') < source.index(rebinding)
