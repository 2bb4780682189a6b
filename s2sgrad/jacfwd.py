"""`jacfwd(f, wrt)`: the Jacobian by forward mode, shape out.shape + x.shape.

The generated function runs the forward mode of f (compiler.jvp_graph, x the
only argument with a tangent) seeded with the n one-hot tangents of x's
shape; the tangents of the output are the Jacobian's columns.  Where every op
on the way has a batch rule and the ranks are known (a call's
specialisation), the seeds go in at once, stacked along a leading axis, and
one pass gives every column (`_jacobian_batched`, ad/batching.py).  Else f's
output is computed once (its shape sizes the Jacobian), then one pass per
seed in a loop of the generated code (`_jacobian_columns`).  Both are
templates lowered into the graph like user code; the docstring of the
generated function says which ran for each argument, and why.  A tuple wrt
gives a tuple of Jacobians, each from its own passes; a container or object
argument its float leaves' Jacobians in its structure (a dict of them for a
flat dict), one pass per seed of each leaf.
"""
import functools
import inspect

import numpy as np

from .api import GradFunction
from .arguments import defined_at
from .compiler import _check_constant_outputs, _copied, _finish, jvp_graph
from .errors import TransformError
from .frontend.lowering import FunctionLowering
from .frontend.source import capture
from .ir.builder import Builder
from .ir import prims
from .ir.graph import Graph
from .ir.nodes import Const, Pack
from .analyses.dtypes import Dtypes
from .analyses.shapes import ShapeClasses
from .ad.batching import NotBatched, batched
from .specialisation import GENERAL, Specialisation
from .analyses.leaves import FIELD, ITEM
from .frontend.inlining import LocalFunction
from .runtime import gradients_of
from .transforms import (InlinedGraph, JacobianFunction, _container_leaves, _float_keys,
                         _jacobian_like, _read_leaves)


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


def _raveled_columns(x, out, tangent_of, args, seeded, seeding, raveled):
    """`_jacobian_columns` of an output in a container's structure (a gradient w.r.t.
    a container, for its Hessian): of its float leaves raveled into one vector
    (`raveled`), shape (n,) + x.shape."""
    n = np.size(x)
    seeds = np.reshape(np.eye(n, dtype=np.result_type(x)), (n,) + np.shape(x))
    flat = raveled(out)
    jacobian = np.zeros((np.size(flat), n), dtype=np.result_type(flat, x))
    for k in range(n):
        jacobian[:, k] = raveled(tangent_of(*args, seeded(seeds[k], *seeding))[1])
    return np.reshape(jacobian, (np.size(flat),) + np.shape(x))


def _jacobian_batched(x, tangent_of, args):
    """The Jacobian of f w.r.t. x in one forward-mode pass: `tangent_of(*args, seeds)`
    (ad/batching.py: the forward mode carrying the n one-hot seeds along a leading
    axis) gives the n tangents of f's output at once, the Jacobian's columns."""
    n = np.size(x)
    seeds = np.reshape(np.eye(n, dtype=np.result_type(x)), (n,) + np.shape(x))
    out, tangents = tangent_of(*args, seeds)
    return np.reshape(np.moveaxis(tangents, 0, -1), np.shape(out) + np.shape(x))


def _itself(seed):
    """The tangent of an array or float argument: the seed."""
    return seed


class _Raveled(LocalFunction):
    """The float leaves of a gradient in the structure of a container or object argument
    x, raveled into one vector (`_sg_raveled`, called from `_raveled_columns`)."""

    __name__ = '_raveled'

    def __init__(self, paths, x):
        self.paths, self.x = paths, x

    def call(self, caller, args, kwargs, node):
        return caller.builder.emit(gradients_of._sg_raveled,
                                   [args[0], self.x, Const(self.paths)], {},
                                   caller.origin(node), '_flat')


class _AtPath(LocalFunction):
    """The tangent of a container or object argument x that is the seed at a leaf's
    path, zeros elsewhere (`_sg_tangent_at`, called from `_jacobian_columns`)."""

    __name__ = '_tangent_at'

    def __init__(self, path, x):
        self.path, self.x = path, x

    def call(self, caller, args, kwargs, node):
        return caller.builder.emit(gradients_of._sg_tangent_at,
                                   [self.x, Const(self.path), args[0]], {},
                                   caller.origin(node), '_tangent')


