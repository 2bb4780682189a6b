"""The functions of tests/test_ops_shape.py: shape, copy, construction and indexing.

One small function per call form: positional and keyword arguments,
defaults, negative axes, the array-method spellings, and NumPy under other
names (`import numpy as onp`, `from numpy import tile`).  Most of these
functions are linear (their cases are `linear=True`); the few that return
several arrays combine them with a product.
"""
import numpy as np
import numpy as onp
from numpy import pad, repeat, tile


# ------------------------------------------------- ravel, reshape, squeeze, expand_dims

def ravel_method(x):
    return x.ravel()


def ravel_F(x):
    return np.ravel(x, 'F')


def ravel_order_keyword(x):
    return np.ravel(x, order='F')


def flatten_F(x):
    return x.flatten('F')


def reshape_F(x):
    return np.reshape(x, (4, 3), order='F')


def ravel_K(x):
    return np.ravel(x.T, order='K')


def method_reshape_F(x):
    return x.reshape(2, 6, order='F')


def method_squeeze_positional(x):
    return x.squeeze(1)


def method_squeeze_none(x):
    return x.squeeze()


def squeeze_negative(x):
    return np.squeeze(x, -1)


def expand_dims_keyword(x):
    return np.expand_dims(x, axis=1)


def expand_dims_tuple_negative(x):
    return np.expand_dims(x, (0, -1))


def copy_order(x):
    return np.copy(x, order='F')


# ------------------------------------------------- transpose, swapaxes, moveaxis, rollaxis

def transpose_tuple(x):
    return np.transpose(x, (2, 0, 1))


def transpose_negative_tuple(x):
    return np.transpose(x, (-1, 0, -2))


def method_transpose_tuple(x):
    return x.transpose((1, 2, 0))


def method_swapaxes(x):
    return x.swapaxes(0, 1)


def method_swapaxes_negative(x):
    return x.swapaxes(-1, 0)


def swapaxes_keywords(x):
    return np.swapaxes(x, axis1=0, axis2=-1)


def moveaxis_int(x):
    return np.moveaxis(x, 0, -1)


def moveaxis_tuple(x):
    return np.moveaxis(x, (0, -1), (-1, 1))


def moveaxis_keywords(x):
    return np.moveaxis(x, source=1, destination=0)


def rollaxis_default(x):
    return np.rollaxis(x, 2)


def rollaxis_start(x):
    return np.rollaxis(x, 0, 3)


def rollaxis_forward(x):
    return np.rollaxis(x, 0, 2)


def rollaxis_negative_axis(x):
    return np.rollaxis(x, -1, 1)


def rollaxis_negative_start(x):
    return np.rollaxis(x, 1, -1)


def rollaxis_both_negative(x):
    return np.rollaxis(x, -3, -1)


def rollaxis_same(x):
    return np.rollaxis(x, 1, 1)


def rollaxis_keyword(x):
    return np.rollaxis(x, axis=2, start=0)


# ------------------------------------------------- broadcast_to, atleast_nd

def broadcast_to_leading(x):
    return np.broadcast_to(x, (2, 3) + np.shape(x))


def broadcast_to_new_and_stretched(x):
    return np.broadcast_to(x, (2, 3, 4))


def atleast_1d(x):
    return np.atleast_1d(x)


def atleast_2d(x):
    return np.atleast_2d(x)


def atleast_3d(x):
    return np.atleast_3d(x)


def atleast_1d_of_two(x, y):
    a, b = np.atleast_1d(x, y)
    return a * b


# ------------------------------------------------- flips, rot90, roll

def flipud(x):
    return np.flipud(x)


def fliplr(x):
    return np.fliplr(x)


def flip_axis_keyword(x):
    return np.flip(x, axis=-1)


def rot90_default(x):
    return np.rot90(x)


def rot90_k(x):
    return np.rot90(x, 2)


def rot90_negative_k(x):
    return np.rot90(x, k=-1)


def rot90_axes(x):
    return np.rot90(x, 3, axes=(1, 2))


def rot90_axes_reversed(x):
    return np.rot90(x, 1, (-1, 0))


def roll_flat(x):
    return np.roll(x, 2)


def roll_axis(x):
    return np.roll(x, -1, axis=1)


def roll_negative_axis(x):
    return np.roll(x, 5, -1)


def roll_tuple(x):
    return np.roll(x, (1, -2), axis=(0, 1))


