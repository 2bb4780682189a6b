"""s2sgrad: source-to-source automatic differentiation for Python and NumPy.

    import s2sgrad as sg

    @sg.graph                       # a function in static-graph form
    def loss(W, b, x, t): ...

    sg.gradients(ys, xs, ...)       # tf.gradients, inside a graph
    sg.grad(loss, wrt=(0, 1))       # the gradient function
    sg.value_and_grad(loss)
    @sg.checkpoint                  # recomputed in the reverse pass
    for t in sg.checkpointed(range(T), snapshots=8): ...   # Revolve schedule
    while sg.checkpointed(err > tol, memory='100MB'): ...   # online schedule, a budget
    sg.jvp(loss, primals, tangents)  # forward mode
    sg.vjp, sg.jacrev (= sg.jacobian), sg.jacfwd, sg.hessian, sg.hvp
"""
from .errors import TransformError
from .ad.interface import (AggregationMethod, UnconnectedGradients, checkpointed, gradients,
                           stop_gradient)
from .rules import register_gradient, register_tangent
from .api import GraphFunction, GradFunction, graph, grad, value_and_grad
from .checkpoint import checkpoint
from .forward_api import JvpFunction, jvp, jvp_function
from .transforms import vjp
from .errors import SparsityWarning
from .jacobians import jacfwd, jacobian, jacrev
from .second_order import hessian, hvp

__version__ = '0.1.0'

__all__ = ['graph', 'GraphFunction', 'GradFunction', 'gradients', 'stop_gradient', 'grad',
           'value_and_grad', 'register_gradient', 'register_tangent', 'jvp', 'jvp_function',
           'JvpFunction', 'UnconnectedGradients', 'AggregationMethod',
           'TransformError', 'checkpoint', 'checkpointed', 'vjp', 'jacrev', 'jacobian',
           'hessian', 'hvp', 'jacfwd', 'SparsityWarning']
