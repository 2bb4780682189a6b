"""Python syntax forms users write every day: right, or refused at their line.

Each form is run through sg.graph (forward value against the original Python)
and sg.grad / value_and_grad (gradient against central differences), in
several spellings: at the top level, inside loops and branches, in helpers.
Refusals are TransformErrors naming this file and the marked line (``# ERR``).
"""
import inspect
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

THIS_FILE = os.path.basename(__file__)


def line_of(func, marker="# ERR"):
    lines, start = inspect.getsourcelines(inspect.unwrap(func))
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, f"{marker!r} found {len(hits)} times in {func}"
    return hits[0]


def assert_refused(fn, *args, construct):
    """sg.graph(fn) raises a TransformError at the marked line naming the construct."""
    with pytest.raises(sg.TransformError) as info:
        sg.graph(fn)(*args)
    err = info.value
    assert os.path.basename(err.filename) == THIS_FILE, err.filename
    assert err.lineno == line_of(fn), (err.lineno, str(err))
    assert construct in str(err), str(err)
    return err


def assert_right(fn, *args, wrt=0):
    """Forward value equals Python's; gradient matches central differences."""
    expected = fn(*args)
    np.testing.assert_allclose(sg.graph(fn)(*args), expected, rtol=1e-12, atol=1e-12)
    value, _ = sg.value_and_grad(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    check_grads(fn, *args, wrt=wrt, order=1)


# ------------------------------------------------------------ error format

def refused_with_open(x):
    with open(os.devnull):  # ERR
        y = x * 2.0
    return np.sum(y)


def test_error_states_its_location_once_with_the_users_line():
    err = assert_refused(refused_with_open, np.ones(3), construct="with")
    where = f"{THIS_FILE}:{line_of(refused_with_open)}"
    text = str(err)
    assert text.count(where) == 1, text
    assert "line " not in text.split("\n")[0], text        # not also `(file, line N)`
    assert "with open(os.devnull):" in text, text           # the user's line
    assert err.msg.startswith("with") and where not in err.msg, err.msg
