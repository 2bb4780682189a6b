"""An attribute assigned in a loop of an inlined helper or method (`for _ in
range(2): m.h = ...`): the caller's names showing the object see the last write,
as in Python, in value and gradient (once the caller kept the value before the
loop).  Names of one object that a loop binds apart are refused at the loop."""
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.errors import TransformError
from s2sgrad.testing import check_grads

from test_errors import line_of
from test_objects import agrees_with_autograd, check

THIS_FILE = os.path.basename(__file__)
X = np.array([1.5, 2.0, -3.0])


class Cell:
    def __init__(self, w=(0.3, -1.2, 0.8)):
        self.w = np.array(w)
        self.h = np.zeros(3)

    def run(self, x):
        for _ in range(2):
            self.h = np.tanh(self.w * x + self.h)

    def run_and_return(self, x):
        for _ in range(2):
            self.h = np.tanh(self.w * x + self.h)
        return self.h * 3.0

    def run_while(self, x):
        i = 0
        while i < 3:
            self.step(x)
            i += 1

    def step(self, x):
        self.h = np.tanh(self.w * x + self.h)


def run_helper(m, x):
    for _ in range(2):
        m.h = np.tanh(m.w * x + m.h)


def run_helper_while(m, x):
    i = 0
    while i < 2:
        m.h = np.tanh(m.w * x + m.h)
        i = i + 1
    return i


def run_nested(m, x):
    for i in range(2):
        for j in range(2):
            m.h = np.sin(m.w * x * j + m.h) + i


def run_two_inner_loops(m, x):
    for i in range(2):
        for j in range(2):
            m.h = np.sin(m.w * x * j + m.h) + i
        for j in range(2):
            m.step(x * j)


def run_through_helper(m, x):
    for _ in range(2):
        run_helper(m, x)


def by_helper(m, x):
    run_helper(m, x)
    return np.sum(m.h * x)


def by_method(m, x):
    m.run(x)
    return np.sum(m.h * x)


def by_method_returning(m, x):
    y = m.run_and_return(x)
    return np.sum(m.h * x + y)


def by_while_helper(m, x):
    run_helper_while(m, x)
    return np.sum(m.h * x)


def by_while_method(m, x):
    m.run_while(x)
    return np.sum(m.h * x)


def by_nested_loops(m, x):
    run_nested(m, x)
    return np.sum(m.h * x)


def by_two_inner_loops(m, x):
    run_two_inner_loops(m, x)
    return np.sum(m.h * x)


def by_helper_called_twice(m, x):
    run_helper(m, x)
    run_helper(m, 2 * x)
    return np.sum(m.h * x)


def by_helper_of_a_helper(m, x):
    run_through_helper(m, x)
    return np.sum(m.h * x)


def by_helper_in_a_loop(m, x):
    for k in range(2):
        m.run(x * k)
    return np.sum(m.h * x)


def by_an_alias(m, x):
    alias = m
    for _ in range(2):
        m.h = np.tanh(m.w * x + m.h)
        total = np.sum(alias.h)
    return np.sum(alias.h * x) + total


def by_an_alias_in_a_helper(m, x):
    alias = m
    run_helper(alias, x)
    return np.sum(m.h * x)


PROGRAMS = [by_helper, by_method, by_method_returning, by_while_helper, by_while_method,
            by_nested_loops, by_two_inner_loops, by_helper_called_twice, by_helper_of_a_helper,
            by_helper_in_a_loop, by_an_alias, by_an_alias_in_a_helper]


@pytest.mark.parametrize('f', PROGRAMS, ids=lambda f: f.__name__)
def test_value_as_python(f):
    want = f(Cell(), X)
    assert np.isclose(sg.graph(f)(Cell(), X), want, rtol=1e-12)


@pytest.mark.parametrize('f', PROGRAMS, ids=lambda f: f.__name__)
def test_gradient_against_central_differences(f):
    m = Cell()
    check_grads(f, m, X, wrt=(0, 1), order=1)
    assert np.array_equal(m.h, np.zeros(3))         # the caller's object is untouched
    check(f, Cell(), X)


@pytest.mark.parametrize('f', [by_helper, by_method, by_while_method, by_an_alias],
                         ids=lambda f: f.__name__)
def test_gradient_against_autograd(f):
    agrees_with_autograd(sg.grad(f)(Cell(), X), f, Cell(), X)


def rebinds_an_alias(m, n, x):
    a = m
    for _ in range(2):  # ERR
        m.h = np.tanh(m.w * x + m.h)
        total = np.sum(a.h)
        a = n
    return np.sum(m.h * x) + total


def writes_through_an_alias_it_rebinds(m, n, x):
    a = m
    for _ in range(2):  # ERR
        a.h = np.tanh(a.w * x + a.h)
        a = n
    return np.sum(m.h * x + n.h)


@pytest.mark.parametrize('f', [rebinds_an_alias, writes_through_an_alias_it_rebinds],
                         ids=lambda f: f.__name__)
def test_names_of_one_object_bound_apart_are_refused_at_the_loop(f):
    with pytest.raises(TransformError, match='is one object with other names here') as err:
        sg.grad(f)(Cell(), Cell(), X)
    assert f'{THIS_FILE}:{line_of(f)}' in str(err.value)


class Net:
    def __init__(self):
        self.cell = Cell()


def writes_an_attribute_of_an_attribute(n, x):
    for _ in range(2):
        run_helper(n.cell, x)
    return np.sum(n.cell.h * x)


def writes_items_of_a_list(cells, x):
    for k in range(2):
        run_helper(cells[k], x)
    return np.sum(cells[0].h * x + cells[1].h)


@pytest.mark.parametrize('f, arg', [(writes_an_attribute_of_an_attribute, Net),
                                    (writes_items_of_a_list, lambda: [Cell(), Cell()])],
                         ids=['attribute_of_attribute', 'list_of_objects'])
def test_writes_of_objects_not_passed_in_stay_refused_at_the_line(f, arg):
    with pytest.raises(TransformError, match='not .* an object passed in') as err:
        sg.grad(f)(arg(), X)
    assert f'{THIS_FILE}:{line_of(run_helper, "m.h = ")}' in str(err.value)


def holds_it_in_a_tuple(m, x):
    pair = (m, 1.0)
    run_helper(m, x)
    return np.sum(pair[0].h * x)


def test_an_object_also_held_in_a_tuple_is_refused_at_the_write_in_the_loop():
    with pytest.raises(TransformError, match='also held in a list, tuple or dict') as err:
        sg.grad(holds_it_in_a_tuple)(Cell(), X)
    assert f'{THIS_FILE}:{line_of(run_helper, "m.h = ")}' in str(err.value)
