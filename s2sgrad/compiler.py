"""The pipeline, top to bottom.  Read this file to learn the whole system.

    user function
      frontend.source.capture   source + absolute lines + closure/globals -> gast tree
      frontend.lowering.lower_function  gast -> IR (one primitive op per statement, calls inlined);
                                each `gradients(...)` call is differentiated right where it
                                stands (ad.site.gradients_site), because the code after it
                                may use its results
      ad.reverse.differentiate  sg.grad / sg.value_and_grad: the adjoint of the whole body,
                                for a call's Specialisation (specialisation.py: the
                                arguments' float-ness, shapes, dtypes), from the forward
                                code's shape classes (computed here, handed over); in a
                                shape specialisation the forward code first gets one
                                spelling of each computation (passes.canonical: np.dot is @)
    then PASSES, in order (what each reads besides the graph -> what it produces):
      check views               passes.inplace.check_views: `row = y[0]` read after y is
                                assigned into becomes a checked subscript
      dead code                 passes.simplify: unused forward values, unwanted rule outputs
      peephole                  passes.peephole, reads specialisation: adjoint rewrites that
                                need the readers of a rule's result
      dead code                 again: the peepholes' leftovers
      verify                    ir.verify: IR invariants (every use defined before, SSA)
      inplace                   passes.inplace.decide, reads shapes, dtypes, folds ->
                                inplace_plan: x[i] = v in place where no later read can
                                tell, else on a copy; in a call's specialisation (shapes
                                and dtypes known), an elementwise result written into a
                                dead operand too (a folded temporary is read where its
                                reader's statement runs: passes.fold)
      big arrays                reads shapes, dtypes -> big_arrays: the values that are
                                arrays of BIG_BYTES or more
      sizes used                reads specialisation, forward_shapes, shapes -> sizes_used:
                                did a decision hold for the arrays' exact sizes only
                                (analyses.shapes)?  Else the code serves every call
                                with their ranks, dtypes and unit dimensions
    and when first asked for:
      codegen.emit              graph + inplace_plan + big_arrays -> one ast tree of
                                readable Python (temporaries folded into their single use
                                by passes.fold's plan), big dead arrays released, printed
                                once by codegen.printer
      codegen.loader            compile under a file name registered in linecache

A pass changes the graph or produces a typed result, never an attribute hung on
a shared object.  What a pass may read: the pipeline's inputs (specialisation,
forward_shapes), an earlier pass's result, or an analysis (`ANALYSES`:
sizes_matter, shapes, dtypes, folds), computed when a pass first reads it and
kept until a pass changes the graph.
"""
import collections.abc
import contextlib
import dataclasses
import functools
import gc
import inspect
import math

import numpy as np