def roll_keywords(x):
    return np.roll(x, shift=1, axis=0)


def roll_run_time_shift(x, shift):
    return np.roll(x, shift, 0)


# ------------------------------------------------- repeat, tile

def repeat_flat(x):
    return np.repeat(x, 3)


def repeat_axis(x):
    return np.repeat(x, 2, axis=1)


def repeat_negative_axis(x):
    return np.repeat(x, 2, -2)


def repeat_counts(x):
    return np.repeat(x, [1, 0, 3], axis=0)


def repeat_counts_flat(x):
    return np.repeat(x, np.array([2, 0, 1, 1, 3, 1]))


def repeat_one_count(x):
    return np.repeat(x, [2], axis=1)


def method_repeat(x):
    return x.repeat(2, axis=-1)


def method_repeat_flat(x):
    return x.repeat(2)


def repeat_imported(x):
    return repeat(x, 2, 0)


def tile_int(x):
    return np.tile(x, 2)


def tile_tuple(x):
    return np.tile(x, (2, 1, 3))


def tile_short(x):
    return np.tile(x, (2,))


def tile_keyword(x):
    return np.tile(x, reps=[1, 2])


def tile_imported(x):
    return tile(x, (3, 2))


def tile_alias(x):
    return onp.tile(x, 2)


# ------------------------------------------------- diag, diagonal, triu, tril

def diag(x):
    return np.diag(x)


def diag_offset(x):
    return np.diag(x, 1)


def diag_negative_offset(x):
    return np.diag(x, k=-2)


def diagonal(x):
    return np.diagonal(x)


def diagonal_offset_axes(x):
    return np.diagonal(x, 1, 0, 2)


def diagonal_negative_axes(x):
    return np.diagonal(x, offset=-1, axis1=-1, axis2=-2)


def diagonal_last_axes(x):
    return np.diagonal(x, axis1=-2, axis2=-1)


def method_diagonal(x):
    return x.diagonal()


def method_diagonal_args(x):
    return x.diagonal(-1, 1, 2)


def method_diagonal_offset(x):
    return x.diagonal(offset=2)


def triu(x):
    return np.triu(x)


def triu_offset(x):
    return np.triu(x, k=1)


def tril(x):
    return np.tril(x)


def tril_negative_offset(x):
    return np.tril(x, -1)


# ------------------------------------------------- pad

def pad_int(x):
    return np.pad(x, 2)


def pad_pairs_constant_values(x):
    return np.pad(x, ((1, 2), (0, 1)), constant_values=3.0)


def pad_constant_positional(x):
    return np.pad(x, (1, 2), 'constant')


def pad_constant_keyword(x):
    return np.pad(x, [(0, 1), (2, 0)], mode='constant', constant_values=(1.0, -1.0))


def pad_empty(x):
    return np.pad(x, 1, mode='empty')[1:-1, 1:-1]


def pad_edge(x):
    return np.pad(x, (1, 2), 'edge')


def pad_reflect(x):
    return np.pad(x, ((2, 3), (1, 0)), mode='reflect')


def pad_reflect_wider(x):
    return np.pad(x, (5, 7), mode='reflect')


def pad_symmetric(x):
    return np.pad(x, 4, mode='symmetric')


def pad_wrap(x):
    return np.pad(x, ((5, 1),), mode='wrap')


def pad_imported(x):
    return pad(x, 1)


def pad_run_time_constant(x, c):
    return np.pad(x, 1, constant_values=c)


def pad_maximum(x):
    return np.pad(x, 1, mode='maximum')


# ------------------------------------------------- full, linspace

def full(x):
    return np.full((3, 4), x)


def full_keywords(x):
    return np.full(shape=(2, 3, 4), fill_value=x) * np.arange(4.0)


def full_int(x):
    return np.full(3, x, dtype=int) * x


def linspace(a, b):
    return np.linspace(a, b, 5) * np.arange(5.0)


def linspace_no_endpoint(a, b):
    return np.linspace(a, b, num=4, endpoint=False) ** 2


def linspace_default_num(a, b):
    return np.linspace(a, b) ** 2


def linspace_arrays(a, b):
    return np.linspace(a, b, 3) ** 2


def linspace_axis(a, b):
    return np.linspace(a, b, 3, axis=-1) ** 2


