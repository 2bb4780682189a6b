"""The names user code calls inside a graph: `gradients`, `stop_gradient`, and their options.

Inside a `@graph` function the transformation replaces these calls by
generated code; these Python definitions only run when called elsewhere.
"""
import enum

import numpy as np

from ..runtime.revolve import _sg_bytes


class UnconnectedGradients(enum.Enum):
    """What `gradients` returns for an x with no path to the ys."""

    NONE = 'none'
    ZERO = 'zero'


class AggregationMethod:
    """How the generated code sums the several gradient terms of one value.

    ADD_N (the default, as DEFAULT) sums all terms in one expression;
    EXPERIMENTAL_TREE sums them in pairs; EXPERIMENTAL_ACCUMULATE_N adds them
    one by one into an accumulator.  All agree to rounding.
    """

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


def gradients(ys, xs, grad_ys=None, name='gradients', gate_gradients=False,
              aggregation_method=None, stop_gradients=None,
              unconnected_gradients=UnconnectedGradients.NONE):
    """Symbolic derivatives of sum(ys) w.r.t. each x in xs (tf.gradients semantics).

    Valid only inside the body of a `@s2sgrad.graph` function, where the
    transformation replaces the call by generated adjoint code.
    """
    raise RuntimeError(
        's2sgrad.gradients is only valid in a graph context: call it inside a '
        'function decorated with @s2sgrad.graph (it is replaced by generated code there).')


def stop_gradient(x):
    """Identity in the forward pass; no gradient flows through the result."""
    return x


def checkpointed(steps, snapshots=None, memory=None):
    """`for t in checkpointed(range(T), snapshots=s):` -- the loop's adjoint keeps at
    most `s` of its states and runs steps again from them (the binomial schedule,
    runtime/revolve.py) instead of keeping each step's values.  `while
    checkpointed(test, snapshots=s):` -- the same for a loop whose trip count is
    known only when it ends (the online schedule, runtime/online.py; a for loop
    whose body may break is on it too).  With
    `memory=` (bytes, or a string such as '100MB') instead of `snapshots=`, s is
    as many states as fit in it.  Outside a transform (and in the loop itself) it
    is `steps` (the range, or the test's value)."""
    if not isinstance(steps, (range, bool, np.bool_)):
        raise TypeError(f's2sgrad.checkpointed loops over a range (for) or wraps a loop '
                        f'test (while), got {type(steps).__name__}')
    if (snapshots is None) == (memory is None):
        raise TypeError('s2sgrad.checkpointed takes snapshots= or memory=, one of them')
    if memory is not None:
        _sg_bytes(memory)
    elif not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 1:
        raise ValueError(f'snapshots must be an int >= 1, got {snapshots!r}')
    return steps
