"""`sg.checkpoint`: a helper whose forward the reverse pass computes again.

    @sg.checkpoint
    def block(h, x):
        return np.tanh(W @ h + x)

A differentiated function that calls `block` keeps only its inputs for the
reverse pass (on a loop's tape, each iteration's inputs); the adjoint computes
the helper's body again from them, then its gradient (ad/checkpoint.py).
Called outside a transform, it is the plain function.
"""
import functools

from .frontend.marks import CheckpointHelper


class CheckpointedFunction(CheckpointHelper):
    """A function marked for recomputation in the reverse pass (see `checkpoint`)."""

    def __init__(self, fn):
        if isinstance(fn, CheckpointedFunction):
            fn = fn.python_function
        if not callable(fn) or not hasattr(fn, '__code__'):
            raise TypeError(f's2sgrad.checkpoint expects a Python function, got '
                            f'{type(fn).__name__}')
        self.python_function = fn
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        return self.python_function(*args, **kwargs)


def checkpoint(fn):
    """Mark `fn` so that gradients through its calls recompute its forward in the
    reverse pass instead of keeping its intermediate values (as jax.checkpoint)."""
    return CheckpointedFunction(fn)
