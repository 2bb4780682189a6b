"""Golden files: the generated source, `str(.graph)` and exported module of a few functions.

Run with S2SGRAD_UPDATE_GOLDEN=1 to rewrite them after an intended change,
then read the diff: it is the change a user sees.
"""
import os
import pathlib

import pytest

import bench_workloads
import golden_cases

GOLDEN = pathlib.Path(__file__).parent / 'golden'
UPDATE = os.environ.get('S2SGRAD_UPDATE_GOLDEN') == '1'


def check(name, text):
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
        return
    assert path.exists(), f'missing golden file {path}; run with S2SGRAD_UPDATE_GOLDEN=1'
    assert text == path.read_text(), f'{name} differs from its golden file'


@pytest.mark.parametrize('name', sorted(golden_cases.CASES))
def test_source(name):
    check(f'{name}.source.py', golden_cases.CASES[name].source)


@pytest.mark.parametrize('name', sorted(golden_cases.CASES))
def test_graph(name):
    check(f'{name}.graph.txt', str(golden_cases.CASES[name].graph))


@pytest.mark.parametrize('name', ['grad_mlp_loss', 'value_and_grad_softmax_xent', 'with_helper',
                                  'grad_gather_rows'])
def test_export(name, tmp_path):
    path = tmp_path / 'out.py'
    golden_cases.CASES[name].export(path)
    check(f'{name}.export.py', path.read_text())


def test_export_like_example_arguments(tmp_path):
    """The exported specialisation: shapes decided, arguments checked first."""
    import numpy as np
    like = (np.zeros((3, 2)), np.zeros(2), np.zeros((4, 3)), np.zeros((4, 2)))
    path = tmp_path / 'out.py'
    golden_cases.CASES['grad_mlp_loss'].export(path, like=like)
    check('grad_mlp_loss.export_like.py', path.read_text())


# The code a call of a benchmark workload's gradient with its own inputs runs (the
# elementwise loss is grad_elementwise_for_shapes's).
BENCH_WORKLOADS = {w.name: w for w in bench_workloads.load().workloads()
                   if w.name in ('scalar', 'mlp_small', 'rnn', 'euler', 'pairwise')}


@pytest.mark.parametrize('name', sorted(BENCH_WORKLOADS))
def test_source_for_bench_workload(name):
    import numpy as np
    import s2sgrad as sg
    workload = BENCH_WORKLOADS[name]
    args = workload.make_inputs(np.random.default_rng(0))
    check(f'bench_{name}.source_for.py', sg.grad(workload.fn, wrt=workload.wrt).source_for(*args))
