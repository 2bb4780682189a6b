"""The binomial checkpointing schedule (Revolve, Griewank & Walther, ACM TOMS 26(1),
2000) for the adjoint of a loop of known trip count: `for t in
sg.checkpointed(range(T), snapshots=s)`.

The loop keeps at most `s` states (its carried variables before a step), not
one per step.  The reverse loop, at each step t from the last to the first,
restores the latest kept state at or before t and runs the loop's body again
from there up to t, keeping on the way the states the schedule asks for; then
it runs step t once more and its adjoint.  Which states are kept is the
binomial schedule: reversing l steps with s states costs at most
r*l - C(s+r, r-1) recomputed steps, where r is the least integer with
C(s+r, s) >= l, the fewest possible (the Revolve bound).

The kept states are copies (the loop may write into its arrays afterwards) and
are handed back as copies (the run again may write into them).  With
`memory=` instead of `snapshots=`, s is the budget over the bytes of one state
(`_sg_snapshots_within`), found when the loop starts.
"""
import numpy as np


class _sg_Revolve:
    """The states a loop over `steps` (a range) keeps for its adjoint, at most
    `snapshots` of them, and the steps its reverse loop runs again."""

    def __init__(self, steps, snapshots):
        if not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 1:
            raise ValueError(f'snapshots must be an int >= 1, got {snapshots!r}')
        self.steps = steps
        self.snapshots = snapshots
        self.plan = _sg_revolve_plan([(0, len(steps), snapshots)])
        self.kept = {}
        self.wanted = {0} | set(_sg_revolve_planned(self.plan, len(steps) - 1))
        self.start = 0
        self.recomputed = 0     # steps run again (the adjoint's own run of a step not counted)
        self.most_kept = 0

    def offer(self, t, state):
        """The state before step t: kept if the schedule wants it."""
        k = self.steps.index(t)
        if k in self.wanted:
            self.kept[k] = _sg_copy_state(state)
            self.most_kept = max(self.most_kept, len(self.kept))

    def restore(self, t):
        """The latest kept state at or before step t (those after it are dropped)."""
        k = self.steps.index(t)
        for later in [p for p in self.kept if p > k]:
            del self.kept[later]
        self.start = max(self.kept)
        self.wanted = set(_sg_revolve_planned(self.plan, k))
        return _sg_copy_state(self.kept[self.start])

    def advance(self, t):
        """The steps to run again from the restored state up to step t (not t)."""
        k = self.steps.index(t)
        self.recomputed += k - self.start
        return self.steps[self.start:k]


def _sg_revolve(steps, snapshots):
    """The schedule of a loop over `steps` (a range) keeping at most `snapshots` states."""
    return _sg_Revolve(steps, snapshots)


def _sg_revolve_within(steps, memory, state):
    """The schedule of a loop over `steps` whose kept states fit in `memory` (bytes or
    a string such as '100MB'), `state` its carried variables before the loop."""
    return _sg_Revolve(steps, min(_sg_snapshots_within(memory, state), max(1, len(steps))))


def _sg_bytes(memory):
    """A memory budget in bytes: an int, or a string '512KB', '100MB', '1.5GiB' (KB, MB,
    GB: powers of 1000; KiB, MiB, GiB: of 1024)."""
    if isinstance(memory, (int, np.integer)) and not isinstance(memory, bool) and memory > 0:
        return int(memory)
    if isinstance(memory, str):
        units = {'': 1, 'k': 10 ** 3, 'm': 10 ** 6, 'g': 10 ** 9, 't': 10 ** 12,
                 'ki': 2 ** 10, 'mi': 2 ** 20, 'gi': 2 ** 30, 'ti': 2 ** 40}
        text = memory.replace(' ', '').lower()
        text = text[:-1] if text.endswith('b') else text
        unit = next(u for u in sorted(units, key=len, reverse=True) if text.endswith(u))
        number = text[:len(text) - len(unit)]
        if number.replace('.', '', 1).isdigit() and number.isascii() and float(number) > 0:
            return int(float(number) * units[unit])
    raise ValueError(f"memory must be a number of bytes > 0 or a string such as '100MB', "
                     f'got {memory!r}')


