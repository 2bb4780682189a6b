"""Tangent rules of the decompositions, order statistics, interpolation and the
other functions the catalog lines (tests/test_jvp.py) reach in one call form only:
the options and argument combinations each rule branches on, against central
differences, and the refusals."""
import numpy as np
import pytest

import s2sgrad as sg

from test_jvp import assert_jvp

RNG = np.random.default_rng(23)


def normal(*shape):
    return RNG.standard_normal(shape)


def lstsq_solution(a, b):
    return np.linalg.lstsq(a, b)[0]


def lstsq_residuals(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return residuals


@pytest.mark.parametrize('f', [lstsq_solution, lstsq_residuals])
@pytest.mark.parametrize('which', ['a', 'b', 'both'])
def test_lstsq_along_each_argument(f, which):
    a, b = normal(5, 3), normal(5, 2)
    da = normal(5, 3) if which != 'b' else None
    db = normal(5, 2) if which != 'a' else None
    assert_jvp(f, [a, b], [da, db])


def interp_filled(x, xp, fp, low, high):
    return np.interp(x, xp, fp, left=low, right=high)


def interp_plain(x, xp, fp):
    return np.interp(x, xp, fp)


def test_interp_along_points_knots_values_and_fills():
    x, xp, fp = np.array([-1.0, 0.3, 1.7, 2.2, 5.0]), np.array([0.0, 1.0, 2.0, 3.0]), normal(4)
    tangents = [normal(5), normal(4) * 0.1, normal(4)]
    assert_jvp(interp_filled, [x, xp, fp, 0.5, -0.2], tangents + [1.0, 2.0])
    assert_jvp(interp_plain, [x, xp, fp], tangents)
    assert_jvp(interp_plain, [x, xp, fp], [None, None, tangents[2]])


def arange_affine(start, step):
    return np.arange(start, 3.0, step)


def test_arange_in_its_start_and_step():
    assert_jvp(arange_affine, [0.1, 0.4], [1.0, 0.5])
    assert_jvp(arange_affine, [0.1, 0.4], [None, 0.5])
    assert_jvp(arange_affine, [0.1, 0.4], [2.0, None])


def partition_flat(a):
    return np.partition(a, 2, axis=None)


def polynomial(p, x):
    return np.polyval(p, x)


def test_partition_of_the_flattened_array_and_polyval():
    assert_jvp(partition_flat, [normal(3, 4)], [normal(3, 4)])
    assert_jvp(polynomial, [normal(4), normal(3)], [normal(4), normal(3)])
    assert_jvp(polynomial, [normal(1), normal(3)], [normal(1), normal(3)])
    assert_jvp(polynomial, [normal(4), 0.7], [None, 1.0])


def eigenvalues(a):
    return np.linalg.eigh(a)[0]


def test_repeated_eigenvalues_follow_the_gradients_convention():
    # at the identity the eigenvalues of I + t D are 1 + t d, sorted
    _, tangent = sg.jvp(eigenvalues, (np.eye(3),), (np.diag([1.0, 2.0, 3.0]),))
    np.testing.assert_allclose(tangent, [1.0, 2.0, 3.0])


def extra_left_vector(a):
    return np.linalg.svd(a, full_matrices=True)[0][:, -1] ** 2


def extra_right_vector(a):
    u, s, vt = np.linalg.svd(a)
    return np.sum(vt[-1] ** 2 * np.arange(3.0))


def test_the_extra_singular_vectors_of_a_full_svd():
    # one extra column: unique up to its sign, which the squares do not see
    assert_jvp(extra_left_vector, [normal(3, 2)], [normal(3, 2)])
    assert_jvp(extra_right_vector, [normal(2, 3)], [normal(2, 3)])


def cholesky_lower(a):
    return np.linalg.cholesky(a)


def cholesky_upper(a):
    return np.linalg.cholesky(a, upper=True)


def test_cholesky_reads_one_triangle():
    m = normal(3, 3)
    a = m @ m.T + 3 * np.eye(3)
    da = normal(3, 3)          # not symmetric: only the triangle NumPy reads counts
    _, lower = sg.jvp(cholesky_lower, (a,), (da,))
    _, lower_only = sg.jvp(cholesky_lower, (a,), (np.tril(da),))
    np.testing.assert_allclose(lower, lower_only)
    assert_jvp(cholesky_upper, [a], [np.triu(da) + np.triu(da, 1).T])


def quantile_at(a, q):
    return np.quantile(a, q)


def test_a_varying_quantile_position_is_refused_at_the_users_line():
    with pytest.raises(sg.TransformError, match='a q that varies has no tangent') as info:
        sg.jvp(quantile_at, (normal(5), 0.3), (normal(5), 1.0))
    assert f'test_jvp_rules.py:{quantile_at.__code__.co_firstlineno + 1}' in str(info.value)
    assert_jvp(quantile_at, [normal(5), 0.3], [normal(5), None])


def filled_int_positional(x):
    return np.full((3,), x, int) * 1.0 + x


def array_int_positional(x):
    return np.array(x * 2.5, int) + x


def asarray_dtype_of(x, like):
    return np.asarray(x * 2.0, like.dtype) * x


def test_a_result_of_an_integer_dtype_is_a_constant_wherever_the_dtype_is_given():
    # (the dtype by position too: it was read by keyword only, and the tangent truncated)
    assert_jvp(filled_int_positional, [1.7], [1.0])
    assert_jvp(array_int_positional, [1.7], [1.0])
    _, tangent = sg.jvp(array_int_positional, (1.7,), (1.0,))
    assert tangent == 1.0
    # a dtype known when the code runs
    x = normal(3)
    assert_jvp(asarray_dtype_of, [x, np.zeros(2)], [normal(3), None])
    _, tangent = sg.jvp(asarray_dtype_of, (np.array([1.3, 2.6]), np.zeros(2, dtype=int)),
                        (np.ones(2), None))
    np.testing.assert_allclose(tangent, [2.0, 5.0])      # d(int(2x) * x) = int(2x) dx


def filled(x, b):
    return np.nan_to_num(x, nan=b, posinf=2.0 * b, neginf=-b) * b


def extreme_with_initial(a, start):
    return np.max(a, axis=0, initial=start) + np.sum(np.prod(a, axis=1, initial=start))


def weighted(a, w):
    return np.average(a, axis=1, weights=w)


def test_options_that_vary_add_their_part():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -0.5])
    assert_jvp(filled, [x, 0.7], [np.array([1.0, 0.0, 0.0, 0.0, 2.0]), 1.0])
    _, tangent = sg.jvp(filled, (x, 0.7), (None, 1.0))
    np.testing.assert_allclose(tangent, [1.0, 1.4, 2.8, -1.4, -0.5])
    a = normal(3, 4)
    # an initial= larger than the elements of some columns wins there
    assert_jvp(extreme_with_initial, [a, 0.3], [normal(3, 4), 1.0])
    assert_jvp(extreme_with_initial, [a, 0.3], [None, 1.0])
    assert_jvp(weighted, [a, np.abs(normal(4)) + 0.5], [normal(3, 4), normal(4)])
    assert_jvp(weighted, [a, np.abs(normal(4)) + 0.5], [None, normal(4)])
