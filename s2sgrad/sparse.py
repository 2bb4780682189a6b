"""`jacobian(f, wrt, sparse=True)`: the Jacobian as a scipy.sparse csr matrix, shape
(out.size, x.size) (the columns of each x in a tuple wrt side by side).

For a call, `analyses/sparsity.py` finds which output elements depend on which
input elements from f's graph and the call's integer arguments (kept per
shapes and integer arguments: `SparseJacobian.plan`); `colouring.py` colours
its columns (forward mode: `jacfwd`) or rows (reverse mode: `jacrev`);
`jacobian` takes whichever needs fewer colours.  The generated function takes
the pattern as three arguments after f's (`colours`, the colour of each column
or row; `rows` and `columns`, the pattern's nonzeros) and computes one pass
per colour: forward mode with the colours' indicator vectors as seeds, batched
along a leading axis where jacfwd's seeds batch (ad/batching.py), else a loop;
reverse mode a loop of adjoints seeded with the rows' indicators.  It then
reads each nonzero off its colour's pass (`values = compressed[colours[columns],
rows]`) into `_sg_sparse_jacobian` (runtime/sparse.py, SciPy's csr_matrix).
Where the pattern cannot be found, a `SparsityWarning` names the op and line,
and the Jacobian is computed densely and converted.
"""
import collections
import hashlib
import inspect
import warnings

import numpy as np

from .ad import site
from .api import GraphFunction, graph, resolve_wrt
from .arguments import holds_methods_of
from .classes import NeedsClasses
from .compiler import _check_constant_outputs, _copied, _finish, jvp_graph
from .errors import SparsityWarning, TransformError
from .colouring import fewest_passes
from .frontend.lowering import FunctionLowering
from .frontend.source import capture
from .gathers import LocalTarget, candidate_ops, column_map, gathers, local_arguments
from .ir.builder import Builder
from .ir.graph import Graph, Param
from .ir.nodes import Const, Pack, Value
from .analyses.shapes import ShapeClasses
from .ad.batching import NotBatched, batched
from .ad.interface import gradients
from .jacfwd import JacfwdFunction, _batched_forward, _forward, _lowered
from .runtime.sparse import _sg_gathered_columns, _sg_sparse_jacobian
from .specialisation import GENERAL, Specialisation
from .transforms import InlinedGraph, JacobianFunction, _Adjoint, forward_again

PATTERN = ('colours', 'rows', 'columns')
_PLANS = 8      # the plans kept per function (shapes and integer arguments)


# ---- the templates of the generated code -------------------------------------------------
def _coloured_batched(xs, tangent_of, args, colours, rows, columns):
    """The compressed Jacobian in one forward-mode pass: the seeds of colour c are 1
    at the columns of colour c, stacked along a leading axis (tangent_of: the forward
    mode with its tangents batched); each nonzero read off its column's colour."""
    count = np.max(colours, initial=-1) + 1
    indicators = np.eye(count, dtype=np.result_type(*xs))
    starts = np.cumsum([0] + [np.size(x) for x in xs])
    seeds = [np.reshape(indicators[:, colours[starts[i]:starts[i + 1]]],
                        (count,) + np.shape(xs[i])) for i in range(len(xs))]
    out, tangents = tangent_of(*args, *seeds)
    compressed = np.reshape(tangents, (count, np.size(out)))
    values = compressed[colours[columns], rows]
    return _sg_sparse_jacobian(values, rows, columns, (np.size(out), starts[-1]))


def _coloured_columns(xs, out, tangent_of, args, colours, rows, columns):
    """`_coloured_batched` with one forward-mode pass per colour, in a loop."""
    count = np.max(colours, initial=-1) + 1
    indicators = np.eye(count, dtype=np.result_type(*xs))
    starts = np.cumsum([0] + [np.size(x) for x in xs])
    seeds = [np.reshape(indicators[:, colours[starts[i]:starts[i + 1]]],
                        (count,) + np.shape(xs[i])) for i in range(len(xs))]
    compressed = np.zeros((count, np.size(out)), dtype=np.result_type(out, *xs))
    for c in range(count):
        compressed[c] = np.ravel(tangent_of(*args, *[seed[c] for seed in seeds])[1])
    values = compressed[colours[columns], rows]
    return _sg_sparse_jacobian(values, rows, columns, (np.size(out), starts[-1]))


