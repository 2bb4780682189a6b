"""The online checkpointing schedule for the adjoint of a loop whose trip count is
known only when it ends: `while sg.checkpointed(test, snapshots=s):`, or `for t in
sg.checkpointed(range(T), snapshots=s):` whose body may break.

While the loop runs, it keeps at most `s` states (its carried variables before
a step), choosing which to drop as Wang, Moin & Iaccarino's dynamic
checkpointing does (SIAM J. Sci. Comput. 31(4), 2009): each kept state has a
level; the state before step 0 is never dropped; once `s` are kept, the next
one replaces the latest kept state whose level is below that of a state kept
after it (and takes level 0), or, if there is none, the latest kept state (and
takes that state's level plus one).  Kept states so end up dense near the end
of the loop and sparse near its start.

When the loop has ended, the number of steps T is known: the kept states cut
the steps into segments, and the reverse loop reverses them from the last,
each with the binomial schedule (runtime/revolve.py) and the snapshots the
earlier segments' first states leave free (segment i: s - i of them, its
first state counted).  So at most `s` states are kept at any time, and the
steps run again are exactly the Revolve cost of each segment summed.
"""
import numpy as np

from .revolve import _sg_copy_state, _sg_Revolve, _sg_revolve_plan, _sg_snapshots_within


class _sg_RevolveOnline(_sg_Revolve):     # (named to follow its base in an export)
    """The states a loop of unknown trip count keeps for its adjoint, at most
    `snapshots` of them, and (once it has ended) the steps its reverse loop runs
    again."""

    def __init__(self, snapshots):
        super().__init__(range(0), snapshots)
        self.levels = []        # (step, level) of each kept state, by step

    def offer_next(self, state):
        """The forward loop at the start of its next step, its state `state`."""
        k = len(self.steps)
        self.steps = range(k + 1)
        if k == 0:
            level = np.inf
        elif len(self.levels) < self.snapshots:
            level = 0
        elif len(self.levels) == 1:
            return                              # (one snapshot: the first state only)
        else:
            dropped = self._dispensable()
            if dropped is None:
                step, level = self.levels.pop()
                level += 1
            else:
                step, _ = self.levels.pop(dropped)
                level = 0
            del self.kept[step]
        self.levels.append((k, level))
        self.kept[k] = _sg_copy_state(state)
        self.most_kept = max(self.most_kept, len(self.kept))

    def _dispensable(self):
        """The latest kept state (not the first) whose level is below that of a state
        kept after it, or None."""
        above = -1
        for i in range(len(self.levels) - 1, 0, -1):
            level = self.levels[i][1]
            if level < above:
                return i
            above = max(above, level)
        return None

    def ended(self, steps=None):
        """The loop has ended: plan the reverse loop, segment by segment.  Returns the
        steps it ran: a range, the first of `steps` (a for loop's range, which it may
        have left early) or counted from 0."""
        if steps is not None:
            self.steps = steps[:len(self.steps)]
        starts = [k for k, _ in self.levels]
        self.plan = _sg_revolve_plan([(a, b - a, self.snapshots - i) for i, (a, b) in
                                      enumerate(zip(starts, starts[1:] + [len(self.steps)]))])
        self.wanted = set()
        return self.steps


def _sg_online(snapshots):
    """The schedule of a loop of unknown trip count keeping at most `snapshots` states."""
    return _sg_RevolveOnline(snapshots)


def _sg_online_within(memory, state):
    """The schedule of a loop of unknown trip count whose kept states fit in `memory`
    (bytes or a string such as '100MB'), `state` its carried variables before it."""
    return _sg_RevolveOnline(_sg_snapshots_within(memory, state))


def _sg_online_offer(schedule, state):
    """The forward loop at the start of a step, its state `state`."""
    schedule.offer_next(state)


def _sg_online_steps(schedule, steps=None):
    """The steps the loop ran (a range), once it has ended: the first of `steps`, the
    range a for loop walks, or counted from 0 for a while loop."""
    return schedule.ended(steps)
