"""`start = d` then `start += 1` in a loop: a number rebinds its own name only.

The loop carries `start` and `d` as two values of one memory; `+=` on an array
changes both, on a number only `start`: the generated code chooses when it runs
(this was silently wrong: `sg.graph` gave 5.0 where Python gives 3.0).
"""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


def counter_from_an_argument(v, d):
    start = d
    out = 0.0
    for i in range(2):
        out = out + v[i] * d
        start += 1
    return out


def counter_without_alias(v, d):
    start = d + 0
    out = 0.0
    for i in range(2):
        out = out + v[i] * d
        start += 1
    return out * start


def array_alias(v):
    a = v.copy()
    b = a
    for i in range(2):
        b += v
    return np.sum(a * v)


def number_alias_no_loop(v, d):
    start = d
    start += 1
    return v[0] * d + start


V = np.array([1.0, 2.0])


@pytest.mark.parametrize('fn, args', [
    (counter_from_an_argument, (V, 1)), (counter_from_an_argument, (V, 1.5)),
    (counter_from_an_argument, (V, np.ones(2))), (counter_without_alias, (V, 1)), (array_alias, (V,)), (number_alias_no_loop, (V, 1)),
    (number_alias_no_loop, (V, np.ones(2)))])
def test_what_runs_agrees_with_python(fn, args):
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    np.testing.assert_allclose(sg.graph(fn)(*args), fn(*copies))
    if not any(isinstance(a, np.ndarray) for a in args[1:]):   # (d += 1 would write into d)
        check_grads(fn, *args, wrt=0)
