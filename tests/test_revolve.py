"""`for t in sg.checkpointed(range(T), snapshots=s):` -- the loop's adjoint keeps at
most s states (the binomial / Revolve schedule, runtime/revolve.py) and runs steps
again from them: gradients equal to the plain loop's, recomputation within the
Revolve bound, peak memory bounded by the snapshot budget (tracemalloc)."""
import gc
import importlib.util
import inspect
import math

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.runtime import revolve
from s2sgrad.testing import check_grads

from test_memory import peak_bytes


# ---- the schedule ----------------------------------------------------------------

def _optimal(l, s, memo={}):
    """The fewest steps run again to reverse l steps with s states, by dynamic
    programming over the first split (independent of the closed form)."""
    if l <= 1:
        return 0
    if s == 1:
        return l * (l - 1) // 2
    if (l, s) not in memo:
        memo[l, s] = min(m + _optimal(l - m, s - 1) + _optimal(m, s) for m in range(1, l))
    return memo[l, s]


def _drive(steps, snapshots):
    """Run the protocol of the generated code with states that name their step."""
    schedule = revolve._sg_Revolve(steps, snapshots)
    for k, t in enumerate(steps):
        revolve._sg_revolve_offer(schedule, t, (k,))
    for k in reversed(range(len(steps))):
        t = steps[k]
        (state,) = revolve._sg_revolve_restore(schedule, t)
        for u in revolve._sg_revolve_advance(schedule, t):
            revolve._sg_revolve_offer(schedule, u, (state,))
            state += 1
        assert state == k
    return schedule


@pytest.mark.parametrize('snapshots', [1, 2, 3, 5])
def test_the_schedule_is_within_the_revolve_bound(snapshots):
    for n in range(1, 70):
        schedule = _drive(range(5, 5 + 3 * n, 3), snapshots)
        assert schedule.most_kept <= snapshots
        assert revolve._sg_revolve_cost(n, snapshots) == _optimal(n, snapshots)
        assert schedule.recomputed <= _optimal(n, snapshots)


def test_the_closed_form_is_griewanks():
    # r*l - C(s+r, r-1), r the least with C(s+r, s) >= l
    for s in range(1, 6):
        for l in range(2, 200):
            r = next(r for r in range(l + 1) if math.comb(s + r, s) >= l)
            assert revolve._sg_revolve_cost(l, s) == r * l - math.comb(s + r, r - 1)
            assert revolve._sg_binomial(s + r, s) == math.comb(s + r, s)


def test_a_long_schedule_is_cheap_to_plan():
    schedule = _drive(range(10000), 10)
    assert schedule.most_kept <= 10
    assert schedule.recomputed <= revolve._sg_revolve_cost(10000, 10)


def test_outside_a_transform_it_is_the_range():
    assert sg.checkpointed(range(3), snapshots=2) == range(3)
    with pytest.raises(ValueError, match='snapshots must be an int >= 1'):
        sg.checkpointed(range(3), snapshots=0)
    with pytest.raises(TypeError, match='loops over a range'):
        sg.checkpointed([1, 2], snapshots=2)


# ---- gradients ---------------------------------------------------------------------

@sg.checkpoint
def cell(h, x, W):
    return np.tanh(W @ h + x) * 0.5 + 0.5 * h


def by_shape(W, xs, h):
    for t in sg.checkpointed(range(xs.shape[0]), snapshots=3):
        h = np.tanh(W @ h + xs[t]) * 0.5 + 0.5 * h
    return np.sum(h ** 2)


def by_len(W, xs, h):
    for t in sg.checkpointed(range(len(xs)), 2):
        h = np.tanh(np.dot(W, h) + xs[t]) * 0.5 + 0.5 * h
    return np.sum(h ** 2)


def two_states(W, xs, h):
    c = h * 0.0
    for t in sg.checkpointed(steps=range(len(xs)), snapshots=2):
        c = c + np.sin(h)
        h = np.tanh(W @ h + xs[t] + 0.1 * c)
    return np.sum(h ** 2) + np.sum(c)


def strided(W, xs, h):
    for t in sg.checkpointed(range(1, len(xs), 2), snapshots=2):
        h = cell(h, xs[t] + xs[t - 1], W)
    return np.sum(np.sin(h))


