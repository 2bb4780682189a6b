"""The names user code calls inside a graph: `gradients`, `stop_gradient`, and their options.

Inside a `@graph` function the transformation replaces these calls by
generated code; these Python definitions only run when called elsewhere.
"""
import enum


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


def checkpointed(steps, snapshots):
    """`for t in checkpointed(range(T), snapshots=s):` -- the loop's adjoint keeps at
    most `s` of its states and runs steps again from them (the binomial schedule,
    runtime/revolve.py) instead of keeping each step's values.  Outside a
    transform (and in the loop itself) it is `steps`."""
    if not isinstance(steps, range):
        raise TypeError(f's2sgrad.checkpointed loops over a range, got {type(steps).__name__}')
    if not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 1:
        raise ValueError(f'snapshots must be an int >= 1, got {snapshots!r}')
    return steps