def _in_leaf(seed, key, like):
    """The tangent of a dict argument `like` that is the seed at `key`, zeros elsewhere."""
    return {name: seed if name == key else np.zeros_like(like[name]) for name in like}


def transform_jacfwd(target_graph, wrt, name, specialisation=GENERAL, batch=True,
                     hessian=False):
    """The graph of `jacfwd`: f's output, then `_jacobian_batched` or `_jacobian_columns`
    of each x in wrt (`batch=False`: the latter always).  `hessian`: the target is a
    gradient w.r.t. wrt (one parameter), and a container or object there gives
    `_sg_hessian_like`, its leaves' blocks in its structure twice."""
    builder = Builder()
    params, ctx, result = _copied(target_graph, builder)
    _check_constant_outputs(result, f'{target_graph.name} ({target_graph.origin.short})')
    if isinstance(result, Pack) and not hessian:
        raise TransformError(f'jacfwd: {target_graph.name} returns a {result.kind}: a '
                             f'Jacobian of an array or float output only, for now',
                             target_graph.return_origin or target_graph.origin)
    single = not isinstance(wrt, tuple)
    wrt = (wrt,) if single else wrt
    by_position = specialisation
    specialisation = specialisation.bound([p.value for p in params])
    forward_shapes = ShapeClasses(builder.visible_ops(), specialisation.scalars,
                                  specialisation.shapes)
    lowering = FunctionLowering.for_adjoint(ctx, builder)
    args = Pack('tuple', [p.value for p in params])
    jacobians, passes = [], []
    for i in wrt:
        x = params[i].value
        keys = _float_keys(x, specialisation)
        tree = _container_leaves(x, specialisation)
        if hessian and keys is not None:
            tree, keys = [(((ITEM, key),), is_float) for key, is_float in keys.items()], None
        tangent_of, why = (None, 'a dict argument') if keys is not None else \
            (None, 'a container or object argument') if tree is not None else \
            _batched_forward(target_graph, i, by_position, ctx) if batch else \
            (None, 'asked for')
        passes.append(f'{params[i].name}: ' + ('one pass, its seeds batched' if why is None
                                                 else f'one pass per seed ({why})'))
        if tangent_of is not None:
            jacobians.append(_lowered(lowering, _jacobian_batched, x=x, args=args,
                                      tangent_of=Const(tangent_of)))
            continue
        columns = functools.partial(_columns, lowering, result, InlinedGraph(
            _forward(target_graph, i)), args)
        if tree is not None and hessian:
            # the Hessian w.r.t. a container or object: the gradient's float leaves
            # raveled, differentiated w.r.t. each float leaf of x (`_sg_hessian_like`)
            reads = _read_leaves(builder, x, tree, target_graph.origin)
            paths = tuple(tuple((step == FIELD, key) for step, key in path)
                          for path, is_float in tree if is_float)
            raveled = _Raveled(paths, x)
            blocks = [_lowered(lowering, _raveled_columns, x=leaf, out=result,
                               tangent_of=Const(InlinedGraph(_forward(target_graph, i))),
                               args=args, seeded=Const(_AtPath(path, x)),
                               seeding=Pack('tuple', []), raveled=Const(raveled))
                      for leaf, path in zip(reads, paths)]
            jacobians.append(builder.emit(gradients_of._sg_hessian_like,
                                          [x, Const(paths), Pack('tuple', blocks)], {},
                                          target_graph.origin, f'hessian_{x.hint}'))
            continue
        if tree is not None:
            # a container or object (its structure the specialisation's): its Jacobian
            # is in its structure, each float leaf's from a pass per seed of that leaf
            reads = _read_leaves(builder, x, tree, target_graph.origin)
            paths = [tuple((step == FIELD, key) for step, key in path)
                     for path, is_float in tree if is_float]
            jacobians.append(_jacobian_like(builder, x, tree, [
                columns(leaf, _AtPath(path, x), ()) for leaf, path in zip(reads, paths)],
                target_graph.origin))
            continue
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
                                    f'{names} (generated by s2sgrad).  Forward mode, '
                                    f'{"; ".join(passes)}.',
                   specialisation=specialisation, forward_shapes=forward_shapes)