from .ad import forward, reverse, site
from .analyses.dtypes import Dtypes, may_be_complex as _may_be_complex
from .analyses.leaves import Container, Leaf
from .analyses.shapes import ShapeClasses
from .codegen import emit as codegen
from .codegen.loader import file_name, load
from .codegen.spelling import user_aliases
from .errors import TransformError
from .frontend.context import Context
from .frontend.lowering import NO_EXTRAS, FunctionLowering, lower_function
from .ir import verify
from .ir.builder import Builder
from .ir.clone import inline_graph
from .ir.graph import Graph, Param
from .ir.nodes import Const, Op, Pack, Value, values_in, walk
from .ad.terms import grad_hint
from .passes import canonical, fold, inplace
from .passes.containers import read_leaves_once
from .passes.peephole import simplify_adjoint
from .passes.simplify import eliminate_dead_code
from .specialisation import GENERAL


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Run a transformation with the cyclic garbage collector paused.

    A transformation builds a graph of objects that all stay alive until it
    ends; every collection in between only walks that growing graph again,
    which made transform time grow faster than the function's length.  The
    collector resumes (if it was on) when the transformation ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Compiled:
    """A transformed function: its graph and the passes' results at once, its source
    and live function when first asked for (a gradient needs only its target's
    graph, `.source` no function)."""

    def __init__(self, graph, docstring=None, specialisation=GENERAL,
                 inplace_plan=None, big=frozenset(), sizes_used=False, folds=None):
        self.graph = graph          # after simplification: what `.graph` shows
        self.docstring = docstring
        self.specialisation = specialisation
        self.sizes_used = sizes_used    # made for its arguments' exact sizes only
        self.inplace_plan = inplace_plan if inplace_plan is not None else inplace.InplacePlan()
        self.big = big
        self.folds = folds          # the pipeline's fold plan, if it made one: codegen's
        # numbered now, so that names do not depend on which function runs first
        self.filename = file_name(f'{graph.name} from {graph.origin.short}')

    @functools.cached_property
    def generated(self):
        """codegen.Generated: source, namespace, line origins."""
        with _cyclic_gc_paused():
            aliases = user_aliases(self.graph.namespaces)
            folds, self.folds = self.folds, None        # (the source keeps what it needs)
            return codegen.emit(self.graph, aliases, reserved=_reserved(self.graph),
                                docstring=self.docstring, floats=self.specialisation.floats,
                                inplace=self.inplace_plan, big=self.big, folds=folds,
                                argument_kinds=_argument_kinds(self.graph, self.specialisation))

    @functools.cached_property
    def function(self):
        """The live generated function (registered in linecache under `filename`)."""
        generated = self.generated
        with _cyclic_gc_paused():
            return load(generated, self.filename)


@_cyclic_gc_paused()
def transform(fn, name=None, extras=NO_EXTRAS, classes=None):
    """`@graph`: the function itself in static-graph form, every gradients(...) site
    expanded; with *args or **kwargs, for a call with `extras`; for the class trees
    `classes` of the objects a call passes (frontend.lowering)."""
    graph = lower_function(fn, site.gradients_site, extras, classes)
    if name:
        graph.name = name
    return _finish(graph, docstring=graph.docstring)