def with_params(params, xs, h):
    for t in sg.checkpointed(range(xs.shape[0]), snapshots=4):
        h = np.tanh(params['W'] @ h + xs[t] + params['b'])
    return np.sum(h ** 2)


def many_snapshots(W, xs, h):
    for t in sg.checkpointed(range(xs.shape[0]), snapshots=50):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)


def one_snapshot(W, xs, h):
    for t in sg.checkpointed(range(xs.shape[0]), snapshots=1):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)


def plain_halves(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t]) * 0.5 + 0.5 * h
    return np.sum(h ** 2)


def plain_two_states(W, xs, h):
    c = h * 0.0
    for t in range(len(xs)):
        c = c + np.sin(h)
        h = np.tanh(W @ h + xs[t] + 0.1 * c)
    return np.sum(h ** 2) + np.sum(c)


def plain_strided(W, xs, h):
    for t in range(1, len(xs), 2):
        h = cell.python_function(h, xs[t] + xs[t - 1], W)
    return np.sum(np.sin(h))


def plain_tanh(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)


def inner_loop_and_continue(W, xs, h):
    for t in sg.checkpointed(range(xs.shape[0]), snapshots=3):
        for _ in range(2):
            h = np.tanh(W @ h + xs[t])
        if t % 3 == 0:
            continue
        h = h * 1.1
    return np.sum(h ** 2)


PAIRS = [(by_shape, plain_halves), (by_len, plain_halves), (two_states, plain_two_states),
         (strided, plain_strided), (many_snapshots, plain_tanh), (one_snapshot, plain_tanh)]


def _args(seed=0, n=4, steps=11):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) * 0.5, rng.normal(size=(steps, n)), rng.normal(size=n)


@pytest.mark.parametrize('fn, plain', PAIRS, ids=[f.__name__ for f, _ in PAIRS])
def test_gradient_equals_the_plain_loops(fn, plain):
    for steps in (1, 2, 3, 11, 40):
        W, xs, h = _args(steps=steps)
        assert fn(W, xs, h) == pytest.approx(plain(W, xs, h), rel=1e-14)
        got = sg.grad(fn, wrt=(0, 1, 2))(W, xs, h)
        want = sg.grad(plain, wrt=(0, 1, 2))(W, xs, h)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize('fn', [by_shape, two_states, strided, inner_loop_and_continue],
                         ids=lambda f: f.__name__)
def test_gradient_matches_central_differences(fn):
    check_grads(fn, *_args(1, steps=9), wrt=(0, 1, 2), order=1)


def test_parameters_in_a_dict():
    W, xs, h = _args()
    params = {'W': W, 'b': xs[0]}
    got = sg.grad(with_params)(params, xs, h)

    def plain(params, xs, h):
        for t in range(xs.shape[0]):
            h = np.tanh(params['W'] @ h + xs[t] + params['b'])
        return np.sum(h ** 2)

    want = sg.grad(plain)(params, xs, h)
    for k in params:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12)
    check_grads(with_params, params, xs, h, order=1)


# ---- the generated source -------------------------------------------------------

def test_the_source_shows_the_schedule():
    src = sg.grad(by_shape).source
    forward, adjoint = src.split('# ---- grad of')
    assert '_schedule = _sg_revolve(_range, 3)' in forward
    assert '_sg_revolve_offer(_schedule, t, (h,))' in forward
    assert '.append(' not in forward            # no tape
    assert '# recompute the state from the latest of 3 snapshots (test_revolve.py:' in adjoint
    assert 'for t_2 in _sg_revolve_advance(_schedule, t_1):' in adjoint
    assert '# recompute loop body (test_revolve.py:' in adjoint


