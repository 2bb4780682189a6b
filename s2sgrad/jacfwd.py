"""`jacfwd(f, wrt)`: the Jacobian by forward mode, shape out.shape + x.shape.

The generated function computes f's output once (its shape sizes the
Jacobian), then the forward mode of f (compiler.jvp_graph, x the only
argument with a tangent) once per element of x, seeded with that element's
one-hot tangent, in a loop of the generated code (`_jacobian_columns`,
lowered into the graph like user code): column k of the Jacobian is the
tangent of the output.  An (n,) argument costs n forward-mode passes,
whatever the output's size (jacrev costs one per output element).  A tuple
wrt gives a tuple of Jacobians, each from its own passes.
"""
import functools
import inspect

import numpy as np

from .api import GradFunction
from .arguments import defined_at
from .compiler import _copied, _finish, jvp_graph
from .errors import TransformError
from .frontend.lowering import FunctionLowering
from .frontend.inlining import LocalFunction
from .frontend.source import capture
from .ir.builder import Builder
from .ir import clone, prims
from .ir.graph import Graph
from .ir.nodes import Block, Const, Pack, map_operand, walk
from .analyses.shapes import ShapeClasses
from .specialisation import GENERAL
from .transforms import JacobianFunction, _float_keys


def _jacobian_columns(x, out, tangent_of, args, seeded, seeding):
    """The Jacobian of `out` w.r.t. x: column k is the tangent of out along the k-th
    one-hot seed (`tangent_of(*args, tangent)`: the forward mode, inlined; the
    tangent `seeded(seed, *seeding)`).  A template: lowered into the transformed
    graph, so the loop is generated code."""
    n = np.size(x)
    seeds = np.reshape(np.eye(n, dtype=np.result_type(x)), (n,) + np.shape(x))
    jacobian = np.zeros(np.shape(out) + (n,), dtype=np.result_type(out, x))
    for k in range(n):
        jacobian[..., k] = tangent_of(*args, seeded(seeds[k], *seeding))[1]
    return np.reshape(jacobian, np.shape(out) + np.shape(x))


def _itself(seed):
    """The tangent of an array or float argument: the seed."""
    return seed


def _in_leaf(seed, key, like):
    """The tangent of a dict argument `like` that is the seed at `key`, zeros elsewhere."""
    return {name: seed if name == key else np.zeros_like(like[name]) for name in like}


class _TangentPass(LocalFunction):
    """The forward mode of the target w.r.t. one parameter, a function of the target's
    arguments and that parameter's tangent, called by `_jacobian_columns`: its
    graph copied in where it is called.  A dict tangent is a literal there: its
    leaves are read from it directly (`dp['W']` is the seed, not a dict's item)."""

    def __init__(self, graph):
        self.graph = graph
        self.__name__ = graph.name

    def call(self, caller, args, kwargs, node):
        block = caller.builder.block
        start = len(block.ops)
        result = clone.inline_graph(self.graph, args, caller.builder, caller.origin(node),
                                    lists=caller.ctx.lists, tape_copies=caller.ctx.tape_copies)
        copied = Block(block.ops[start:])
        items = {}
        for op in walk(copied):
            packed = op.args[0] if getattr(op, 'prim', None) is prims.GETITEM else None
            if isinstance(packed, Pack) and packed.kind == 'dict' and \
                    isinstance(op.args[1], Const) and op.args[1].value in packed.keys:
                items[op.outputs[0]] = packed.items[packed.keys.index(op.args[1].value)]
        for op in walk(copied):     # (the reads left are dead code: passes.simplify)
            op.replace_inputs(lambda v: items.get(v, v))
        return map_operand(result, lambda v: items.get(v, v))


