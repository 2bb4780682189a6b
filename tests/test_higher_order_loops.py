"""Derivatives of order 2 to 4 through loops (the programs: tests/higher_order_programs.py).

The adjoint of a loop is a reverse loop over the tape its forward loop
filled; a second derivative differentiates that reverse loop as any other,
its tape reads sending their gradients back to the forward loop through a
gradient tape (s2sgrad/ad/tape_adjoint.py).  Each control-flow form is
checked against central differences of the order below (float64), to the
fourth order, and against autograd's higher derivatives where autograd can
run the same source.
"""
import pathlib
import re
import runpy

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

import higher_order_programs as programs
from autograd_reference import autograd_grad, autograd_twin

HERE = pathlib.Path(__file__).resolve().parent
RNG = np.random.default_rng(7)
X3 = np.array([0.3, -0.4, 0.8])

# (program, arguments, wrt, does autograd run it?)
CASES = [
    (programs.for_range, (X3,), 0, True),
    (programs.for_range_len, (X3, np.array([0.5, -0.7, 1.1])), (0, 1), True),
    (programs.for_in_rows, (X3, RNG.normal(size=(3, 3)) * 0.5), (0, 1), True),
    (programs.for_in_matmul, (X3, RNG.normal(size=(2, 3, 3)) * 0.5), (0, 1), True),
    (programs.for_in_dot, (X3, RNG.normal(size=(2, 3, 3)) * 0.5), (0, 1), True),
    (programs.while_data_exit, (np.array([0.5, 1.1, -0.3]),), 0, True),
    (programs.for_break, (np.array([0.6, 0.9, 0.2]),), 0, True),
    (programs.for_continue, (X3,), 0, True),
    (programs.early_return, (np.array([0.4, 0.7, 0.1]),), 0, True),
    (programs.branch_in_loop, (np.array([0.2, 0.5, 0.3]),), 0, True),
    (programs.nested_loops, (X3,), 0, True),
    (programs.nested_exits, (np.array([0.4, -0.9, 0.2]),), 0, True),
    (programs.nested_exits, (np.array([0.4, 0.9, 0.2]),), 0, True),
    (programs.helper_in_loop, (X3,), 0, True),
    (programs.list_appended, (X3, np.array([0.4, -0.6, 0.9])), (0, 1), True),
    (programs.carried_list, (X3,), 0, True),
    (programs.buffer_written, (X3,), 0, False),
    (programs.buffer_rows, (X3, RNG.normal(size=(2, 4))), (0, 1), False),
]
IDS = [case[0].__name__ + ('' if case[0] is not programs.nested_exits else
                           '_positive' if case[1][0][1] > 0 else '_negative') for case in CASES]


@pytest.mark.parametrize('f, args, wrt, _', CASES, ids=IDS)
def test_orders_2_to_4_against_central_differences(f, args, wrt, _):
    # check_grads checks each order 1..4: the gradient of order k against central
    # differences of the order k - 1
    check_grads(f, *args, wrt=wrt, order=4)


def _nth(grad, f, order, wrt):
    for _ in range(order):
        f = grad(f, wrt)
    return f


def _sg_grad(f, wrt):
    return sg.grad(f, wrt=wrt)


@pytest.mark.parametrize('f, args, wrt', [case[:3] for case in CASES if case[3]],
                         ids=[f for f, case in zip(IDS, CASES) if case[3]])
def test_against_autograd(f, args, wrt):
    # (autograd cannot run the programs that write into arrays)
    twin = autograd_twin(HERE / 'higher_order_programs.py')[f.__name__]
    for order in (2, 3):
        mine = _nth(_sg_grad, f, order, wrt)(*args)
        theirs = _nth(autograd_grad, twin, order, wrt)(*args)
        for a, b in zip(mine if isinstance(wrt, tuple) else (mine,),
                        theirs if isinstance(wrt, tuple) else (theirs,)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


V = np.array([0.7, -0.2, 0.5])


@pytest.mark.parametrize('f', [programs.for_range, programs.while_data_exit,
                               programs.branch_in_loop, programs.buffer_written],
                         ids=lambda f: f.__name__)
def test_hessian_vector_products(f):
    # sg.grad(lambda x: np.sum(sg.grad(f)(x) * v)): H v, column by column the Hessian
    x = np.array([0.5, 1.1, -0.3]) if f is programs.while_data_exit else X3
    grad_f = sg.grad(f)
    hessian = np.empty((3, 3))
    for k in range(3):
        e = np.zeros(3)
        e[k] = 1.0
        hessian[:, k] = sg.grad(lambda x: np.sum(grad_f(x) * e))(x)
    hv = sg.grad(lambda x: np.sum(grad_f(x) * V))(x)
    np.testing.assert_allclose(hv, hessian @ V, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-8, atol=1e-10)
    h = 1e-5
    numeric = (grad_f(x + h * V) - grad_f(x - h * V)) / (2 * h)
    np.testing.assert_allclose(hv, numeric, rtol=1e-6, atol=1e-8)


LAYERS = [(RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=3)) for _ in range(3)]
grad_wrt_layers = sg.grad(programs.layers_in_a_list, wrt=1)