def linspace_retstep(a, b):
    samples, step = np.linspace(a, b, 6, retstep=True)
    return np.sum(samples ** 2) * step


def linspace_one(a, b):
    return np.linspace(a, b, 1) ** 2


def linspace_of_constants(x):
    return np.linspace(0.0, 1.0, 4) * x


# ------------------------------------------------- stacking and joining

def concatenate_axis_none(x, y):
    return np.concatenate((x, y), axis=None)


def concatenate_negative_axis(x, y):
    return np.concatenate([x, y], axis=-2)


def stack_negative_axis(x, y):
    return np.stack([x, y], axis=-1)


def concatenate_int_dtype(x):
    return np.concatenate([x, x], dtype=int, casting='unsafe') * np.concatenate([x, x])


def stack_float32(x, y):
    return np.stack([x, y], dtype=np.float32)


def vstack(x, y):
    return np.vstack([x, y])


def vstack_three(x, y, z):
    return np.vstack((x, y, z))


def row_stack(x, y):
    return np.row_stack([x, y])


def hstack(x, y):
    return np.hstack([x, y])


def hstack_tuple(x, y):
    return np.hstack((x, y))


def column_stack(x, y):
    return np.column_stack([x, y])


def dstack(x, y):
    return np.dstack([x, y])


def append_flat(x, y):
    return np.append(x, y)


def append_axis(x, y):
    return np.append(x, y, axis=0)


def append_negative_axis(x, y):
    return np.append(x, y, -1)


def append_constant(x):
    return np.append(x, 1.5)


def r_(x, y):
    return np.r_[x, y, 2.0]


def c_(x, y):
    return np.c_[x, y]


# ------------------------------------------------- split, array_split, vsplit, hsplit, dsplit

def split_negative_axis(x):
    a, b = np.split(x, 2, axis=-2)
    return a * b


def array_split_negative_axis(x):
    a, b, c = np.array_split(x, 3, axis=-1)
    return np.sum(a * a) + np.sum(b) * c


def vsplit(x):
    a, b = np.vsplit(x, 2)
    return a * b


def vsplit_indexed(x):
    parts = np.vsplit(x, 2)
    return parts[0] * parts[1]


def hsplit(x):
    a, b, c = np.hsplit(x, 3)
    return a * b + c


def hsplit_indices(x):
    a, b = np.hsplit(x, [2])
    return np.sum(a) * b


def dsplit(x):
    a, b = np.dsplit(x, 2)
    return a * b


def dsplit_indices(x):
    a, b, c = np.dsplit(x, [1, 3])
    return np.sum(a) * b + np.sum(c)


# ------------------------------------------------- sort, partition, take_along_axis

def sort(x):
    return np.sort(x)


def sort_axis0(x):
    return np.sort(x, axis=0)


def sort_axis_none(x):
    return np.sort(x, axis=None)


def sort_kind(x):
    return np.sort(x, kind='stable')


def sort_squared(x):
    return np.sort(x, -1) ** 2 * np.arange(np.shape(x)[-1])


def partition(x):
    return np.partition(x, 2)


def partition_kths_axis0(x):
    return np.partition(x, (0, 2), axis=0)


def partition_axis_none(x):
    return np.partition(x, -1, axis=None)


def partition_weighted(x):
    return np.partition(x, 3) * np.arange(np.shape(x)[-1])


def take_along_axis(x):
    return np.take_along_axis(x, np.array([[0, 0, 2], [1, 1, 1]]), axis=1)


def take_along_axis_argsort(x):
    return np.take_along_axis(x, np.argsort(x, axis=0), axis=0) ** 2


def take_along_axis_none(x):
    return np.take_along_axis(x, np.array([5, 0, 0, 3]), None)


# ------------------------------------------------- array, select

def array_nested(x, y):
    return np.array([[x, y], [y, x]])


def array_nested_arrays(x, y):
    return np.array([[x, y], [y, x]]) * np.arange(3.0)


def array_int_dtype(x):
    return np.array([x, x], dtype=int) * x


def array_float_dtype(x, y):
    return np.array([x, y], dtype=float)


def array_ndmin(x):
    return np.array(x, ndmin=3)


def array_list_ndmin(x, y):
    return np.array([x, y], ndmin=3) * np.arange(3.0)


def array_of_array(x):
    return np.array(x)


def select(x, y):
    return np.select([x > 0, y > 0], [x, y * 2.0], default=-1.0)