@_cyclic_gc_paused()
def transform_grad(target_graph, wrt, with_value, name, specialisation=GENERAL,
                   has_aux=False, sums_outputs=False, adjoint=None):
    """`grad` / `value_and_grad`: the adjoint of `target_graph` w.r.t. the params in `wrt`.

    The target's graph is copied into a new function with fresh values; its
    output (an array: its elements summed) is the ys; the params named by wrt
    the xs.  `has_aux`: the output is `(loss, aux)`, loss the ys, aux returned
    beside the gradient as the forward computed it.  A tuple or list output is
    an error, unless `sums_outputs` (the target is a gradient: its gradients
    are summed, the `sum(dy/dx)` rule).
    `specialisation` (keyed by argument position): what a call's arguments are.
    Python floats: no broadcasting can happen, so no gradient is summed back
    to a shape.  Shapes: gradients are summed back to a shape only where a
    broadcast happened.  Shapes and dtype samples: results are written into
    dead operands of their shape and dtype (passes.inplace).
    `adjoint`: another transform's adjoint in place of the gradient
    (transforms.Adjoint: vjp's cotangent as a parameter, jacrev's seed loop).
    """
    builder = Builder()
    params, ctx, result = _copied(target_graph, builder)
    extra = [] if adjoint is None else [  # (name, kind), or (name, kind, default)
        Param(spec[0], Value(spec[0], target_graph.origin), *spec[2:], kind=spec[1])
        for spec in adjoint.params(params)]
    named = f'{target_graph.name} ({target_graph.origin.short})'   # in errors: the user's file:line
    if has_aux:
        result, aux = _loss_and_aux(result, has_aux, sums_outputs, target_graph)
        _check_constant_outputs(result, named)
    else:
        _check_constant_outputs(result, named)      # (`return [1, 2]`: its ints first)
        result, aux = _loss_and_aux(result, has_aux, sums_outputs, target_graph)
    ys = list(values_in(result))
    single = not isinstance(wrt, tuple)
    wrt = (wrt,) if single else wrt
    xs = [params[i].value for i in wrt]
    specialisation = specialisation.bound([p.value for p in params + extra])
    lowering = FunctionLowering.for_adjoint(ctx, builder)
    # the forward code's shape classes: the AD's, which the sweep completes with its
    # regions' blocks; the passes read them to know whether any array is big
    forward_shapes = ShapeClasses(builder.visible_ops(), specialisation.scalars,
                                  specialisation.shapes)
    if specialisation.shapes is not None:     # one spelling of each computation
        canonical.respell(builder.stack[0], forward_shapes, specialisation.samples, ys)
        read_leaves_once(builder.stack[0], specialisation.shapes,
                         set(ys) | set(values_in(aux) if aux is not None else ()))
    differentiate = functools.partial(
        reverse.differentiate, origin=target_graph.origin, cast_like=True,
        specialisation=specialisation, forward_shapes=forward_shapes, outputs_of=named,
        check_every_output=_may_be_complex(target_graph, specialisation.samples))
    if adjoint is None:
        grads = differentiate(lowering, ys, xs, name=f'grad of {target_graph.name}')
    else:
        grads = adjoint.differentiate(lowering, ys, xs, [p.value for p in extra],
                                      differentiate, target_graph, specialisation)
    grads = grads[0] if single else Pack('tuple', grads)
    if has_aux:         # as JAX: (gradient, aux), or ((value, aux), gradient)
        result = Pack('tuple', [result, aux])
        if not with_value:
            grads = Pack('tuple', [grads, aux])
    if with_value:
        grads = Pack('tuple', [result, grads])
    graph = ctx.record_in(Graph(name, params + extra, builder.stack[0], grads,
                                target_graph.origin))
    graph.return_origin = target_graph.origin   # the final casts fold into the return
    names = ', '.join(params[i].name for i in wrt)
    what = 'Value and gradient' if with_value else 'Gradient'
    what = what if adjoint is None else adjoint.what
    return _finish(graph, docstring=f'{what} of {target_graph.name} w.r.t. {names} '
                                    f'(generated by s2sgrad).', specialisation=specialisation,
                   forward_shapes=forward_shapes)


def _copied(target_graph, builder):
    """The target's body appended to `builder` with fresh values: its new parameters,
    the transformation's context (continuing the target's), its result operand."""
    params = [Param(p.name, Value(p.name, p.value.origin), p.default, p.kind)
              for p in target_graph.params]
    ctx = Context.continuing(target_graph)
    result = inline_graph(target_graph, [p.value for p in params], builder, lists=ctx.lists,
                          tape_copies=ctx.tape_copies)
    return params, ctx, result


def jvp_graph(target_graph, name, active=None, complex_values=False):
    """The graph of `target_graph`'s forward mode: `(x, ..., dx, ...) -> (out, dout)`.

    Every parameter gets a tangent parameter named after it (`dW` for W),
    holding a tangent of the same structure as the argument; `active[i]` False:
    parameter i has none (a constant).  Every parameter is positional there (a
    keyword-only one too; *args a tuple, **kwargs a dict: the body takes their
    items out).  `complex_values`: a call passes complex values (else the
    function may still make some: `_may_be_complex`).  (The entry point of the
    forward-mode transforms: jvp, and built on it jacfwd.)
    """
    def seeded(params):
        for p in params:
            # (every primal is passed, by position: tangent parameters follow)
            p.default, p.kind = None, 'positional'
        taken = {p.name for p in params}
        tangents = []
        for i, p in enumerate(params):
            if active is None or active[i]:
                tangent = grad_hint(p.value)
                while tangent in taken:     # (`dA` a parameter already, or a jvp of a jvp)
                    tangent += '_'
                taken.add(tangent)
                tangents.append((i, Param(tangent, Value(tangent, p.value.origin), None,
                                          p.kind)))
        return tangents
    made = _forward_mode(target_graph, seeded, complex_values=complex_values)
    graph = made.ctx.record_in(Graph(name, made.params + made.tangent_params, made.body,
                                     Pack('tuple', [made.result, made.tangent]),
                                     target_graph.origin))
    graph.return_origin = target_graph.return_origin
    return graph