def _coloured_rows(y, xs, again, forward, args, colours, rows, columns):
    """The compressed Jacobian by reverse mode: one adjoint per colour, seeded with 1
    at the output elements of that colour; each nonzero read off its row's colour."""
    count = np.max(colours, initial=-1) + 1
    seeds = np.reshape(np.eye(count, dtype=np.result_type(y))[:, colours],
                       (count,) + np.shape(y))
    starts = np.cumsum([0] + [np.size(x) for x in xs])
    compressed = np.zeros((count, starts[-1]), dtype=np.result_type(*xs))
    for c in range(count):
        found = gradients(forward(*args) if again else y, xs, grad_ys=seeds[c],
                          unconnected_gradients='zero')
        compressed[c] = np.concatenate([np.ravel(g) for g in found])
    values = compressed[colours[rows], columns]
    return _sg_sparse_jacobian(values, rows, columns, (np.size(y), starts[-1]))


# ---- forward mode ---------------------------------------------------------------------------
def transform_coloured_jacfwd(target_graph, wrt, name, names, specialisation=GENERAL,
                              batch=True):
    """The graph of the coloured forward-mode Jacobian: f's parameters, then the
    pattern's (`names`); `_coloured_batched` where the seeds batch, else
    `_coloured_columns`."""
    builder = Builder()
    params, ctx, result = _copied(target_graph, builder)
    _check_constant_outputs(result, f'{target_graph.name} ({target_graph.origin.short})')
    if isinstance(result, Pack):
        raise TransformError(f'jacobian: {target_graph.name} returns a {result.kind}: a '
                             f'sparse Jacobian of an array or float output only',
                             target_graph.return_origin or target_graph.origin)
    extra = [Param(n, Value(n, target_graph.origin), _default(params)) for n in names]
    by_position = specialisation
    specialisation = specialisation.bound([p.value for p in params + extra])
    forward_shapes = ShapeClasses(builder.visible_ops(), specialisation.scalars,
                                  specialisation.shapes)
    lowering = FunctionLowering.for_adjoint(ctx, builder)
    env = dict(xs=Pack('tuple', [params[i].value for i in wrt]),
               args=Pack('tuple', [p.value for p in params]),
               **{key: p.value for key, p in zip(PATTERN, extra)})
    tangent_of, why = _batched_forward(target_graph, wrt, by_position, ctx) if batch else \
        (None, 'asked for')
    if tangent_of is not None:
        jacobian = _lowered(lowering, _coloured_batched, tangent_of=Const(tangent_of), **env)
    else:
        jacobian = _lowered(lowering, _coloured_columns, out=result, tangent_of=Const(
            InlinedGraph(_forward(target_graph, wrt))), **env)
    graph = ctx.record_in(Graph(name, params + extra, builder.stack[0], jacobian,
                                target_graph.origin))
    graph.return_origin = target_graph.origin
    xs = ', '.join(params[i].name for i in wrt)
    how = 'one pass, the seeds of every colour batched' if why is None else \
        f'one pass per colour ({why})'
    return _finish(graph, docstring=f'Sparse Jacobian (forward mode) of {target_graph.name} '
                                    f'w.r.t. {xs} (generated by s2sgrad), given its pattern '
                                    f'({", ".join(names)}): {how}.',
                   specialisation=specialisation, forward_shapes=forward_shapes)


class ColouredJacfwd(JacfwdFunction):
    """The generated function of a sparse Jacobian by forward mode: f's arguments, then
    the pattern's (`PATTERN`, named apart from f's parameters)."""

    prefix = 'sparse_jacfwd_'

    def __init__(self, target, wrt):
        super().__init__(target, wrt)
        self.names = _names(self.signature)
        self.signature = self.__signature__ = _with_pattern(self.signature, self.names)

    def _compile(self, specialisation=GENERAL):
        target = self.target.graph
        self._guards = target.guards
        return transform_coloured_jacfwd(target, _as_tuple(self.indices), self.__name__,
                                         self.names, specialisation, self.batch_seeds)


# ---- reverse mode ---------------------------------------------------------------------------
class _ColouredSeeds(_Adjoint):
    """The coloured reverse mode: `_coloured_rows`, after the forward code."""

    what = 'Sparse Jacobian (reverse mode)'

    def __init__(self, names, indices):
        self.names, self.indices = names, indices

    def params(self, params):
        default = _default(params)
        return tuple((name, 'positional', default) for name in self.names)

    def differentiate(self, lowering, ys, xs, extra, differentiate, target, specialisation):
        if len(ys) != 1 or isinstance(target.result, Pack):
            raise TransformError(f'jacobian: {target.name} returns a container: a sparse '
                                 f'Jacobian of an array or float output only',
                                 target.return_origin or target.origin)
        # (transform_grad is given the first x only, so that the result is the Jacobian
        # itself: every x's columns are in it)
        xs = [specialisation.params[i] for i in self.indices]
        env = {'y': ys[0], 'xs': Pack('tuple', xs), 'again': Const(forward_again(lowering)),
               'forward': Const(InlinedGraph(target)),
               'args': Pack('tuple', list(specialisation.params[:len(target.params)])),
               **dict(zip(PATTERN, extra))}
        jacobian = FunctionLowering(lowering.ctx, lowering.builder, capture(_coloured_rows),
                                    env, gradients_site=site.gradients_site).lower_body()
        return [jacobian]


