"""autograd as a reference implementation for the tests.

``autograd_grad`` gives ``autograd.grad`` the calling convention of
``sg.grad`` (so it can be passed as ``grad=`` to ``s2sgrad.testing``), and
``autograd_twin`` runs a module's source with ``autograd.numpy`` as its
``np``.  Both skip the calling test when autograd is not installed.
"""
import functools
import inspect

import pytest


def autograd_grad(f, wrt=0):
    """``sg.grad(f, wrt=wrt)`` computed by autograd.

    Every output is summed (tuples and lists flattened); ``wrt`` is an int, a
    parameter name or a tuple of them (a tuple gives a tuple).  autograd
    returns a 0-d array where the contract wants a float for a Python float
    argument; that one conversion is made here, nothing else is adapted.
    """
    autograd = pytest.importorskip("autograd")
    from autograd.builtins import SequenceBox
    anp = autograd.numpy

    names = [p.name for p in inspect.signature(f).parameters.values()]

    def index(w):
        return names.index(w) if isinstance(w, str) else w

    multi = isinstance(wrt, tuple)
    argnum = tuple(index(w) for w in wrt) if multi else index(wrt)

    def total(out):
        if isinstance(out, (tuple, list, SequenceBox)):
            return sum(total(o) for o in out)
        return anp.sum(out)

    g = autograd.grad(lambda *args: total(f(*args)), argnum)

    @functools.wraps(f)
    def grad_f(*args):
        result = g(*args)
        nums = argnum if multi else (argnum,)
        parts = result if multi else (result,)
        parts = tuple(float(p) if type(args[i]) is float else p
                      for i, p in zip(nums, parts))
        return parts if multi else parts[0]

    grad_f.__name__ = "grad_" + f.__name__
    return grad_f


def autograd_twin(path):
    """The namespace of the module at ``path`` executed with autograd.numpy
    bound to its global ``np`` (so functions written against ``np`` are
    differentiable by autograd without a second copy of their source)."""
    autograd = pytest.importorskip("autograd")
    namespace = {"__name__": "_autograd_twin_" + path.stem,
                 "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    namespace["np"] = autograd.numpy
    return namespace
