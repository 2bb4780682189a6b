"""bench/adbench/ba.py beyond the runner's quick check: the hand-written Jacobian's layout
against an independent oracle (autograd, one observation at a time, placed by the rules of
ADBench's BASparseMat), s2sgrad's dense Jacobian of every spelling in that layout, and the
checks themselves rejecting wrong Jacobians."""
import functools
import os
import sys
import types
import unittest

import numpy as np
import pytest

scipy_sparse = pytest.importorskip('scipy.sparse')

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'bench', 'adbench'))
import ba  # noqa: E402

import s2sgrad as sg  # noqa: E402


@pytest.fixture(scope='module')
def args():
    return ba.inputs(np.random.default_rng(0), **ba.SIZES['tiny'])


def _autograd_residual(anp):
    """One observation's 2 reprojection errors of (camera 11 | point 3 | weight 1), in autograd."""
    def residual(params, feat):
        cam, point, weight = params[:11], params[11:14], params[14]
        rot, Xo = cam[0:3], point - cam[3:6]
        sqtheta = anp.sum(rot * rot)
        if sqtheta != 0.0:
            theta = anp.sqrt(sqtheta)
            axis = rot / theta
            Xcam = (Xo * anp.cos(theta) + anp.cross(axis, Xo) * anp.sin(theta)
                    + axis * anp.dot(axis, Xo) * (1.0 - anp.cos(theta)))
        else:
            Xcam = Xo + anp.cross(rot, Xo)
        u = Xcam[0:2] / Xcam[2]
        rsq = anp.sum(u * u)
        proj = u * (1.0 + cam[9] * rsq + cam[10] * rsq * rsq) * cam[6] + cam[7:9]
        return weight * (proj - feat)
    return residual


def test_hand_jacobian_is_basparsemat_layout_of_autograd_blocks(args):
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp

    cams, X, w, obs, feats = args
    n, m, p = len(cams), len(X), len(w)
    block_of = autograd.jacobian(_autograd_residual(anp))
    want = np.zeros((3 * p, 11 * n + 3 * m + p))
    for i, (cam, point) in enumerate(obs):
        block = block_of(np.concatenate([cams[cam], X[point], [w[i]]]), feats[i])   # (2, 15)
        columns = np.concatenate([11 * cam + np.arange(11), 11 * n + 3 * point + np.arange(3),
                                  [11 * n + 3 * m + i]])
        want[2 * i:2 * i + 2, columns] = block          # rows 2i, 2i+1: observation i's x, y
        want[2 * p + i, 11 * n + 3 * m + i] = -2.0 * w[i]   # weight rows after all of them
    assert np.any(np.sum(cams[obs[:, 0], :3] ** 2, axis=1) == 0.0)   # the sqtheta == 0 branch
    got = ba.hand_derivative(*args)
    assert scipy_sparse.issparse(got) and got.nnz == 2 * p * 15 + p
    np.testing.assert_allclose(got.toarray(), want, rtol=1e-10, atol=1e-10 * np.abs(want).max())


@pytest.mark.parametrize('spelling', sorted(ba.SPELLINGS))
def test_dense_s2sgrad_jacobian_of_each_spelling_matches_the_hand_one(args, spelling):
    objective = ba.SPELLINGS[spelling]
    np.testing.assert_allclose(objective(*args), ba.ba_vectorised(*args), rtol=1e-12)
    J = sg.jacobian(objective, wrt=(0, 1, 2))(*args)
    dense = np.hstack([j.reshape(j.shape[0], -1) for j in J])
    ba.check(scipy_sparse.csr_matrix(dense), ba.hand_derivative(*args), args)


def test_derivative_is_sparse_and_checked(args):
    got = ba.derivative(ba.ba_helpers)(*args)
    assert scipy_sparse.isspmatrix_csr(got) or scipy_sparse.issparse(got)
    ba.check(got, ba.hand_derivative(*args), args)