def select_broadcast(x, y):
    return np.select([x > 0.5, x < -0.5], [x, y])


def select_scalar_choice(x, y):
    return np.select([x > 0, x < -1.0], [y, 2.0 * x])


def select_run_time_default(x, y):
    return np.select([x > 0], [x], default=y)


# ------------------------------------------------- indexing

NEGATIVE_REPEATS = np.array([-1, 0, -1, 2, -3])
ROWS = np.array([[0, -1], [1, 1]])
COLS = np.array([[2, 2], [-1, 0]])
ROW_MASK = np.array([True, False, True])
LAST_MASK = np.array([True, False, True, True])


def index_negative_repeats(x):
    return x[NEGATIVE_REPEATS]


def index_array_tuple(x):
    return x[ROWS, COLS]


def index_slice_then_array(x):
    return x[1:, [0, -1, 0]]


def index_array_then_slice(x):
    return x[[2, 0, 2], ::2]


def index_adjacent_arrays(x):
    return x[:, [1, 1], [0, -1]]


def index_separated_arrays(x):
    return x[[0, 1], :, [3, 3]]


def index_partial_mask(x):
    return x[ROW_MASK]


def index_partial_mask_slice(x):
    return x[ROW_MASK, 1:]


def index_ellipsis_mask(x):
    return x[..., LAST_MASK]


def index_mask_int(x):
    return x[ROW_MASK, 2]


def index_mask_of_first_axes(x):
    return x[x[:, :, 0] > 0]


def index_ellipsis_none(x):
    return x[..., None]


def index_newaxis(x):
    return x[np.newaxis]


def index_newaxis_reversed(x):
    return x[:, np.newaxis, ::-1]


def index_none_array(x):
    return x[None, [0, 0, 2]]


def index_int_array(x):
    return x[1, [0, 0, -1]]


def index_nested_list(x):
    return x[[[0, 1], [1, 1]]]


def index_arg(x, index):
    return x[index]


def index_two_args(x, rows, cols):
    return x[rows, cols]


def index_products(x):
    return x[NEGATIVE_REPEATS] * x[1] * x[-1:]


# ------------------------------------------------- exact values and autograd

WEIGHTS = np.array([1.0, 10.0, 100.0, 1000.0])


def sort_weighted(x):
    return np.sort(x) * WEIGHTS


def partition_flat_weighted(x, w):
    return np.partition(x, 2, axis=None) * w


def repeat_sum(x):
    return np.sum(np.repeat(x, [1, 0, 3], axis=0))


def triu_of_vector_sum(x):
    return np.sum(np.triu(x))


def pad_reflect_sum(x):
    return np.sum(np.pad(x, 2, mode='reflect'))


def pad_wrap_sum(x):
    return np.sum(np.pad(x, (4, 0), 'wrap'))


def diagonal_autograd(x):
    return np.diagonal(x, 0, -1, -2)



# ------------------------------------------------------------ asarray and casts

def np_asarray(x):
    return np.asarray(x) ** 2


def asarray_list(x, y):
    return np.asarray([x, y, x * y]) ** 3


def asarray_float(x):
    return np.asarray(x, dtype=float) * x


def asarray_runtime_dtype(x):
    return np.asarray(x * 2.0, dtype=x.dtype) ** 2


def asanyarray_method_chain(x):
    return np.asanyarray(x).sum(axis=0) ** 2


def ascontiguousarray_of(x):
    return np.ascontiguousarray(x.T) ** 2


def asfortranarray_of(x):
    return np.asfortranarray(x) ** 2


def array_runtime_dtype(x):
    return np.array([x, 2.0 * x], dtype=x.dtype) ** 2


def astype_runtime_dtype(x, y):
    return x.astype(y.dtype) * y


def astype_runtime_int_dtype(x, k):
    return x.astype(k.dtype) * x


def asarray_written_into(x):
    y = np.asarray(x)
    y[0] = 5.0  # ERR
    return np.sum(y * x)


def asarray_added_in_place(x):
    y = np.ascontiguousarray(x)
    y += 1.0  # ERR
    return np.sum(y * x)


def asarray_sorted_in_place(x):
    y = np.asanyarray(x)
    y.sort()  # ERR
    return np.sum(y * x)


def asarray_of_a_list_written_into(x):
    y = np.asarray([x, 2.0 * x])
    y[0] = 5.0
    return np.sum(y * x)