def _sg_snapshots_within(memory, state):
    """How many copies of `state` (a loop's carried variables) fit in `memory`."""
    budget = _sg_bytes(memory)
    size = sum(v.nbytes if isinstance(v, np.ndarray) else 8 for v in state) or 1
    if budget < size:
        raise ValueError(f'a memory budget of {memory!r} holds no state of this loop '
                         f'({size} bytes)')
    return budget // size


def _sg_copy_state(state):
    return tuple(np.copy(v) if isinstance(v, np.ndarray) else v for v in state)


def _sg_revolve_offer(schedule, t, state):
    """The forward loop (or a run again) at the start of step t, its state `state`."""
    schedule.offer(t, state)


def _sg_revolve_restore(schedule, t):
    return schedule.restore(t)


def _sg_revolve_advance(schedule, t):
    return schedule.advance(t)


def _sg_revolve_plan(segments):
    """The reverse loop's plan over `segments` ((first step, steps, snapshots) each, in
    order, each reversed with the binomial schedule from its first state): at each
    step t where a run again ends, the steps whose states it keeps (for a
    segment's last step: while running it the first time).  As arrays, a few ints
    a step: -t of each such step (ascending), where its steps start in the third,
    the kept steps."""
    entries = total = 0
    for _, keep in _sg_revolve_runs(segments):
        entries, total = entries + 1, total + len(keep)
    steps, starts = np.empty(entries, np.int64), np.empty(entries + 1, np.int64)
    kept = np.empty(total, np.int64)
    i = j = 0
    for t, keep in _sg_revolve_runs(segments):
        steps[i], starts[i] = -t, j
        kept[j:j + len(keep)] = keep
        i, j = i + 1, j + len(keep)
    starts[i] = j
    return steps, starts, kept


def _sg_revolve_runs(segments):
    """(t, the steps kept while running again up to t) of each run again that keeps
    some, t descending: the segments from the last, each split where the binomial
    schedule says (`_sg_revolve_split`), the later part reversed first."""
    for first, n, snapshots in reversed(segments):
        pending = []

        def reverse(a, b, free):
            # steps a..b-1, the state before a kept, `free` more states may be kept
            if b - a == 1 or free == 0:
                if pending:
                    yield first + b - 1, tuple(pending)
                    pending.clear()
                return
            m = a + _sg_revolve_split(b - a, free + 1)
            pending.append(first + m)
            yield from reverse(m, b, free - 1)
            yield from reverse(a, m, free)

        if n:
            yield from reverse(0, n, snapshots - 1)


def _sg_revolve_planned(plan, t):
    """The steps whose states the run again up to step t keeps (`_sg_revolve_plan`)."""
    steps, starts, kept = plan
    i = int(np.searchsorted(steps, -t))
    if i < len(steps) and steps[i] == -t:
        return kept[starts[i]:starts[i + 1]].tolist()
    return []


def _sg_revolve_cost(l, s):
    """The fewest steps run again to reverse l steps keeping s states (the first
    state counted), the run up to the last step included: r*l - C(s+r, r-1)."""
    if l <= 1:
        return 0
    r = 0
    while _sg_binomial(s + r, s) < l:
        r += 1
    return r * l - _sg_binomial(s + r, r - 1)


def _sg_revolve_split(l, s):
    """Where to keep the next state when reversing l steps with s states: the step
    that makes the total cost least (`_sg_revolve_cost`), searched in the window
    where the same number of repetitions suffices."""
    r = 0
    while _sg_binomial(s + r, s) < l:
        r += 1
    low = max(1, l - _sg_binomial(s - 1 + r, r)) if s > 1 else 1
    high = min(l - 1, _sg_binomial(s + r - 1, r - 1)) if r else l - 1
    return min(range(low, max(low, high) + 1),
               key=lambda m: m + _sg_revolve_cost(l - m, s - 1) + _sg_revolve_cost(m, s))


def _sg_binomial(n, k):
    """n choose k (0 outside 0 <= k <= n)."""
    if k < 0 or k > n:
        return 0
    result = 1
    for i in range(min(k, n - k)):
        result = result * (n - i) // (i + 1)
    return result
