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
from .ir.nodes import Block, Const, Op, Pack, Value, values_in, walk
from .runtime import helpers

Gather = collections.namedtuple('Gather', 'op position source index name')
Gather.__doc__ = """A gather taken as a local input: its `op` (`x[idx]`), x's parameter
`position`, its `source` (None: x itself; k: the result of gather k, read by a
constant index), the `index` of this call, the local parameter's `name`."""

# what may not read a gather's result: writes into it, an alias (a name written
# into later), the runtime's check of a value being a view
_WRITES = (prims.SETITEM, prims.INPLACE_ADD, prims.ALIAS, helpers._sg_is_view)


def candidate_ops(graph, wrt):
    """The top-level `x[idx]` ops of graph whose x is a parameter in wrt, and the
    reads of their results by a constant index (`c[:, 0]`), each result only
    read: the index Values of the first kind decide for a call (`gathers`)."""
    params = {graph.params[i].value for i in wrt}
    written = {v for op in walk(graph.body) if isinstance(op, Op) and op.prim in _WRITES
               for v in op.inputs()}
    written |= set(graph.lists) | set(graph.tape_copies) | set(graph.tape_copies.values())
    found, sources = [], set()
    for op in graph.body.ops:
        if not (isinstance(op, Op) and (op.prim is operator.getitem and len(op.args) == 2 and
                                        not op.kwargs or _take_rows(op))) or \
                len(op.outputs) != 1 or type(op.args[0]) is not Value or \
                op.outputs[0] in written:
            continue
        if (op.args[0] in params and type(op.args[1]) is Value) or \
                (op.args[0] in sources and _constant(op.args[1]) is not None):
            found.append(op)
            sources.add(op.outputs[0])
    return found


def _take_rows(op):
    """Is op `np.take(x, idx, axis=0)`, which is x[idx] for an integer array idx?"""
    if op.prim is not np.take:
        return False
    axis = op.args[2] if len(op.args) == 3 and not op.kwargs else \
        op.kwargs.get('axis') if len(op.args) == 2 and set(op.kwargs) <= {'axis'} else None
    return isinstance(axis, Const) and type(axis.value) is int and axis.value == 0


def _constant(index):
    """A constant index operand's value (a tuple for `[:, 0]`), else None."""
    if isinstance(index, Const):
        return (index.value,)
    if isinstance(index, Pack) and index.kind == 'index' and \
            all(isinstance(item, Const) for item in index.items):
        return tuple(item.value for item in index.items)
    return None


def gathers(graph, args, wrt, ops, abstracts):
    """The Gathers among `ops` (candidate_ops) for a call with `args`, given the
    Abstracts of their index values (analyses.sparsity's): by an integer array
    computed from no float, of an argument of one or more dimensions; then reads of
    those by constant indices."""
    params = {graph.params[i].value: i for i in wrt}
    taken = {p.name for p in graph.params}
    found, values, at = [], [], {}
    for op in ops:
        if op.args[0] in params:
            position, source = params[op.args[0]], None
            x, index = args[position], abstracts.get(op.args[1])
            if index is None or not index.stable or not isinstance(index.value, np.ndarray) \
                    or not np.issubdtype(index.value.dtype, np.integer) or \
                    index.value.ndim < 1 or np.ndim(x) < 1:
                continue
            index = index.value
        elif op.args[0] in at:
            source = at[op.args[0]]
            position, x = found[source].position, values[source]
            index = _constant(op.args[1])
            index = index[0] if len(index) == 1 else index
        else:
            continue
        value = x[index]
        if np.ndim(value) < 1:
            continue
        hint = op.outputs[0].hint
        name = hint if hint.isidentifier() and not op.outputs[0].temp else \
            'gathered' if source is None else f'{found[source].name}_part'
        number = 1
        while name in taken:
            number += 1
            name = f'{name.rstrip("0123456789_")}_{number}'
        taken.add(name)
        at[op.outputs[0]] = len(found)
        found.append(Gather(op, position, source, index, name))
        values.append(value)
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

    def differentiated(self, wrt):
        """The positions of the local Jacobian's inputs: the xs in wrt, then the
        gathers' results, each where the local graph reads it."""
        graph = self._compiled.graph
        read = set(values_in(graph.result)) if graph.result is not None else set()
        for op in walk(graph.body):
            for operand in op.operands():
                read.update(values_in(operand))
        first = len(self.target.signature.parameters)
        return tuple(i for i in tuple(wrt) + tuple(range(first, len(graph.params)))
                     if graph.params[i].value in read)

    @property
    def compiled(self):
        return self._compiled

    def _forget(self):
        pass


def local_arguments(args, found):
    """The local inputs of a call: each gather run on its argument (or on the
    result of the gather it reads)."""
    values = []
    for g in found:
        values.append((args[g.position] if g.source is None else values[g.source])[g.index])
    return values


def column_map(args, wrt, found, local):
    """For each column of the local Jacobian (its inputs `local`: positions among the
    xs in wrt, then among f's parameters and the gathers' results, flattened), the
    column of J it adds to."""
    sizes = [int(np.size(args[i])) for i in wrt]
    starts = dict(zip(wrt, np.cumsum([0] + sizes)))
    ids = {i: starts[i] + np.arange(sizes[j]).reshape(np.shape(args[i]))
           for j, i in enumerate(wrt)}
    first = len(args)
    for k, g in enumerate(found):
        ids[first + k] = (ids[g.position] if g.source is None
                          else ids[first + g.source])[g.index]
    return np.concatenate([np.ravel(ids[i]) for i in local] + [np.zeros(0, np.int64)]) \
        .astype(np.int64)
