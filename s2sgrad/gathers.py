"""Preaccumulation at gathers, for `jacobian(f, wrt, sparse=True)` (sparse.py).

Where f reads a differentiated argument x through gathers, `c = x[idx]` with
idx an integer array, f(x) = h(x, c_1, ..., c_K) with c_k = x[idx_k], and by the
chain rule

    J = dh/dx + sum_k dh/dc_k @ G_k,    G_k[(i, j), (idx_k[i], j)] = 1,

so the Jacobian of h w.r.t. its *local* inputs (the gathers' results, and x
itself for its other uses) gives J by re-indexing its columns: column (i, j)
of c_k is column (idx_k[i], j) of x, duplicates summed.  h's Jacobian is often
far more separable than f's (bundle adjustment: each residual reads only its
own observation's camera and point rows), so its rows or columns need fewer
colours.

A gather is taken as a local input only where the rewrite is provably the
same function: the op is `x[idx]` itself (getitem with one index) at the top
level of f's body (run once per call, not in a loop or branch); x is a
parameter in wrt, an array of one or more dimensions, read as passed (no
write to it comes first: a write makes a new version, another value); idx is
an integer array (not boolean) of one or more dimensions that depends on no
float (so it is the same for every call of the plan: the pattern's `stable`);
and the result is never written into, aliased, or checked for being a view
(the gradient code's in-place writes).  Any other gather stays in h.
"""
import collections
import inspect
import operator

import numpy as np

from .api import GraphFunction
from .ir import prims
from .ir.graph import Graph, Param
from .ir.nodes import Block, Const, Op, Value, walk
from .runtime import helpers

Gather = collections.namedtuple('Gather', 'op position index name')
Gather.__doc__ = """A gather taken as a local input: its `op` (`x[idx]`), x's parameter
`position`, the `index` array of this call, the local parameter's `name`."""

# what may not read a gather's result: writes into it, an alias (a name written
# into later), the runtime's check of a value being a view
_WRITES = (prims.SETITEM, prims.INPLACE_ADD, prims.ALIAS, helpers._sg_is_view)


def candidate_ops(graph, wrt):
    """The top-level `x[idx]` ops of graph whose x is a parameter in wrt and whose
    result is only read: the Values whose call values decide (`gathers`)."""
    params = {graph.params[i].value: i for i in wrt}
    written = {v for op in walk(graph.body) if isinstance(op, Op) and op.prim in _WRITES
               for v in op.inputs()}
    written |= set(graph.lists) | set(graph.tape_copies) | set(graph.tape_copies.values())
    found = []
    for op in graph.body.ops:
        if isinstance(op, Op) and op.prim is operator.getitem and len(op.args) == 2 and \
                not op.kwargs and len(op.outputs) == 1 and type(op.args[0]) is Value and \
                op.args[0] in params and type(op.args[1]) is Value and \
                op.outputs[0] not in written:
            found.append(op)
    return found


def gathers(graph, args, wrt, ops, abstracts):
    """The Gathers among `ops` (candidate_ops) for a call with `args`, given the
    Abstracts of their index values (analyses.sparsity's)."""
    params = {graph.params[i].value: i for i in wrt}
    taken = {p.name for p in graph.params}
    found = []
    for op in ops:
        index = abstracts.get(op.args[1])
        x = args[params[op.args[0]]]
        if index is None or not index.stable or not isinstance(index.value, np.ndarray) or \
                not np.issubdtype(index.value.dtype, np.integer) or index.value.ndim < 1 or \
                np.ndim(x) < 1:
            continue
        hint = op.outputs[0].hint
        name = hint if hint.isidentifier() and not op.outputs[0].temp else 'gathered'
        while name in taken:
            name += '_'
        taken.add(name)
        found.append(Gather(op, params[op.args[0]], index.value, name))
    return found


def local_graph(graph, found):
    """graph with each gather's result a parameter (after f's) in place of its op."""
    ops = {id(g.op) for g in found}
    default = None if all(p.default is None for p in graph.params) else Const(None)
    params = list(graph.params) + [Param(g.name, g.op.outputs[0], default) for g in found]
    local = Graph(graph.name, params, Block([op for op in graph.body.ops if id(op) not in ops]),
                  graph.result, graph.origin, graph.docstring)
    for field in ('return_origin', 'namespaces', 'guards', 'tape_copies', 'lists',
                  'value_methods', 'writes_containers'):
        setattr(local, field, getattr(graph, field))
    return local


class _Compiled:
    __slots__ = ('graph',)

    def __init__(self, graph):
        self.graph = graph


class LocalTarget(GraphFunction):
    """f with its gathers' results as parameters (`local_graph`): the target of the
    local Jacobian's transforms (they copy its graph; nothing compiles it)."""

    def __init__(self, target, graph, found):
        self.target = target
        self.python_function = target.python_function
        self.__name__ = self.__qualname__ = target.__name__
        self.__doc__ = target.__doc__
        self.__module__ = target.__module__
        self.__wrapped__ = target.python_function
        params = list(target.signature.parameters.values())
        default = inspect.Parameter.empty if all(p.default is p.empty for p in params) \
            else None
        self.signature = self.__signature__ = target.signature.replace(parameters=params + [
            inspect.Parameter(g.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
            for g in found])
        self._compiled = _Compiled(local_graph(graph, found))
        self._guards = graph.guards

    @property
    def compiled(self):
        return self._compiled

    def _forget(self):
        pass


def local_arguments(args, found):
    """The local inputs of a call: each gather run on its argument."""
    return [args[g.position][g.index] for g in found]


def column_map(args, wrt, found):
    """For each column of the local Jacobian (the xs in wrt, then each gather's result,
    flattened), the column of J it adds to."""
    sizes = [int(np.size(args[i])) for i in wrt]
    starts = dict(zip(wrt, np.cumsum([0] + sizes)))
    parts = [starts[i] + np.arange(sizes[j]) for j, i in enumerate(wrt)]
    for g in found:
        ids = np.arange(int(np.size(args[g.position]))).reshape(np.shape(args[g.position]))
        parts.append(starts[g.position] + np.ravel(ids[g.index]))
    return np.concatenate(parts).astype(np.int64)