def transform_jacfwd(target_graph, wrt, name, specialisation=GENERAL):
    """The graph of `jacfwd`: f's output, then `_jacobian_columns` of each x in wrt."""
    builder = Builder()
    params, ctx, result = _copied(target_graph, builder)
    if isinstance(result, Pack):
        raise TransformError(f'jacfwd: {target_graph.name} returns a {result.kind}: a '
                             f'Jacobian of an array or float output only, for now',
                             target_graph.return_origin or target_graph.origin)
    single = not isinstance(wrt, tuple)
    wrt = (wrt,) if single else wrt
    specialisation = specialisation.bound([p.value for p in params])
    forward_shapes = ShapeClasses(builder.visible_ops(), specialisation.scalars,
                                  specialisation.shapes)
    lowering = FunctionLowering.for_adjoint(ctx, builder)
    jacobians = []
    for i in wrt:
        active = [j == i for j in range(len(params))]
        tangent_of = _TangentPass(jvp_graph(target_graph, f'jvp_{target_graph.name}', active))
        x = params[i].value
        keys = _float_keys(x, specialisation)
        columns = functools.partial(_columns, lowering, result, tangent_of,
                                    Pack('tuple', [p.value for p in params]))
        if keys is None:
            jacobians.append(columns(x, _itself, ()))
            continue
        # a dict argument (in a call's specialisation, which knows its keys): its
        # Jacobian is a dict of each float leaf's (None for its integer leaves)
        like = Pack('dict', [_leaf(builder, x, key, target_graph.origin) for key in keys],
                    list(keys))
        jacobians.append(Pack('dict', [
            columns(leaf, _in_leaf, (Const(key), like)) if keys[key] else Const(None)
            for key, leaf in zip(keys, like.items)], list(keys)))
    graph = ctx.record_in(Graph(name, params, builder.stack[0],
                                jacobians[0] if single else Pack('tuple', jacobians),
                                target_graph.origin))
    graph.return_origin = target_graph.origin
    names = ', '.join(params[i].name for i in wrt)
    return _finish(graph, docstring=f'Jacobian (forward mode) of {target_graph.name} w.r.t. '
                                    f'{names} (generated by s2sgrad).',
                   specialisation=specialisation, forward_shapes=forward_shapes)


def _columns(lowering, out, tangent_of, args, x, seeded, seeding):
    """`_jacobian_columns` lowered: the Jacobian of out w.r.t. x."""
    env = {'x': x, 'out': out, 'tangent_of': Const(tangent_of), 'args': args,
           'seeded': Const(seeded), 'seeding': Pack('tuple', list(seeding))}
    return FunctionLowering(lowering.ctx, lowering.builder, capture(_jacobian_columns),
                            env).lower_body()


def _leaf(builder, x, key, origin):
    """The read x[key] of a dict argument, named after it."""
    return builder.emit(prims.GETITEM, [x, Const(key)], {}, origin,
                        f'{x.hint}_{key}' if key.isidentifier() else f'{x.hint}_item',
                        style=('subscript',))


class JacfwdFunction(JacobianFunction):
    """`jacfwd(f, wrt)`: the Jacobian by forward mode, shape out.shape + x.shape (a
    tuple of them for a tuple wrt); `.source`, `source_for(*args)`, `.export(path)`."""

    prefix = 'jacfwd_'

    def __init__(self, target, wrt):
        super().__init__(target, wrt)
        for param in self.signature.parameters.values():
            if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                fn = self.target
                while isinstance(fn, GradFunction):
                    fn = fn.target
                fn = fn.python_function
                raise TypeError(f'jacfwd: {fn.__name__} ({defined_at(fn)}) has parameter '
                                f'{param.name!r} of kind keyword_only: forward mode takes '
                                f'positional parameters only (yet)')

    def _compile(self, specialisation=GENERAL):
        target = self.target.graph
        self._guards = target.guards
        return transform_jacfwd(target, self.indices, self.__name__, specialisation)


def jacfwd(fn, wrt=0):
    """The Jacobian of fn w.r.t. the parameters in wrt, by forward mode: shape
    out.shape + x.shape; a tuple of them for a tuple wrt.  One forward-mode pass
    per element of each x."""
    return JacfwdFunction(fn, wrt)


__all__ = ['jacfwd', 'JacfwdFunction']