def picks_from_the_gradient(x, layers):
    g = grad_wrt_layers(x, layers)
    return np.sum(g[0][0] * g[0][0]) + np.sum(g[2][1])


def test_a_list_of_layers():
    # a list of (W, b) walked by the loop: second and third order w.r.t. x, and the
    # derivative of entries of the gradient w.r.t. the list (some entries unread)
    check_grads(programs.layers_in_a_list, X3, LAYERS, wrt=0, order=3)
    check_grads(picks_from_the_gradient, X3, LAYERS, wrt=0, order=1)


def test_the_docs_section_runs(tmp_path):
    # docs/derivatives.md, "Higher derivatives through loops": its python blocks
    page = (HERE.parent / 'docs' / 'derivatives.md').read_text()
    section = page.split('## Higher derivatives through loops', 1)[1].split('\n## ', 1)[0]
    blocks = re.findall(r'^```python\n(.*?)^```$', section, re.S | re.M)
    assert blocks
    program = tmp_path / 'section.py'
    program.write_text('\n\n'.join(blocks))
    runpy.run_path(str(program), run_name='docs_derivatives')


# ---- sg.gradients of gradients, in a graph ----

@sg.graph
def gradients_of_gradients_while(x):
    loss = programs.while_data_exit(x)
    (g,) = sg.gradients(loss, [x])
    (h,) = sg.gradients(g, [x], grad_ys=[V])      # H v
    (k,) = sg.gradients(np.sum(h * h), [x])       # a third order
    return g, h, k


@sg.graph
def gradients_of_gradients_break(x):
    loss = programs.for_break(x)
    (g,) = sg.gradients(loss, [x])
    (h,) = sg.gradients(g, [x], grad_ys=[V])
    (k,) = sg.gradients(np.sum(h * h), [x])
    return g, h, k


@pytest.mark.parametrize('graph, f, x', [
    (gradients_of_gradients_while, programs.while_data_exit, np.array([0.5, 1.1, -0.3])),
    (gradients_of_gradients_break, programs.for_break, np.array([0.6, 0.9, 0.2]))],
    ids=['while', 'break'])
def test_gradients_of_gradients_in_a_graph(graph, f, x):
    g, h, k = graph(x)
    grad_f = sg.grad(f)
    np.testing.assert_allclose(g, grad_f(x), rtol=1e-12)
    hv = sg.grad(lambda x: np.sum(grad_f(x) * V))
    np.testing.assert_allclose(h, hv(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(k, sg.grad(lambda x: np.sum(hv(x) ** 2))(x), rtol=1e-10,
                               atol=1e-12)
    step = 1e-5
    numeric = [(np.sum(hv(x + step * e) ** 2) - np.sum(hv(x - step * e) ** 2)) / (2 * step)
               for e in np.eye(3)]
    np.testing.assert_allclose(k, numeric, rtol=1e-5, atol=1e-7)


@sg.graph
def gradient_of_a_loop_inside_a_loop(x):
    y = x
    for _ in range(2):
        z = y
        for _ in range(2):
            z = np.sin(z) * x
        (g,) = sg.gradients(np.sum(z), [y])
        y = y + 0.1 * g
    return np.sum(y)


def test_a_gradient_taken_inside_a_loop_differentiated_again():
    # the inner gradient's reverse loop runs in each outer iteration; its second
    # and third derivatives go through both
    check_grads(gradient_of_a_loop_inside_a_loop, X3, order=2)
