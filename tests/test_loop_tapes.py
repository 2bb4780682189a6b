"""Loops in a call's specialisation: every spelling of a loop knows its shapes.

The bench's RNN (bench/workloads.py) written with `for x in xs`, `for i in
range(len(xs))` and `xs[i]`, a helper cell, or `while i < n` with an int
counter: shapes are known in each spelling's body (an int counter indexes a
known shape).
"""
import numpy as np
import pytest

import bench_workloads
from test_spellings import normalised, specialised


BENCH = bench_workloads.load()
rnn_for, rnn_range, rnn_helper, rnn_while = (BENCH.rnn, BENCH.rnn_range, BENCH.rnn_helper,
                                             BENCH.rnn_while)


def rnn_inputs(rng, steps=5):
    """The bench's RNN, smaller; big enough (h: 96 elements) that the
    specialisation writes in place."""
    return BENCH.rnn_inputs(rng, steps=steps, batch=8, n_in=3, hidden=12, n_out=2)


RNN_LOOPS = (rnn_for, rnn_range, rnn_helper, rnn_while)
WRT = (0, 1, 2, 3)


@pytest.mark.parametrize('fn', RNN_LOOPS, ids=lambda fn: fn.__name__)
def test_every_loop_spelling_knows_its_shapes(fn):
    """Each spelling's body has known shapes: no value summed back at run time,
    products spelled with @ (an int counter `i` indexes `xs[i, :, :]` of a known shape)."""
    source = normalised(specialised(fn, rnn_inputs(np.random.default_rng(0)), WRT))
    assert '_sg_unbroadcast' not in source and '_sg_matmul' not in source, source
    assert 'np.matmul' not in source and 'np.dot' not in source, source