def transform_jvp(target_graph, name, active=None, complex_values=False):
    """`jvp`: the forward mode of `target_graph` (`jvp_graph`), through the passes."""
    graph = jvp_graph(target_graph, name, active, complex_values)
    count = len(target_graph.params)
    names = ', '.join(p.name for p in graph.params[:count])
    tangents = ', '.join(p.name for p in graph.params[count:])
    return _finish(graph, docstring=f'Value and tangent (forward mode) of {target_graph.name} '
                                    f'at ({names}) along ({tangents}) (generated by s2sgrad).')


@_cyclic_gc_paused()
def transform_hvp(gradient, wrt, seed, name, of, specialisation=GENERAL, sizes_used=False):
    """`hvp`: forward mode over a gradient's graph (forward over reverse): the tangent of
    the gradient along the parameter `seed` (its (name, kind)) as the tangent of
    parameter `wrt`, the others held.  One pass: the gradient's code, each op
    followed by its tangent.  `specialisation` is keyed by argument position (the
    seed's last); `sizes_used`: the gradient's code held for exact sizes only; `of`:
    the name of the function whose gradient it is."""
    def seeded(params):
        x = params[wrt].value
        return [(wrt, Param(seed[0], Value(seed[0], x.origin), None, seed[1]))]
    made = _forward_mode(gradient, seeded, specialisation)
    made.shapes.sizes_used = made.shapes.sizes_used or sizes_used
    graph = made.ctx.record_in(Graph(name, made.params + made.tangent_params, made.body,
                                     made.tangent, gradient.origin))
    graph.return_origin = gradient.return_origin
    return _finish(graph, docstring=f'Hessian-vector product of {of} w.r.t. '
                                    f'{made.params[wrt].name} along {seed[0]} (forward over '
                                    f'reverse, generated by s2sgrad).',
                   specialisation=made.specialisation, forward_shapes=made.shapes)


@dataclasses.dataclass
class _ForwardMode:
    """What `_forward_mode` made: the copied parameters and those of the tangents, the
    body (the code with its tangents), the result and its tangent."""
    params: list
    tangent_params: list
    body: object
    result: object
    tangent: object
    ctx: object
    specialisation: object
    shapes: object


def _forward_mode(target_graph, seeded, specialisation=GENERAL, complex_values=False):
    """The target's body copied with fresh values and walked in order by `ad.forward`,
    which appends each op's tangent after it.  `seeded(params)` gives the tangent
    parameters, as [(index of the parameter, its tangent's Param)] (it may change
    the copied parameters); `specialisation`, keyed by argument position, the
    parameters' then the tangents', is bound to them.  `complex_values`: a call
    passes complex values (the function may make some too: `_may_be_complex`)."""
    scratch = Builder()
    params, ctx, result = _copied(target_graph, scratch)
    ops = scratch.stack[0].ops
    seeds = seeded(params)
    tangent_params = [t for _, t in seeds]
    specialisation = specialisation.bound([p.value for p in params + tangent_params])
    builder = Builder()
    lowering = FunctionLowering.for_adjoint(ctx, builder)
    shapes = ShapeClasses(ops, specialisation.scalars, specialisation.shapes)
    walk_forward = forward.Forward(lowering, ops, {params[i].value: t.value for i, t in seeds},
                                   values_in(result), shapes,
                                   complex_values or _may_be_complex(target_graph, None))
    walk_forward.run(ops)
    tangent = walk_forward.of_or_zero(result, target_graph.origin)
    return _ForwardMode(params, tangent_params, builder.stack[0], result, tangent, ctx,
                        specialisation, shapes)


