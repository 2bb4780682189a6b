"""The pipeline, top to bottom.  Read this file to learn the whole system.

    user function
      frontend.source.capture   source + absolute lines + closure/globals -> gast tree
      ir.lower.lower_function   gast -> IR (one primitive op per statement, calls inlined);
                                each `gradients(...)` call is differentiated right where it
                                stands (ad.reverse.gradients_site), because the code after it
                                may use its results
      ad.reverse.differentiate  sg.grad / sg.value_and_grad: the adjoint of the whole body
      passes.peephole           adjoint rewrites that need the readers of a rule's result
      passes.simplify           dead code (unused forward values, unwanted rule outputs)
      passes.inplace            x[i] = v in place where no later read can tell, else on a copy;
                                in a call's specialisation (shapes and dtypes known), an
                                elementwise result written into a dead operand too
      ir.verify                 IR invariants (every use defined before, SSA)
      passes.fold               which temporaries are written into their single use (read
                                by passes.inplace in a specialisation, and by codegen)
      codegen.emit              IR -> one ast tree of readable Python, big dead arrays
                                released, printed once by codegen.printer (when first
                                asked for)
      codegen.loader            compile under a file name registered in linecache (when
                                the function is first asked for)
"""
import contextlib
import functools
import gc
import inspect
import math
import warnings

import numpy as np

from .ad import reverse
from .analyses.dtypes import Dtypes
from .analyses.shapes import ShapeClasses
from .codegen import emit as codegen
from .codegen.loader import file_name, load
from .codegen.spelling import user_aliases
from .errors import TransformError
from .ir import verify
from .ir.clone import inline_graph
from .ir.lower import Builder, Context, FunctionLowering, lower_function
from .ir.nodes import Const, Graph, Op, Pack, Param, Value, values_in, walk
from .passes import fold, inplace
from .passes.peephole import simplify_adjoint
from .passes.simplify import eliminate_dead_code


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
    """A transformed function: its graph at once, its source and live function when
    first asked for (a gradient needs only its target's graph, `.source` no function)."""

    def __init__(self, graph, docstring=None, floats=False):
        self.graph = graph          # after simplification: what `.graph` shows
        self.docstring = docstring
        self.floats = floats
        # numbered now, so that names do not depend on which function runs first
        self.filename = file_name(f'{graph.name} from {graph.origin.short}')

    @functools.cached_property
    def generated(self):
        """codegen.Generated: source, namespace, line origins."""
        with _cyclic_gc_paused():
            aliases = user_aliases(self.graph.namespaces)
            return codegen.emit(self.graph, aliases, reserved=_reserved(self.graph),
                                docstring=self.docstring, floats=self.floats)

    @functools.cached_property
    def function(self):
        """The live generated function (registered in linecache under `filename`)."""
        generated = self.generated
        with _cyclic_gc_paused():
            return load(generated, self.filename)


@_cyclic_gc_paused()
def transform(fn, name=None):
    """`@graph`: the function itself in static-graph form, every gradients(...) site expanded."""
    graph = lower_function(fn, gradients_site=reverse.gradients_site)
    if name:
        graph.name = name
    return _finish(graph, docstring=graph.docstring)


@_cyclic_gc_paused()
def transform_grad(target_graph, wrt, with_value, name, scalar_args=False, arg_shapes=None,
                   arg_samples=None):
    """`grad` / `value_and_grad`: the adjoint of `target_graph` w.r.t. the params in `wrt`.

    The target's graph is copied into a new function with fresh values; its
    outputs (all of them, summed) are the ys; the params named by wrt the xs.
    `scalar_args`: every argument is a Python float (a call's specialisation):
    no broadcasting can happen, so no gradient is summed back to a shape.
    `arg_shapes`: the shapes of a call's arguments (another specialisation):
    gradients are summed back to a shape only where a broadcast happened.
    `arg_samples`: with `arg_shapes`, the dtypes of a call's arguments, as
    samples (analyses.dtypes.sample_of): results are written into dead
    operands of their shape and dtype (passes.inplace).
    """
    params = [Param(p.name, Value(p.name, p.value.origin), p.default, p.kind)
              for p in target_graph.params]
    builder = Builder()
    ctx = Context()
    ctx.namespaces = list(target_graph.namespaces)
    ctx.guards.extend(target_graph.guards)
    ctx.tape_copies = dict(target_graph.tape_copies)
    result = inline_graph(target_graph, [p.value for p in params], builder, lists=ctx.lists)
    named = f'{target_graph.name} ({target_graph.origin.short})'   # in errors: the user's file:line
    _check_constant_outputs(result, named)
    ys = list(values_in(result))
    single = not isinstance(wrt, tuple)
    wrt = (wrt,) if single else wrt
    xs = [params[i].value for i in wrt]
    param_shapes = None if arg_shapes is None else \
        {params[i].value: shape for i, shape in arg_shapes.items()}
    samples = None if arg_samples is None else \
        {params[i].value: s for i, s in arg_samples.items() if s is not None}
    site = _SiteLowering(ctx, builder)
    grads = reverse.differentiate(site, ys, xs, name=f'grad of {target_graph.name}',
                                  origin=target_graph.origin, cast_like=True,
                                  scalars=[p.value for p in params] if scalar_args else (),
                                  shapes=param_shapes, outputs_of=named,
                                  check_every_output=_may_be_complex(target_graph, samples))
    grads = grads[0] if single else Pack('tuple', grads)
    if with_value:
        grads = Pack('tuple', [result, grads])
    graph = Graph(name, params, builder.stack[0], grads, target_graph.origin)
    graph.namespaces = ctx.namespaces
    graph.guards = ctx.guards
    graph.tape_copies = ctx.tape_copies
    graph.lists = ctx.lists
    graph.return_origin = target_graph.origin   # the final casts fold into the return
    names = ', '.join(params[i].name for i in wrt)
    what = 'Value and gradient' if with_value else 'Gradient'
    return _finish(graph, docstring=f'{what} of {target_graph.name} w.r.t. {names} '
                                    f'(generated by s2sgrad).', floats=scalar_args,
                   param_shapes=param_shapes, samples=samples,
                   forward_shapes=getattr(builder, 'shape_classes', None))


