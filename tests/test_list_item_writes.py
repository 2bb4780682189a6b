"""An item assigned into a list passed in whose items differ in shape (`rows[0] =
...`): the generated code copies the list as a list (np.copy made it an array, or
failed), in `sg.graph`, `sg.grad` and their sources; the caller's list is untouched."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


def first_row(rows, x):
    rows[0] = rows[0] * x
    return np.sum(rows[0]) + np.sum(rows[1] ** 2)


def last_row(rows, x):
    rows[-1] = np.tanh(rows[-1]) * np.sum(x)
    return np.sum(rows[-1] * rows[0][0]) + np.dot(rows[0], x)


def scale(rows, k, x):
    rows[k] = rows[k] @ np.ones((np.shape(rows[k])[-1], 1)) * x[0]


def through_a_helper(rows, x):
    scale(rows, 1, x)
    return np.sum(rows[1]) + np.sum(np.sin(rows[0]))


def every_row(rows, x):
    for k in range(len(rows)):
        rows[k] = rows[k] * x[k]
    return sum(np.sum(r ** 2) for r in rows)


def rows_():
    rng = np.random.default_rng(0)
    return [rng.normal(size=3), rng.normal(size=(2, 3))]


X = np.array([0.5, -1.5, 2.0])


@pytest.mark.parametrize('f', [first_row, last_row, through_a_helper, every_row],
                         ids=lambda f: f.__name__)
def test_value_and_gradient(f):
    rows = rows_()
    want = f(rows_(), X)
    assert np.isclose(sg.graph(f)(rows, X), want, rtol=1e-12)
    assert all(np.array_equal(a, b) for a, b in zip(rows, rows_()))     # untouched
    check_grads(f, rows_(), X, wrt=(0, 1), order=1)
    assert all(np.array_equal(a, b) for a, b in zip(rows, rows_()))


def test_the_copy_is_a_list_copy():
    # the general code tells a list from an array when it runs; a call's code knows
    assert '_sg_copy_to_write(rows)' in sg.graph(first_row).source
    assert 'list(rows)' in sg.grad(first_row).source_for(rows_(), X)
    assert 'np.copy(x)' in sg.grad(lambda x, y: _write_first(x, y)).source_for(X, 2.0)


def _write_first(x, y):
    x[0] = x[1] * y
    return np.sum(x ** 2)