def _loss_and_aux(result, has_aux, sums_outputs, graph):
    """The output to differentiate and the aux (None without has_aux).  A tuple or
    list output is `(loss, aux)` with has_aux, and an error without it (as in JAX:
    summing it silently would differentiate what the user did not mean), unless
    `sums_outputs`."""
    where = graph.return_origin or graph.origin
    pair = isinstance(result, Pack) and result.kind in ('tuple', 'list')
    if has_aux:
        if not (pair and len(result.items) == 2):
            raise TransformError(f'has_aux=True: {graph.name} must return a pair '
                                 f'(loss, aux) written as a tuple', where)
        return result.items
    if pair and not sums_outputs:
        raise TransformError(f'grad: {graph.name} returns a {result.kind}: a differentiated '
                             f'function returns one array or float; to return '
                             f'(loss, aux), pass has_aux=True', where)
    return result, None


def _check_constant_outputs(result, name):
    """sg.grad of a function that returns None (no `return`), a string, an int, ...
    known when transforming: a TypeError, as JAX and autograd give, not zeros."""
    if isinstance(result, Pack):
        for item in result.items:
            _check_constant_outputs(item, name)
    elif isinstance(result, Const) and not isinstance(result.value, (float, np.floating)):
        what = 'None (no return statement?)' if result.value is None else \
            f'{type(result.value).__name__} {result.value!r}'[:80]
        raise TypeError(f'grad: {name} returned {what}: a differentiated function must '
                        f'return a float or an array of floats')


def _finish(graph, docstring=None, specialisation=GENERAL, forward_shapes=None):
    """The passes after lowering and AD, for a function or a specialisation of a
    gradient (`forward_shapes`: the AD's shape classes of the forward code)."""
    pipeline = _Pipeline(graph, specialisation=specialisation, forward_shapes=forward_shapes)
    pipeline.run(PASSES)
    # the fold plan the in-place pass read (no pass after it changes the graph)
    return Compiled(graph, docstring, specialisation, pipeline.results['inplace_plan'],
                    pipeline.results['big_arrays'], pipeline.results['sizes_used'],
                    pipeline.analyses.get('folds'))


@dataclasses.dataclass(frozen=True)
class Pass:
    """One step of the pipeline: `run(graph, *what it reads)`.

    `reads` names the results of earlier steps and the analyses it reads;
    `produces` names its result (None: it has none); `changes_graph`: it
    rewrites the graph, so the analyses computed before are stale after it.
    """

    name: str
    run: collections.abc.Callable
    reads: tuple = ()
    produces: str = None
    changes_graph: bool = False


class _Pipeline:
    """Runs passes over one graph, keeping their results and the analyses they read
    (computed when first read, forgotten when a pass changes the graph)."""

    def __init__(self, graph, **given):
        self.graph = graph
        self.results = dict(given)      # the pipeline's inputs, then each pass's result
        self.analyses = {}

    def read(self, name):
        if name in self.results:
            return self.results[name]
        if name not in self.analyses:
            self.analyses[name] = ANALYSES[name](self)
        return self.analyses[name]

    def run(self, passes):
        for step in passes:
            result = step.run(self.graph, *map(self.read, step.reads))
            if step.changes_graph:
                self.analyses.clear()
            if step.produces is not None:
                self.results[step.produces] = result


def _sizes_matter(pipeline):
    """Are shapes and dtypes worth computing: known (a call's specialisation), and
    some array of the forward code -- whose shapes are those of the adjoint's too --
    of a size worth writing into or releasing?"""
    forward_shapes = pipeline.read('forward_shapes')
    return pipeline.read('specialisation').samples is not None and \
        forward_shapes is not None and \
        _most_elements(forward_shapes) * 16 >= inplace.SMALL_BYTES


def _shapes(pipeline):
    """The shape classes of the graph as it now is (the peepholes changed some)."""
    if not pipeline.read('sizes_matter'):
        return None
    return ShapeClasses(pipeline.graph.body.ops, shapes=pipeline.read('specialisation').shapes)


def _dtypes(pipeline):
    if not pipeline.read('sizes_matter'):
        return None
    return Dtypes(pipeline.graph.body.ops, pipeline.read('specialisation').samples)