def _forward(target_graph, i):
    """The forward-mode graph of the target, parameter i (or those in a tuple i) the
    only one with a tangent."""
    wrt = i if isinstance(i, tuple) else (i,)
    return jvp_graph(target_graph, f'jvp_{target_graph.name}',
                     [j in wrt for j in range(len(target_graph.params))])


def _batched_forward(target_graph, i, specialisation, ctx):
    """(the forward mode w.r.t. parameter i (or those in a tuple i) with its tangents
    batched along a leading axis, None) where every op on the way has a batch rule
    and the ranks are known (a call's specialisation); else (None, why not)."""
    wrt = i if isinstance(i, tuple) else (i,)
    shapes = specialisation.shapes
    if shapes is None or any(k not in shapes for k in wrt):
        return None, 'the ranks are known only in a call\'s specialisation'
    forward = _forward(target_graph, i)
    count = len(target_graph.params)
    # (positions past f's parameters are the tangents': a caller's own are left out)
    shapes = {k: v for k, v in shapes.items() if not (isinstance(k, int) and k >= count)}
    samples = {k: v for k, v in (specialisation.samples or {}).items()
               if not (isinstance(k, int) and k >= count)}   # (tangents' dtypes: not followed)
    for k, x in enumerate(sorted(wrt)):
        shapes[count + k] = shapes[x]
    bound = Specialisation(shapes=shapes, samples=samples).bound(
        [p.value for p in forward.params])
    # integer array arguments (the index arrays of gathers: `cams[obs[:, 0]]` has a rank)
    integers = [forward.params[k].value for k in range(count)
                if isinstance(samples.get(k), np.ndarray) and isinstance(shapes.get(k), tuple) and
                len(shapes[k]) > 0 and
                np.issubdtype(samples[k].dtype, np.integer)]
    classes = ShapeClasses(forward.body.ops, (), bound.shapes, integers)

    def lower_template(builder, fn, env):
        return FunctionLowering.for_adjoint(ctx, builder).lower_rule(capture(fn), env, None)
    try:
        return InlinedGraph(batched(forward, [p.value for p in forward.params[count:]],
                                    classes, lower_template,
                                    Dtypes(forward.body.ops, bound.samples))), None
    except NotBatched as exc:
        return None, exc.reason + (f' at {exc.origin.short}' if exc.origin is not None else '')


def _lowered(lowering, template, **env):
    return FunctionLowering(lowering.ctx, lowering.builder, capture(template), env).lower_body()


def _columns(lowering, out, tangent_of, args, x, seeded, seeding):
    """`_jacobian_columns` lowered: the Jacobian of out w.r.t. x."""
    return _lowered(lowering, _jacobian_columns, x=x, out=out, tangent_of=Const(tangent_of),
                    args=args, seeded=Const(seeded), seeding=Pack('tuple', list(seeding)))


def _leaf(builder, x, key, origin):
    """The read x[key] of a dict argument, named after it."""
    return builder.emit(prims.GETITEM, [x, Const(key)], {}, origin,
                        f'{x.hint}_{key}' if key.isidentifier() else f'{x.hint}_item',
                        style=('subscript',))


class JacfwdFunction(JacobianFunction):
    """`jacfwd(f, wrt)`: the Jacobian by forward mode, shape out.shape + x.shape (a
    tuple of them for a tuple wrt); `.source`, `source_for(*args)`, `.export(path)`."""

    prefix = 'jacfwd_'
    batch_seeds = True      # False: one pass per seed always (tests compare the two)

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
        return transform_jacfwd(target, self.indices, self.__name__, specialisation,
                                self.batch_seeds)


def jacfwd(fn, wrt=0):
    """The Jacobian of fn w.r.t. the parameters in wrt, by forward mode: shape
    out.shape + x.shape; a tuple of them for a tuple wrt.  One forward-mode pass
    carrying every seed where the code allows (ad/batching.py), else one pass per
    element of each x."""
    return JacfwdFunction(fn, wrt)


__all__ = ['jacfwd', 'JacfwdFunction']