class ColouredJacrev(JacobianFunction):
    """The generated function of a sparse Jacobian by reverse mode (as ColouredJacfwd)."""

    prefix = 'sparse_jacrev_'

    def __init__(self, target, wrt):
        super().__init__(target, _as_tuple(wrt)[0])
        self.names = _names(self.signature)
        self.adjoint = _ColouredSeeds(self.names, _as_tuple(wrt))
        self.signature = self.__signature__ = _with_pattern(self.signature, self.names)


def _names(signature):
    """PATTERN's names, each with `_` added where f has a parameter of that name."""
    names = []
    for name in PATTERN:
        while name in signature.parameters:
            name += '_'
        names.append(name)
    return tuple(names)


def _with_pattern(signature, names):
    params = list(signature.parameters.values())
    default = inspect.Parameter.empty if all(p.default is p.empty for p in params) else None
    return signature.replace(parameters=params + [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
        for name in names])


def _default(params):
    """The pattern's parameters' default: None after f's parameters with defaults (a
    call passes them all the same)."""
    return None if all(p.default is None for p in params) else Const(None)


def _as_tuple(indices):
    return indices if isinstance(indices, tuple) else (indices,)


# ---- the api ----------------------------------------------------------------------------------
Plan = collections.namedtuple('Plan', 'pattern mode colours count rows columns why local',
                              defaults=(None,))
Plan.__doc__ = """What a call's shapes and integer arguments decide: the Jacobian's
`pattern` (csr bool, or None where it could not be found: `why`), the `mode`
('forward' or 'reverse'), the `colours` of its columns (forward) or rows
(reverse) and their `count` (the passes), the pattern's nonzeros (`rows`,
`columns`).  Its columns are the xs' in their parameters' order.  `local`: where
the Jacobian is preaccumulated at gathers (gathers.py), a Local (its colours and
count are then the local Jacobian's; `why` says so)."""

Local = collections.namedtuple('Local', 'jacobian gathers into repeats')
Local.__doc__ = """The preaccumulated plan: the SparseJacobian of f with its gathers'
results as parameters (`jacobian`), the `gathers`, the column of J each of its
columns adds to (`into`), and whether a row has two of them added into one
column (`repeats`: their sum made one entry)."""


