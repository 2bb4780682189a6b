"""The table of primitive facts (s2sgrad/ir/primitives.py) is consistent."""
import dataclasses
import inspect
import math

import numpy as np
import pytest

import s2sgrad  # noqa: F401  (registers the rules)
from s2sgrad.ir import prims
from s2sgrad.ir.primitives import (ATTRIBUTES, DEFAULT, METHODS, RECORDS, UFUNC_DEFAULT,
                                   PrimInfo, info)
from s2sgrad.rules import registry
from s2sgrad.runtime import containers, helpers

# Spellings: what one family's members may differ in.
_SPELLINGS = {'name', 'methods', 'attributes'}

# Records of callables that need no rule of their own, and why.
_NO_RULE = {prims.ALIAS, prims.GATE,        # ad/reverse.py passes their gradients through
            helpers._sg_list_entries,       # emitted by the AD in adjoints only
            containers._sg_dict_entries, containers._sg_items_grad,
            containers._sg_values_grad, containers._sg_dict_of_grad,
            containers._sg_items_grad_grad, containers._sg_values_grad_grad,
            helpers._sg_broadcast_like}     # emitted by forward mode only (a tangent)


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def test_every_rule_has_a_record_or_the_documented_default():
    for rule in registry.all_rules():
        record = info(rule.prim)
        assert isinstance(record, PrimInfo)
        try:
            recorded = rule.prim in RECORDS
        except TypeError:       # (a test's unhashable callable: nothing is known of it)
            assert record is DEFAULT
            continue
        if not recorded:
            assert record is (UFUNC_DEFAULT if isinstance(rule.prim, np.ufunc) else DEFAULT)


def test_every_record_is_differentiable_constant_special_or_lowered():
    for prim, record in RECORDS.items():
        if isinstance(prim, prims.Special) and prim not in (prims.ALIAS, prims.GATE):
            continue            # (the AD treats each special itself)
        known = registry.lookup(prim) is not None or registry.is_constant(prim)
        assert known or record.writes is not None or prim in _NO_RULE, record.name


def test_an_unhashable_callable_gets_the_default():
    assert info(np.frompyfunc(abs, 1, 1)) is UFUNC_DEFAULT
    assert info([]) is DEFAULT


def test_families_share_their_facts():
    families = {}
    for record in RECORDS.values():
        if record.family is not None:
            families.setdefault(record.family, []).append(record)
    assert {r.name for r in families['max']} == {'max', 'amax'}
    assert {r.name for r in families['matmul']} == {'matmul', 'dot'}
    for members in families.values():
        facts = [{k: v for k, v in dataclasses.asdict(r).items() if k not in _SPELLINGS}
                 for r in members]
        assert all(f == facts[0] for f in facts), members


def test_families_are_closed_under_their_spellings():
    for prim, record in RECORDS.items():
        for name in record.methods:
            assert METHODS[name] is prim
        for name in record.attributes:
            assert ATTRIBUTES[name] is prim
        if record.method is not None:   # the method written for it means its family
            assert info(METHODS[record.method]).family == record.family, record.name


def test_reductions_take_an_axis_and_keepdims():
    for prim, record in RECORDS.items():
        if record.reduction is not None:
            names = [p[0] for p in registry.lookup(prim).params]
            assert names[:2] == ['a', 'axis'], record.name
            # (a running reduction keeps every axis: it has no keepdims)
            assert ('keepdims' in names) == (record.reduction == 'axis'), record.name
    assert {r.reduced_dtype for r in RECORDS.values()} == {None, 'same', 'float', 'accumulate'}
    assert {r.reduction for r in RECORDS.values()} == {None, 'axis', 'running'}


def test_axis_positions_are_numpys():
    for prim, record in RECORDS.items():
        if record.reduction is not None:
            assert record.axis is not None, record.name
        if record.axis is not None:
            assert list(inspect.signature(prim).parameters)[record.axis] == 'axis', record.name


def test_writes_name_a_parameter_of_numpys_signature():
    writers = [prim for prim, record in RECORDS.items() if record.writes is not None]
    assert len(writers) == 7       # (np.random.shuffle: a generator's shuffle to ir/effects.py)
    for prim in writers:
        signature = _signature(prim)
        if signature is not None:
            assert info(prim).writes in signature.parameters, info(prim).name


def test_shape_only_positions_are_positional_parameters():
    for prim, record in RECORDS.items():
        signature = _signature(prim) if record.shape_only else None
        if signature is None:
            continue
        params = list(signature.parameters.values())
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            continue
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        assert max(record.shape_only) < len(positional), record.name


def test_memory_facts_do_not_contradict_each_other():
    for prim, record in RECORDS.items():
        assert not (record.view and record.fresh), record.name
        if isinstance(prim, np.ufunc):
            assert record.fresh, record.name
        if record.commutative:
            assert isinstance(prim, np.ufunc) and prim.nin == 2
        if not record.folds or record.tape:
            assert isinstance(prim, prims.Special), record.name


@pytest.mark.parametrize('prim', sorted((p for p, r in RECORDS.items() if r.math_twin),
                                         key=lambda p: p.__name__))
def test_math_twins_agree_on_floats(prim):
    """Where the twin returns, NumPy's scalar result to two ulps; where it raises,
    NumPy's is inf or nan (the API then runs NumPy's code: test_float_semantics)."""
    twin = info(prim).math_twin
    edges = [0.0, -0.0, 0.5, -1.25, 3.0, 710.0, -1000.0, math.inf, -math.inf, math.nan]
    samples = np.random.default_rng(0).uniform(-30.0, 30.0, 2000).tolist()
    for x in edges + samples:
        with np.errstate(all='ignore'):
            expected = float(prim(x))
        try:
            got = twin(x)
        except (ValueError, OverflowError):
            assert not math.isfinite(expected), (prim, x)
            continue
        assert type(got) is float
        assert got == expected or abs(got - expected) <= 2 * math.ulp(expected) or \
            math.isnan(got) and math.isnan(expected), (prim, x, got, expected)
