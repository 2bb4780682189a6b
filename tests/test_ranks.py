"""analyses/ranks.py: the rank of values whose shape is not known, from the code alone."""
import numpy as np

import s2sgrad as sg
from s2sgrad.analyses.dtypes import Dtypes, sample_of
from s2sgrad.analyses.ranks import Ranks
from s2sgrad.analyses.shapes import ShapeClasses
from s2sgrad.ir.nodes import If, Loop
from s2sgrad.specialisation import Specialisation


def _ranks(fn, *args):
    """{a value's hint: its rank} over every op of fn's graph, for a call's shapes and
    dtypes (sizes known only when the code runs aside)."""
    graph = sg.graph(fn).graph
    bound = Specialisation(shapes={k: np.shape(a) for k, a in enumerate(args)},
                           samples={k: sample_of(a) for k, a in enumerate(args)}).bound(
        [p.value for p in graph.params])
    ranks = Ranks(graph.body.ops, ShapeClasses(graph.body.ops, (), bound.shapes),
                  Dtypes(graph.body.ops, bound.samples))
    found = {}

    def walk(ops):
        for op in ops:
            for block in op.blocks() if isinstance(op, (If, Loop)) else ():
                walk(block.ops)
            for out in op.outputs:
                found.setdefault(out.hint, ranks.of(out))
    walk(graph.body.ops)
    return found


def built(x, k):
    pose = np.zeros((k + 3, 3))
    rows = pose[3:]
    row = rows[k - 1]
    shaped = x.reshape(x.shape + (1,))
    stacked = np.stack([row, row * 2.0], axis=1)
    product = stacked @ np.ones((2, 4))
    total = np.sum(product, axis=0)
    return row, shaped, product, total


def listed(x, parents):
    items = []
    for i in range(len(parents)):
        if parents[i] < 0:
            items.append(x[:, None] * x)
        else:
            items.append(items[parents[i]] * 2.0)
    together = np.stack(items)
    return together


def disagreeing(x, n):
    items = []
    for i in range(n):
        if i % 2:
            items.append(x)
        else:
            items.append(x[:, None] * x)
    mixed = np.stack(items)
    return mixed


def test_ranks_from_constructions_indexing_and_products():
    ranks = _ranks(built, np.ones(3), 2)
    assert ranks['pose'] == 2 and ranks['rows'] == 2 and ranks['row'] == 1
    assert ranks['stacked'] == 2 and ranks['product'] == 2 and ranks['total'] == 1
    assert ranks['shaped'] == 2


def test_a_list_appended_in_a_loop_has_its_items_rank():
    assert _ranks(listed, np.ones(3), np.array([-1, 0, 1]))['together'] == 3


def test_items_of_different_ranks_give_none():
    assert _ranks(disagreeing, np.ones(3), 4)['mixed'] is None


def boolean_scalar_index(x):
    flag = x[0] > 0.0
    y = np.zeros((2, 3))
    picked = y[flag]             # (adds an axis: a 0-d boolean is no integer)
    counted = y[int(x[1] > 0.0)]
    return picked, counted


def test_a_scalar_index_counts_as_an_integer_only_when_it_is_one():
    ranks = _ranks(boolean_scalar_index, np.ones(3))
    assert ranks['picked'] is None and ranks['counted'] == 1
