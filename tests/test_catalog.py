"""The op catalog: every function of ops-target.txt has a rule, every one of
ops-constant.txt is a constant, and docs/ops.md is what the registry says.

tests/data/ holds copies of the project's lists, so that coverage cannot
silently drop.
"""
import importlib
import pathlib

import numpy as np
import pytest

import s2sgrad  # noqa: F401  (registers the rules)
from s2sgrad.ir import prims
from s2sgrad.rules import catalog, registry

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent

# Names of the lists that this NumPy does not have, or that are not callables.
NOT_IN_NUMPY = {'numpy.msort'}              # removed in NumPy 2
BY_LOWERING = {'numpy.r_': np.concatenate, 'numpy.c_': np.column_stack}
# Listed as constants, but a gradient flows through an argument: np.full_like's
# fill value may depend on the differentiated values, and holding it constant
# gave a silent zero gradient.  Its result is constant in its first argument.
DIFFERENTIATED_THOUGH_LISTED_CONSTANT = {'numpy.full_like'}


def listed(name):
    """(section, function name) for each line of a list in tests/data."""
    section = None
    for line in (HERE / 'data' / name).read_text().splitlines():
        line = line.split('#')[0].strip()
        if not line:
            continue
        if line.startswith('['):
            section = line.strip('[]')
            continue
        yield section, line


def resolve(name):
    if name == 'ndarray.__getitem__':
        return prims.GETITEM
    module, _, attr = name.rpartition('.')
    if module.startswith('scipy'):
        pytest.importorskip('scipy.special')
    try:
        return getattr(importlib.import_module(module), attr)
    except AttributeError:
        if name in NOT_IN_NUMPY or not hasattr(np, attr):
            pytest.skip(f'{name} is not in NumPy {np.__version__}')
        raise


@pytest.mark.parametrize('section, name', list(listed('ops-target.txt')),
                         ids=lambda v: v if '.' in str(v) else None)
def test_every_target_function_has_a_rule(section, name):
    if name in NOT_IN_NUMPY:
        pytest.skip(f'{name} is not in NumPy {np.__version__}')
    fn = BY_LOWERING.get(name) or resolve(name)
    assert registry.lookup(fn) is not None, f'no gradient rule for {name} ({section})'


@pytest.mark.parametrize('section, name', list(listed('ops-constant.txt')),
                         ids=lambda v: v if '.' in str(v) else None)
def test_every_constant_function_is_a_constant(section, name):
    fn = resolve(name)
    if name in DIFFERENTIATED_THOUGH_LISTED_CONSTANT:
        assert registry.lookup(fn) is not None, f'no gradient rule for {name}'
        return
    assert registry.is_constant(fn), f'{name} is not registered as a constant'


def test_the_lists_are_the_projects():
    shared = ROOT.parent / 'shared'
    for name in ('ops-target.txt', 'ops-constant.txt'):
        if (shared / name).exists():
            assert (shared / name).read_text() == (HERE / 'data' / name).read_text()


def test_docs_ops_md_is_current():
    pytest.importorskip('scipy.special')       # the table lists the scipy rules
    assert (ROOT / 'docs' / 'ops.md').read_text() == catalog.markdown(), \
        'docs/ops.md is stale: python -m s2sgrad.rules.catalog > docs/ops.md'