class SparseJacobian:
    """`jacobian(f, wrt, sparse=True)` (`jacfwd`, `jacrev`: `mode`): called as f, it
    returns the Jacobian as a scipy.sparse csr matrix of shape (out.size, n), n the
    sizes of the xs in wrt summed.  `plan(*args)`: the pattern, the colours and the
    mode a call uses; `.last`: the plan of the last call; `.source`,
    `source_for(*args)`, `export(path)`: the generated code (its last three
    parameters are the pattern's: `plan(*args)` gives them)."""

    def __init__(self, fn, wrt=0, mode='auto'):
        try:
            import scipy.sparse  # noqa: F401
        except ImportError:
            raise TypeError('jacobian(..., sparse=True) returns a scipy.sparse matrix: it '
                            'needs SciPy, which is not installed') from None
        if mode not in ('auto', 'forward', 'reverse'):
            raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', not {mode!r}")
        self.target = fn if isinstance(fn, GraphFunction) else graph(fn)
        self.signature = self.__signature__ = self.target.signature
        # the passes take the xs in their parameters' order (the forward mode's tangent
        # parameters'); a call's result has its columns in wrt's (`_in_wrt_order`)
        self.asked = _as_tuple(resolve_wrt(wrt, self.signature, self.target.__name__))
        self.indices = tuple(sorted(self.asked))
        self.single = not isinstance(wrt, (tuple, list))
        self.mode = mode
        self.__name__ = 'sparse_jacobian_' + self.target.__name__
        self._plans = collections.OrderedDict()
        self._functions = {}
        self._locals = {}           # (graph, gather ops) -> the local SparseJacobian
        # 'auto': preaccumulated at gathers where that needs fewer passes; 'always'
        # wherever it can be (tests), 'never'
        self.preaccumulate = 'auto'
        self.last = None

    def _function(self, mode):
        if mode not in self._functions:
            kind = ColouredJacfwd if mode == 'forward' else ColouredJacrev
            wrt = self.indices[0] if self.single else self.indices
            self._functions[mode] = kind(self.target, wrt)
        return self._functions[mode]

    def _bound(self, args, kwargs):
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if bound.kwargs:
            raise TypeError(f'jacobian(..., sparse=True): {self.target.__name__} takes '
                            f'positional parameters only (yet)')
        return bound.args

    def plan(self, *args, **kwargs):
        """The Plan of a call with these arguments (computed once per shapes and
        integer arguments; a SparsityWarning where the pattern is not found)."""
        args = self._bound(args, kwargs)
        try:
            graph = self.target.graph   # (made again where a global it read has changed)
            if holds_methods_of(graph.value_methods, args, {}):
                raise NeedsClasses('a method named as an array method of')
        except NeedsClasses:
            warnings.warn(f'jacobian(..., sparse=True) of {self.target.__name__}: the '
                          f'sparsity pattern is not known (a method of an object passed in); '
                          f'computing the Jacobian densely', SparsityWarning, stacklevel=3)
            return Plan(None, self.mode, None, None, None, None,
                        'a method of an object passed in')
        key = (graph,) + _key(args, self.indices)
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
            return plan
        plan = self._make_plan(graph, args)
        self._plans[key] = plan
        if len(self._plans) > _PLANS:
            self._plans.popitem(last=False)
        return plan

    def _make_plan(self, graph, args):
        # (imported here: the patterns need SciPy, which s2sgrad's import must not)
        from .analyses.sparsity import PatternUnknown, dependency_pattern
        for i in self.indices:
            if not isinstance(args[i], (float, np.floating, np.ndarray)) or \
                    not np.issubdtype(np.result_type(args[i]), np.floating):
                name = list(self.signature.parameters)[i]
                raise TypeError(f'jacobian: argument {name!r} of {self.target.__name__} is '
                                f'not an array of floats: a sparse Jacobian w.r.t. arrays '
                                f'and floats only')
        ops = candidate_ops(graph, self.indices)
        abstracts = {op.args[1]: None for op in ops}
        try:
            pattern = dependency_pattern(graph, args, self.indices, abstracts)
        except PatternUnknown as exc:
            warnings.warn(f'jacobian(..., sparse=True) of {self.target.__name__}: the '
                          f'sparsity pattern is not known ({exc}); computing the Jacobian '
                          f'densely', SparsityWarning, stacklevel=4)
            return Plan(None, self.mode, None, None, None, None, str(exc))
        rows, columns = pattern.nonzero()
        rows, columns = rows.astype(np.int64), columns.astype(np.int64)
        mode, colours, count = fewest_passes(
            pattern, ('forward', 'reverse') if self.mode == 'auto' else (self.mode,))
        plan = Plan(pattern, mode, colours, count, rows, columns, None)
        if not ops or self.preaccumulate == 'never':
            return plan
        return self._at_gathers(graph, args, ops, abstracts, plan)

    def _at_gathers(self, graph, args, ops, abstracts, plain):
        """The plan preaccumulated at the gathers of `ops` (gathers.py) where its local
        Jacobian needs fewer passes than `plain`, else `plain`."""
        found = gathers(graph, args, self.indices, ops, abstracts)
        if not found:
            return plain
        key = (graph,) + tuple(id(g.op) for g in found)
        local = self._locals.get(key)
        if local is None:
            target = LocalTarget(self.target, graph, found)
            if not target.differentiated(self.indices):
                return plain
            local = self._locals[key] = SparseJacobian(
                target, target.differentiated(self.indices), self.mode)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', SparsityWarning)
            inner = local.plan(*args, *local_arguments(args, found))
        if inner.pattern is None or (inner.count >= plain.count and
                                     self.preaccumulate != 'always'):
            return plain
        kind = 'row' if inner.mode == 'reverse' else 'column'
        plain_kind = 'row' if plain.mode == 'reverse' else 'column'
        why = (f'preaccumulated at {len(found)} gather(s) '
               f'({", ".join(g.name for g in found)}): {inner.count} {kind} colours of the '
               f'local Jacobian, against {plain.count} {plain_kind} colours of the Jacobian')
        into = column_map(args, self.indices, found, local.indices)
        merged = _sg_gathered_columns(inner.pattern.astype(np.int8), into,
                                      plain.pattern.shape[1], True)
        return plain._replace(mode=inner.mode, colours=inner.colours, count=inner.count,
                              why=why, local=Local(local, found, into,
                                                   merged.nnz != inner.pattern.nnz))

    def __call__(self, *args, **kwargs):
        args = self._bound(args, kwargs)
        plan = self.last = self.plan(*args)
        if plan.pattern is None:
            return self._dense(args)
        if plan.local is not None:
            local = plan.local.jacobian(*args, *local_arguments(args, plan.local.gathers))
            return self._in_wrt_order(_sg_gathered_columns(
                local, plan.local.into, plan.pattern.shape[1], plan.local.repeats), args)
        found = self._function(plan.mode)(*args, plan.colours, plan.rows, plan.columns)
        return self._in_wrt_order(found, args)

    def _in_wrt_order(self, jacobian, args):
        """The columns of each x in wrt's order (the plan's are in parameter order)."""
        if self.asked == self.indices:
            return jacobian
        sizes = {i: int(np.size(args[i])) for i in self.indices}
        starts = dict(zip(self.indices, np.cumsum([0] + [sizes[i] for i in self.indices])))
        return jacobian[:, np.concatenate([starts[i] + np.arange(sizes[i])
                                           for i in self.asked])]

    def _dense(self, args):
        import scipy.sparse
        wrt = self.asked[0] if self.single else self.asked
        kind = JacobianFunction if self.mode == 'reverse' else JacfwdFunction
        dense = kind(self.target, wrt)(*args)
        blocks = [dense] if self.single else list(dense)
        m = int(np.size(blocks[0])) // max(int(np.size(args[self.asked[0]])), 1)
        return scipy.sparse.csr_matrix(np.hstack([
            np.reshape(block, (m, int(np.size(args[i])))) for block, i in zip(blocks, self.asked)]))

    @property
    def source(self):
        """The general code (forward mode where `mode` is 'auto')."""
        return self._function('reverse' if self.mode == 'reverse' else 'forward').source

    def source_for(self, *args, **kwargs):
        """The code a call with these arguments runs (its plan's mode)."""
        args = self._bound(args, kwargs)
        plan = self.plan(*args)
        if plan.pattern is None:
            return None
        if plan.local is not None:
            return plan.local.jacobian.source_for(
                *args, *local_arguments(args, plan.local.gathers))
        return self._function(plan.mode).source_for(*args, plan.colours, plan.rows,
                                                    plan.columns)

    def export(self, path, like=None):
        """A standalone module of the code (NumPy and SciPy only): `like`, example
        arguments, export the code their plan's mode runs.  The plain plan's code
        only (its pattern arguments from a plan made with `preaccumulate` 'never'):
        a preaccumulated plan's colours are another Jacobian's."""
        if self.preaccumulate != 'never':
            raise ValueError(f'{self.__name__}.export: the exported code takes the plain '
                             f"plan's pattern; set .preaccumulate = 'never' first (its "
                             f'plan(*args) gives the colours, rows and columns to pass)')
        mode = self.plan(*like).mode if like is not None else \
            'reverse' if self.mode == 'reverse' else 'forward'
        return self._function(mode).export(path)

    def __repr__(self):
        return f'<s2sgrad.SparseJacobian {self.__name__}>'