def test_check_rejects_a_wrong_value_and_a_missing_entry(args):
    want = ba.hand_derivative(*args)
    wrong = want.copy()
    wrong.data[7] *= 1.0 + 1e-6
    with pytest.raises(AssertionError, match='max \\|got - want\\|'):
        ba.check(wrong, want, args)
    # an entry dropped from the pattern is caught however small its value is
    small = want.copy()
    small.data[3] = 1e-14 * np.abs(want.data).max()
    dropped = small.copy()
    dropped.data[3] = 0.0
    dropped.eliminate_zeros()
    with pytest.raises(AssertionError, match='pattern misses 1 nonzeros'):
        ba.check(dropped, small, args)
    with pytest.raises(AssertionError, match='not a scipy.sparse matrix'):
        ba.check(want.toarray(), want, args)


def test_fd_check_rejects_a_wrong_hand_jacobian(args, monkeypatch):
    ba.fd_check(args, np.random.default_rng(1))
    right = ba.reprojection_blocks

    def wrong(*a):
        block = right(*a)
        block[:, :, ba.RAD_IDX + 1] *= 1.001             # d/dk2, a small entry
        return block
    monkeypatch.setattr(ba, 'reprojection_blocks', wrong)
    with pytest.raises(AssertionError, match='central differences'):
        ba.fd_check(args, np.random.default_rng(1))


def test_the_loop_spelling_is_not_measured_at_ba1():
    big = ba.inputs(np.random.default_rng(0), **ba.SIZES['ba1'])
    with pytest.raises(unittest.SkipTest, match='per-observation loop'):
        ba.derivative(ba.ba_loop)(*big)


class _StandInSparseJacobian:
    """sg.jacobian(f, wrt=(0, 1, 2), sparse=True)'s contract, by the dense Jacobian: a csr
    matrix with the arguments' columns side by side, and plan(*args) with the pattern's
    rows (None and why where no pattern is found)."""

    def __init__(self, f, wrt=0, sparse=False, dense_jacobian=None, rows_of=None):
        assert sparse is True and wrt == (0, 1, 2)
        self.dense = dense_jacobian(f, wrt=wrt)
        self.rows_of = rows_of

    def __call__(self, *a):
        return scipy_sparse.csr_matrix(np.hstack([J.reshape(3 * len(a[2]), -1)
                                                  for J in self.dense(*a)]))

    def plan(self, *a):
        rows = self(*a).tocoo().row
        if self.rows_of is not None:
            rows = self.rows_of(rows)
        return types.SimpleNamespace(pattern=None if rows is None else 'found', rows=rows,
                                     why='np.op at f.py:1')


def test_derivative_calls_the_sparse_jacobian_wrt_all_three(args, monkeypatch):
    dense_jacobian = sg.jacobian
    monkeypatch.setattr(sg, 'jacobian', functools.partial(_StandInSparseJacobian,
                                                          dense_jacobian=dense_jacobian))
    ba.check(ba.derivative(ba.ba_einsum)(*args), ba.hand_derivative(*args), args)


def test_a_pattern_that_is_not_bas_is_not_measured_at_large_sizes():
    """The pattern at the tiny size decides: BA's (15 in a row) scales, a wider one (an op
    whose pattern is taken as dense) or none (the dense fallback) would fill gigabytes."""
    bas = _StandInSparseJacobian(ba.ba_vectorised, (0, 1, 2), True, sg.jacobian)
    assert ba._pattern_scales(bas) is True
    wider = _StandInSparseJacobian(ba.ba_vectorised, (0, 1, 2), True, sg.jacobian,
                                   rows_of=lambda rows: np.append(rows, np.zeros(16, int)))
    with pytest.raises(unittest.SkipTest, match='has 3[01] nonzeros in a row'):
        ba._pattern_scales(wider)
    none = _StandInSparseJacobian(ba.ba_vectorised, (0, 1, 2), True, sg.jacobian,
                                  rows_of=lambda rows: None)
    with pytest.raises(unittest.SkipTest, match='no sparsity pattern found \\(np.op at f.py:1\\)'):
        ba._pattern_scales(none)
