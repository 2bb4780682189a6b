"""The trunk's structure: the pass list as compiler.py's picture shows it, declared
graph fields, region operands enumerated in one place, one Specialisation."""
import re

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import compiler
from s2sgrad.ir.graph import Graph
from s2sgrad.ir.nodes import Block, Const, If, Loop, Op, Pack, Value, walk
from s2sgrad.specialisation import FLOATS, Specialisation


def test_the_picture_lists_the_passes_in_order():
    picture = compiler.__doc__.split('then PASSES')[1].split('and when first asked')[0]
    shown = re.findall(r'^      (\S+(?: \S+)?)\s{2,}', picture, re.M)
    assert shown == [step.name for step in compiler.PASSES]


def test_every_read_is_an_input_an_earlier_result_or_an_analysis():
    available = {'specialisation', 'forward_shapes'} | set(compiler.ANALYSES)
    for step in compiler.PASSES:
        assert set(step.reads) <= available, step.name
        if step.produces is not None:
            available.add(step.produces)


def test_a_graph_takes_no_undeclared_field():
    graph = Graph('f', [], Block(), None, None)
    with pytest.raises(AttributeError):
        graph.inplace = {}


def _loop():
    v = {name: Value(name) for name in ('it', 'init', 'cond', 'next', 'exit', 't', 'phi')}
    loop = Loop('for', v['it'], [v['t']], [v['phi']], [v['init']], [Pack('tuple', [v['next']])],
                Block(), v['cond'], Block(), [Value('out')], v['exit'], None)
    return loop, v


def test_region_operands_are_all_the_region_holds():
    loop, v = _loop()
    held = {x for operand in loop.operands() for x in ([operand] if isinstance(operand, Value)
                                                        else operand.items)}
    assert held == {v[name] for name in ('it', 'init', 'cond', 'next', 'exit')}
    renamed = {x: Value(x.hint + '2') for x in held}
    loop.map_operands(renamed.get)
    assert {x.hint for operand in loop.operands()
            for x in ([operand] if isinstance(operand, Value) else operand.items)} == \
        {'it2', 'init2', 'cond2', 'next2', 'exit2'}
    test, a = Value('test'), Value('a')
    region = If(test, Block(), Block(), [Value('o'), Value('p')], [a, Const(1.0)], [None, a], None)
    operands = region.operands()       # (a branch's None: no operand)
    assert len(operands) == 4 and operands[0] is test and operands[1] is a and \
        isinstance(operands[2], Const) and operands[3] is a
    assert region.inputs() == [test, a]


def test_a_specialisation_bound_to_parameters():
    params = [Value('x'), Value('y')]
    spec = Specialisation(shapes={0: (3,), 1: ()}, samples={0: np.ones(1), 1: None})
    bound = spec.bound(params)
    assert dict(bound.shapes) == {params[0]: (3,), params[1]: ()}
    assert list(bound.samples) == [params[0]]
    assert bound.scalars == () and FLOATS.bound(params).scalars == tuple(params)


def _product(x, y):
    return x * np.sin(y)


def test_the_float_specialisation_is_the_one_compiled_for_floats():
    g = sg.grad(_product)
    assert g(1.0, 2.0) == pytest.approx(np.sin(2.0))
    assert g.compiled_for_floats.specialisation.floats


def _reads_a_row_after_assigning(x):
    y = x[:, None] * x[None, :]
    row = y[0]
    y[0] = 1.0
    return np.sum(row) + np.sum(y)


def test_a_checked_subscript_is_part_of_the_op_not_of_its_spelling():
    f = sg.graph(_reads_a_row_after_assigning)
    checked = [op for op in walk(f.graph.body) if isinstance(op, Op) and op.checked]
    assert len(checked) == 1 and checked[0].style == ('subscript',)
    # the gradient copies the graph (ir.clone): the copy checks the row too
    with pytest.raises(ValueError, match='view'):
        sg.grad(f)(np.arange(1.0, 4.0))