def test_the_export_is_numpy_only(tmp_path):
    W, xs, h = _args()
    path = tmp_path / 'exported.py'
    sg.grad(by_shape, wrt=(0, 1, 2)).export(path)
    text = path.read_text()
    assert 'import s2sgrad' not in text and 'class _sg_Revolve' in text
    spec = importlib.util.spec_from_file_location('exported', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for g, w in zip(module.grad_by_shape(W, xs, h), sg.grad(by_shape, wrt=(0, 1, 2))(W, xs, h)):
        np.testing.assert_array_equal(g, w)


# ---- refusals ----------------------------------------------------------------------

def _line(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, line in enumerate(lines) if text in line)


def snapshots_at_run_time(W, xs, h, s):
    for t in sg.checkpointed(range(len(xs)), snapshots=s):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def returns(W, xs, h):
    for t in sg.checkpointed(range(len(xs)), snapshots=2):
        h = np.tanh(W @ h + xs[t])
        if np.sum(h) > 100.0:
            return np.sum(h)
    return np.sum(h)


def over_rows(W, xs, h):
    for x in sg.checkpointed(xs, snapshots=2):
        h = np.tanh(W @ h + x)
    return np.sum(h)


@pytest.mark.parametrize('fn, extra, text, message', [
    (snapshots_at_run_time, (3,), 'sg.checkpointed', 'must be an int >= 1 known when'),
    (returns, (), 'for t in', 'cannot return'),
    (over_rows, (), 'sg.checkpointed', 'loops over a range'),
], ids=['snapshots', 'return', 'rows'])
def test_refused_at_the_line(fn, extra, text, message):
    with pytest.raises(sg.TransformError, match=message) as info:
        sg.grad(fn)(*_args(), *extra)
    assert f'test_revolve.py:{_line(fn, text)}' in str(info.value)


def test_without_a_gradient_it_is_the_plain_loop():
    graph = sg.graph(by_shape)
    W, xs, h = _args()
    assert graph(W, xs, h) == pytest.approx(plain_halves(W, xs, h), rel=1e-14)
    assert '_sg_revolve' not in graph.source


# ---- recomputation and memory ----------------------------------------------------------

def test_the_generated_code_recomputes_within_the_bound(monkeypatch):
    made = []
    original = revolve._sg_Revolve.__init__

    def recording(self, steps, snapshots):
        original(self, steps, snapshots)
        made.append(self)

    monkeypatch.setattr(revolve._sg_Revolve, '__init__', recording)
    W, xs, h = _args(steps=200)
    sg.grad(by_shape)(W, xs, h)
    (schedule,) = made
    assert schedule.most_kept <= 3
    assert schedule.recomputed <= revolve._sg_revolve_cost(200, 3)


N, STEPS, SNAPSHOTS = 1000, 1000, 10


def deep(W, xs, h):
    for t in sg.checkpointed(range(xs.shape[0]), snapshots=SNAPSHOTS):
        a = np.tanh(h * W + xs[t])          # (N,) intermediates
        h = a * a * 0.5 + np.sin(a) * 0.25 + 0.25 * h
    return np.sum(h ** 2)


def deep_plain(W, xs, h):
    for t in range(xs.shape[0]):
        a = np.tanh(h * W + xs[t])
        h = a * a * 0.5 + np.sin(a) * 0.25 + 0.25 * h
    return np.sum(h ** 2)


def test_peak_memory_is_bounded_by_the_snapshot_budget():
    rng = np.random.default_rng(0)
    W, xs, h = rng.normal(size=N) * 0.5, rng.normal(size=(STEPS, N)) * 0.1, rng.normal(size=N)
    g, g_plain = sg.grad(deep, wrt=(0, 2)), sg.grad(deep_plain, wrt=(0, 2))
    for a, b in zip(g(W, xs, h), g_plain(W, xs, h)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    gc.collect()
    checkpointed, plain = peak_bytes(g, W, xs, h), peak_bytes(g_plain, W, xs, h)
    state = N * 8
    assert plain > STEPS * state
    # the snapshots, a few live arrays of one step, and the schedule's plan (ints)
    assert checkpointed < (SNAPSHOTS + 20) * state + 150 * STEPS, (checkpointed, plain)


def test_second_order_through_a_scheduled_loop_is_refused_at_the_loop():
    # its states come back from the schedule, which no gradient flows through
    rng = np.random.default_rng(1)
    W, xs, h = 0.3 * rng.standard_normal((3, 3)), rng.standard_normal((6, 3)), \
        rng.standard_normal(3)
    first = sg.grad(by_shape)

    def scalar(W):
        return np.sum(first(W, xs, h))

    with pytest.raises(sg.TransformError, match='checkpointed with sg.checkpointed') as err:
        sg.grad(scalar)(W)
    assert f'test_revolve.py:{by_shape.__code__.co_firstlineno + 1}' in str(err.value)