def _may_be_complex(graph, samples):
    """Can the function's output be complex (a complex literal, argument or dtype, an
    FFT)?  Then even an output that depends on the xs is checked to be real floats."""
    def complex_const(operand):
        if isinstance(operand, Pack):
            return any(complex_const(item) for item in operand.items)
        return isinstance(operand, Const) and (
            isinstance(operand.value, (complex, np.complexfloating, np.ndarray))
            and np.iscomplexobj(operand.value) or
            isinstance(operand.value, (type, np.dtype, str)) and _is_complex_type(operand.value))
    if any(np.iscomplexobj(s) for s in (samples or {}).values()):
        return True
    for op in walk(graph.body):
        if not isinstance(op, Op):
            continue            # a region: its ops come next
        if getattr(op.prim, '__module__', None) == 'numpy.fft' or \
                any(complex_const(a) for a in list(op.args) + list(op.kwargs.values())):
            return True
    return False


def _is_complex_type(dtype):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')     # (deprecated aliases: 'a' is a dict key)
            return np.issubdtype(np.dtype(dtype), np.complexfloating)
    except Exception:       # (NumPy's parser raises SyntaxError on 'i,j->')
        return False        # not a dtype: an einsum subscript, a mode, a class


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


class _SiteLowering(FunctionLowering):
    """The lowering context of an `sg.grad` adjoint: rules lower through it."""

    def __init__(self, ctx, builder):
        self.ctx = ctx
        self.builder = builder


def _finish(graph, docstring=None, floats=False, param_shapes=None, samples=None,
            forward_shapes=None):
    """The passes after lowering and AD, for a function or a specialisation of a
    gradient (`param_shapes`, `samples`: its parameters' shapes and dtype samples;
    `forward_shapes`: the AD's shape classes of the forward code)."""
    # Views the user's code reads after an assignment are marked checked first:
    # such reads may be dead in a gradient.  Dead code goes next (the peepholes
    # count readers, codegen folds temporaries by use count), and again after
    # the peepholes' leftovers.
    inplace.check_views(graph, graph.tape_copies)
    eliminate_dead_code(graph)
    simplify_adjoint(graph, param_shapes, floats, samples)
    eliminate_dead_code(graph)
    verify.verify(graph)
    # after dead code (reads that no longer exist do not force copies)
    shapes = dtypes = None
    # (nothing to do where no array of the forward code -- whose shapes are those of
    # the adjoint's too -- is of a size worth writing into or releasing)
    if samples is not None and forward_shapes is not None and \
            _most_elements(forward_shapes) * 16 >= inplace.SMALL_BYTES:
        # the shapes of the code as it now is (the peepholes changed some)
        shapes = ShapeClasses(graph.body.ops, shapes=param_shapes)
        dtypes = Dtypes(graph.body.ops, samples)
    inplace.decide(graph, graph.tape_copies, shapes, dtypes,
                   fold.plan(graph) if shapes is not None else None)
    if shapes is not None:
        graph.big = _big_arrays(graph, shapes, dtypes)
    return Compiled(graph, docstring, floats)


# An array of at least this many bytes is big: a temporary of its size is computed
# on its own where that lets a result be written into it, and it is released
# (`del`) once the body no longer needs it.  Smaller ones keep the user's
# expressions whole and live until the function returns, without a line each.
BIG_BYTES = 1 << 16


def _most_elements(shapes):
    """The most elements of an array whose shape is known."""
    return max((math.prod(c) for c in shapes.classes.values() if isinstance(c, tuple)),
               default=0)


def _big_arrays(graph, shapes, dtypes):
    """The values known to be arrays of BIG_BYTES or more."""
    big = set()
    for op in walk(graph.body):
        if getattr(op, 'prim', None) is np.broadcast_to and isinstance(op.args[0], Const):
            continue            # a constant stretched: no memory of its own
        for v in op.outputs:
            shape = shapes.shape_of(v)
            dtype = dtypes.dtype(v)
            if shape and dtype is not None and math.prod(shape) * dtype.itemsize >= BIG_BYTES:
                big.add(v)
    return big


def _reserved(graph):
    names = set()
    for ns in graph.namespaces:
        names.update(n for n, v in ns.items() if inspect.ismodule(v))
    return names


__all__ = ['transform', 'transform_grad', 'Compiled', 'TransformError']
