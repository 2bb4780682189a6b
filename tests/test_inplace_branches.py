"""Writes into an array in the branches of an `if` inside a loop: in place where
nothing can tell (each branch's write, the array carried to the next
iteration), on a copy where something holds a version (a list, another name).
Every case computes what Python computes, and its derivatives agree with
central differences and with one another."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

RNG = np.random.default_rng(7)
PARENTS = np.array([-1, 0, 1, 0, 3])


def bone_tree(x, parents):
    # ADBench's hand bones: each row its parent's times its own
    a = np.zeros((len(parents), 3))
    for i in range(len(parents)):
        if parents[i] == -1:
            a[i] = x[i]
        else:
            a[i] = a[parents[i]] * np.sin(x[i])
    return a


def old_rows_read(x, parents):
    # the rows written so far read in each iteration, before and after the write
    a = np.zeros((len(parents), 3))
    total = np.zeros(3)
    for i in range(len(parents)):
        before = np.sum(a, axis=0)
        if parents[i] == -1:
            a[i] = x[i]
        else:
            a[i] = a[parents[i]] * x[i] + before
        total = total * np.sum(a, axis=0) + before
    return total


def read_after_the_branch(x, parents):
    a = np.zeros((len(parents), 3))
    total = 0.0
    for i in range(len(parents)):
        if parents[i] == -1:
            a[i] = x[i]
        else:
            a[i] = a[parents[i]] * x[i]
        total = total + np.sum(a * a)
    return total


def another_name(x, parents):
    a = np.zeros((len(parents), 3))
    b = a
    for i in range(len(parents)):
        if parents[i] == -1:
            a[i] = x[i] * 2.0
        else:
            a[i] = np.cos(a[parents[i]]) + x[i]
    return a + b


def a_copy_carried(x, parents):
    a = np.zeros((len(parents), 3))
    before = a.copy()
    for i in range(len(parents)):
        if parents[i] == -1:
            a[i] = x[i]
        else:
            before = a.copy()
            a[i] = a[parents[i]] * x[i]
    return a - before


CASES = [bone_tree, old_rows_read, read_after_the_branch, another_name, a_copy_carried]


@pytest.mark.parametrize('f', CASES)
def test_what_python_computes(f):
    x = RNG.normal(size=(5, 3))
    np.testing.assert_allclose(sg.graph(f)(x, PARENTS), f(x, PARENTS), rtol=1e-13)


@pytest.mark.parametrize('f', CASES)
def test_derivatives_agree(f):
    x = RNG.normal(size=(5, 3))
    scalar = lambda x, parents: np.sum(np.sin(f(x, parents)))  # noqa: E731
    check_grads(scalar, x, PARENTS, wrt=0, order=1)
    np.testing.assert_allclose(sg.jacfwd(f)(x, PARENTS), sg.jacrev(f)(x, PARENTS),
                               rtol=1e-12, atol=1e-14)


def test_the_bone_tree_writes_in_place():
    x = RNG.normal(size=(5, 3))
    assert '_sg_copy_to_write' not in sg.graph(bone_tree).source.split('for i')[1]
    jac = sg.jacfwd(bone_tree)
    source = jac.source_for(x, PARENTS)
    # (the tangents' writes still copy: a write's result counts as owned only where
    # is_owned finds it so, since one into a run-time list may hold a caller's arrays)
    assert 'its seeds batched' in source