def _folds(pipeline):
    """The fold plan (passes.fold) of the graph as it now is, for the in-place
    pass's decisions on sizes (codegen reads it too, once they are taken:
    FoldPlan.after_inplace)."""
    if not pipeline.read('sizes_matter'):
        return None
    return fold.plan(pipeline.graph)


# The analyses a pass may read, by name (None where sizes do not matter).
ANALYSES = {'sizes_matter': _sizes_matter, 'shapes': _shapes, 'dtypes': _dtypes,
            'folds': _folds}


def _big_arrays(graph, shapes, dtypes):
    """The values known to be arrays of BIG_BYTES or more."""
    if shapes is None:
        return frozenset()
    big = set()
    for op in walk(graph.body):
        if getattr(op, 'prim', None) is np.broadcast_to and isinstance(op.args[0], Const):
            continue            # a constant stretched: no memory of its own
        for v in op.outputs:
            shape = shapes.shape_of(v)
            dtype = dtypes.dtype(v)
            if shape and dtype is not None and math.prod(shape) * dtype.itemsize >= BIG_BYTES:
                big.add(v)
    return frozenset(big)


def _sizes_used(graph, specialisation, forward_shapes, shapes):
    """Did the AD, a rule or a pass take a decision from a shape that holds for the
    arguments' exact sizes only (analyses.shapes: `sizes_used`)?  The forward
    code's classes saw every forward op; the final graph's see the adjoint."""
    if specialisation.shapes is None:
        return False
    if shapes is None:
        shapes = ShapeClasses(graph.body.ops, shapes=specialisation.shapes)
    return forward_shapes.sizes_used or shapes.sizes_used


# The passes after lowering and AD, in order.  Views the user's code reads after
# an assignment are marked checked first: such reads may be dead in a gradient.
# Dead code goes next (the peepholes count readers, codegen folds temporaries by
# use count), and again after the peepholes' leftovers; the in-place decisions
# after it (reads that no longer exist do not force copies).
PASSES = (
    Pass('check views', inplace.check_views, changes_graph=True),
    Pass('dead code', eliminate_dead_code, changes_graph=True),
    Pass('peephole', simplify_adjoint, reads=('specialisation',), changes_graph=True),
    Pass('dead code', eliminate_dead_code, changes_graph=True),
    Pass('verify', verify.verify),
    Pass('inplace', inplace.decide, reads=('shapes', 'dtypes', 'folds'),
         produces='inplace_plan'),
    Pass('big arrays', _big_arrays, reads=('shapes', 'dtypes'), produces='big_arrays'),
    Pass('sizes used', _sizes_used, reads=('specialisation', 'forward_shapes', 'shapes'),
         produces='sizes_used'),
)


# An array of at least this many bytes is big: a temporary of its size is computed
# on its own where that lets a result be written into it, and it is released
# (`del`) once the body no longer needs it.  Smaller ones keep the user's
# expressions whole and live until the function returns, without a line each.
BIG_BYTES = 1 << 16


def _most_elements(shapes):
    """The most elements of an array whose shape is known."""
    return max((math.prod(c) for c in shapes.classes.values() if isinstance(c, tuple)),
               default=0)


def _argument_kinds(graph, specialisation):
    """Parameter -> list or np.ndarray, where the call's arguments tell (codegen copies
    a list passed in as a list before assigning an item of it)."""
    samples = specialisation.samples or {}
    kinds = {}
    for param in graph.params:
        if isinstance(samples.get(param.value), np.ndarray):
            kinds[param.value] = np.ndarray
        container = samples.get(Leaf(param.value, ()))
        if isinstance(container, Container) and container.kind is list:
            kinds[param.value] = list
    return kinds


def _reserved(graph):
    names = set()
    for ns in graph.namespaces:
        names.update(n for n, v in ns.items() if inspect.ismodule(v))
    return names


__all__ = ['transform', 'transform_grad', 'transform_jvp', 'transform_hvp', 'jvp_graph',
           'Compiled', 'TransformError']