def _key(args, wrt):
    """What the plan depends on: each argument's shape and dtype, and the values of
    those that are not floats (integer arrays by a digest of their bytes)."""
    return tuple(_part(arg, i in wrt) for i, arg in enumerate(args))


def _part(arg, differentiated):
    if isinstance(arg, np.ndarray):
        if differentiated or np.issubdtype(arg.dtype, np.inexact):
            return ('array', arg.shape, arg.dtype.str)
        return ('array', arg.shape, arg.dtype.str,
                hashlib.blake2b(np.ascontiguousarray(arg).view(np.uint8), digest_size=16)
                .hexdigest())
    if isinstance(arg, (list, tuple)):
        return (type(arg).__name__,) + tuple(_part(item, False) for item in arg)
    if isinstance(arg, dict):
        return ('dict',) + tuple((k, _part(v, False)) for k, v in arg.items())
    if isinstance(arg, (float, complex, np.inexact)):
        return ('float', type(arg).__name__)
    if isinstance(arg, (bool, int, str, bytes, np.integer, np.bool_, type(None))):
        return (type(arg).__name__, arg)
    return ('object', type(arg).__qualname__)   # (a pattern never reads an object's values)


def sparse_jacobian(fn, wrt=0, mode='auto'):
    """The Jacobian of fn w.r.t. wrt as a scipy.sparse csr matrix (SparseJacobian)."""
    return SparseJacobian(fn, wrt, mode)


__all__ = ['sparse_jacobian', 'SparseJacobian', 'SparsityWarning', 'Plan']
