"""Transform-time constants: type queries (np.result_type, np.promote_types,
np.finfo, ...) and the methods of constant strings, evaluated when
transforming (a dict key, a branch test, a dtype); attributes of run-time type
descriptions (`np.finfo(x.dtype).eps`) are constants in the generated code.
A string method on a run-time value is left to run (print's message)."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

PREFIX = 'w'


def key_of_capitals(x):
    d = {'W': x, 'B': 2.0 * x}
    return np.sum(d['w'.upper()] ** 2) + np.sum(d[PREFIX.upper().replace('W', 'B')])


def branch_on_names(x):
    names = ','.join(['alpha', 'beta'])
    if names.startswith('alpha') and 'beta' in names and names.split(',')[1] == 'beta':
        return np.sum(x ** 3)
    return np.sum(x)


def key_from_template(x):
    params = {'layer_0': x, 'layer_1': x * x}
    total = 0.0
    for k in (0, 1):
        total = total + np.sum(params['layer_{}'.format(k)])
    return total


def keys_filtered_by_prefix(x):
    params = {'w_in': x, 'w_out': 3.0 * x, 'bias': x * x}
    return sum(np.sum(params[k]) for k in params if k.startswith('w_'))


def result_type_constant(x):
    t = np.result_type(np.float32, np.float64)
    return np.sum(x.astype(t) ** 2)


def promote_types_constant(x):
    return np.sum(x.astype(np.promote_types(np.float32, np.float64)) ** 2)


def finfo_of_runtime_dtype(x):
    eps = np.finfo(x.dtype).eps
    tiny = np.finfo(np.float64).tiny
    return np.sum(np.log(x * x + eps) + tiny)


def dtype_kind_test(x):
    if x.dtype.kind == 'f':
        return np.sum(x ** 2)
    return np.sum(x)


def formatted_print(x):
    print('loss {:.3f}'.format(np.sum(x)))
    return np.sum(x ** 2)


@pytest.mark.parametrize('fn', [key_of_capitals, branch_on_names, key_from_template,
                                keys_filtered_by_prefix, result_type_constant,
                                promote_types_constant, finfo_of_runtime_dtype,
                                dtype_kind_test],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_constants_are_evaluated_as_python_does(fn, dtype):
    x = np.array([0.5, -1.25, 2.0], dtype)
    assert sg.graph(fn)(x) == pytest.approx(fn(x), rel=1e-6)
    check_grads(fn, x, order=2)


def code_of(fn):
    """The generated source of sg.grad(fn) without its comments (which quote the user)."""
    return '\n'.join(line for line in sg.grad(fn).source.splitlines()
                     if not line.strip().startswith('#'))


def test_string_methods_are_folded_into_the_source():
    assert 'upper' not in code_of(key_of_capitals) and 'replace' not in code_of(key_of_capitals)
    assert 'join' not in code_of(branch_on_names)
    assert 'format' not in code_of(key_from_template)


def test_a_string_method_on_a_run_time_value_still_runs(capsys):
    g = sg.grad(formatted_print)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [2.0, 4.0])
    assert 'loss 3.000' in capsys.readouterr().out


def result_type_of_runtime_values(x):
    t = np.result_type(x, np.float32)
    eps = np.finfo(t).eps
    return np.sum(x.astype(t) ** 2 + eps) + np.sum(np.zeros(2, dtype=t))


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_result_type_of_run_time_values_is_a_constant(dtype):
    x = np.array([0.5, -1.25, 2.0], dtype)
    assert sg.graph(result_type_of_runtime_values)(x) == \
        pytest.approx(result_type_of_runtime_values(x), rel=1e-6)
    check_grads(result_type_of_runtime_values, x, order=2)
