"""Container arguments read and differentiated as a person writes them, where the
call's specialisation knows their structure (analyses/leaves.py).

A container or object argument stays a run-time value: the AD gives a read
`params['W1']` the gradient `_sg_scatter_add(dW1, params, 'W1')`, sums such
terms with `_sg_accumulate`, and sg.grad casts the sum to the argument's
structure (`_sg_cast_like`).  Knowing the structure:

* `read_leaves_once`: the forward code reads each leaf once, named after its
  key or attribute (`W1 = params['W1']`, so its gradient is `dW1`);
* `displayed_gradients`: a returned gradient that is a sum of such terms at
  constant keys is written as a display of the argument's structure:
  `{'W1': dW1, 'b1': db1}` (keys in the argument's order, zeros where a key
  gets no gradient), `[dW, db]`, `(dW, db)`, and for an object
  `_sg_object_like({'W': dW}, model)`; each leaf's gradient cast to the leaf
  as the general cast would (passes/shaped.py: `plain_returns` drops the casts
  that change nothing).
Where anything differs from these forms (a gradient summed in a loop, a leaf
that is not a float or an array of floats, a NamedTuple), the general code
stays.
"""
import numpy as np

from ..analyses.leaves import KEYS, FIELD, ITEM, Container, Leaf, LeafPaths
from ..codegen import literal
from ..ir import prims
from ..ir.nodes import Const, Op, Pack, Value, blocks_in, map_operand, walk
from ..runtime import containers, helpers, loops
from .adjoint_ops import adjoint_calls, adjoint_producers, definitions, owned, reader_map


def read_leaves_once(body, shapes, outputs):
    """In the top-level block of the forward code `body`, a second read of a leaf (or
    inner container) of an argument on a constant path reads the first; a read
    the user did not name is named after its key.  `shapes`: the
    specialisation's, whose Leaf keys say which arguments are described;
    `outputs`: the values the function returns (kept)."""
    paths = LeafPaths(shapes)
    first, renamed = {}, {}
    for op in list(body.ops):
        op.replace_inputs(lambda v: renamed.get(v, v))
        if not isinstance(op, Op):
            continue
        leaves = paths.results(op)
        if len(leaves) != 1 or leaves[0] is None:
            continue
        out = op.outputs[0]
        if leaves[0] in first and out not in outputs:
            renamed[out] = first[leaves[0]]
            body.ops.remove(op)
            continue
        first[leaves[0]] = out
        if out.temp:
            out.hint, out.temp = _name(leaves[0]), False


def displayed_gradients(graph, shapes, samples):
    """sg.grad's `_sg_cast_like(d, x)` of a container argument x whose gradient d is
    a sum of scatter-adds at constant keys (module docstring), returned as it
    is: the display of x's structure instead.  Did any change?"""
    casts = [op for op in adjoint_calls(graph, helpers._sg_cast_like)
             if op.args[1] in {p.value for p in graph.params}]
    if not casts:
        return False
    paths = LeafPaths(shapes)
    for op in walk(graph.body):
        paths.results(op)
    builder = _Display(graph, paths, samples)
    return any([builder.rewrite(cast) for cast in casts])


class _Display:
    def __init__(self, graph, paths, samples):
        self.graph, self.paths, self.samples = graph, paths, samples
        self.producers = adjoint_producers(graph)
        self.uses = reader_map(graph)
        self.defs = definitions(graph)
        self.readers = {v for op in walk(graph.body) for v in op.inputs()}

    def rewrite(self, cast):
        d, x = cast.args
        if not isinstance(d, Value) or cast.output in self.readers or \
                self.uses.get(d) != [cast]:
            return False
        self.new_ops, self.reads, self.handed = [], {Leaf(x, ()): x}, set()
        for op in self.graph.body.ops:      # (what the forward code reads: at the top)
            for out in op.outputs if isinstance(op, Op) and op.adjoint is None else ():
                if self.paths.at.get(out) is not None:
                    self.reads.setdefault(self.paths.at[out], out)
        self.origin, self.adjoint = cast.origin, cast.adjoint
        display = self._display(Leaf(x, ()), [d])
        if display is None:
            return False
        block = next(b for b in _blocks_with(self.graph, cast))
        at = block.ops.index(cast)
        block.ops[at:at] = self.new_ops
        if isinstance(display, Value):  # (`_sg_object_like(...)`: named as the gradient)
            display.hint, display.temp = cast.output.hint, cast.output.temp
        self.graph.result = map_operand(
            self.graph.result, lambda v: display if v is cast.output else v)
        return True

    def _display(self, leaf, grads, cast=True):
        """The gradient of the container at `leaf`, the sum of `grads`, as a display
        of its structure (an operand), or None.  `cast`: each leaf's gradient cast
        to it and an object's made (`_sg_object_like`); else in the form the
        runtime casts take (an object's: a dict of its attributes'), as the items
        of an object or NamedTuple, which its helper casts."""
        node = self.paths.facts.get(leaf)
        if not isinstance(node, Container):
            return None
        terms = {}
        if not all(self._terms(g, leaf, terms) for g in grads):
            return None
        named = hasattr(node.kind, '_fields')       # a NamedTuple: by index or field
        obj = not issubclass(node.kind, (dict, list, tuple))
        if named:
            for field, index in zip(node.labels, range(node.length)):
                if (FIELD, field) in terms:
                    terms.setdefault((ITEM, index), []).extend(terms.pop((FIELD, field)))
        steps = [(FIELD, label) for label in node.labels] if obj else \
            [(ITEM, label) for label in node.labels] if node.kind is dict else \
            [(ITEM, i) for i in range(node.length)]
        if set(terms) - set(steps):
            return None
        by_helper = obj or named or not cast    # (the items: cast by a helper)
        items, keys = [], []
        for step in steps:
            child = Leaf(leaf.root, leaf.path + (step,))
            if isinstance(self.paths.facts.get(child), Container) and step in terms:
                item = self._display(child, terms[step], cast=not by_helper)
            elif by_helper:
                # cast as the general code casts (zeros, or None, for items without
                # a gradient; an object's static attributes copied)
                if step not in terms and (obj or node.kind is dict):
                    continue
                item = Const(None) if step not in terms else self._sum(terms[step], child)
            elif not _inexact(self.samples.get(child)) or \
                    isinstance(self.paths.facts.get(child), Container):
                return None     # (constant leaves, unreached containers: the general cast)
            else:
                g = Const(None) if step not in terms else self._sum(terms[step], child)
                item = self._emit(helpers._sg_cast_like, [g, self._read(child)],
                                  'd' + _name(child))
            if item is None:
                return None
            items.append(item)
            keys.append(step[1])
        display = Pack('dict', items, keys) if obj or node.kind is dict else \
            Pack('list' if node.kind is list else 'tuple', items)
        if not cast or not (obj or named):
            return display
        helper = helpers._sg_object_like if obj else helpers._sg_cast_like
        return self._emit(helper, [display, leaf.root if not leaf.path else self._read(leaf)],
                          'd' + _name(leaf))

    def _terms(self, d, leaf, terms):
        """Add d's terms (step -> gradients) to `terms`, where d is a sum of
        scatter-adds into the container at `leaf`, each read once; else False."""
        op = self.producers.get(d)
        if op is None or op.kwargs:
            return False
        if op.prim is helpers._sg_accumulate and len(op.args) == 2:
            return all(isinstance(a, Value) and self.uses.get(a) == [op] and
                       self._terms(a, leaf, terms) for a in op.args)
        if op.prim is loops._sg_repack and len(op.args) == 2 and \
                isinstance(op.args[0], Pack) and self.paths.at.get(op.args[1]) == leaf:
            # the gradient of `a, b = seq`: an item's by position
            for index, g in enumerate(op.args[0].items):
                if isinstance(g, Value):
                    terms.setdefault((ITEM, index), []).append(g)
                elif not (isinstance(g, Const) and g.value is None):
                    return False
            return True
        if op.prim is not helpers._sg_scatter_add or len(op.args) != 3:
            return False
        g, base, index = op.args
        step = self._step(index)
        if not isinstance(g, Value) or self.paths.at.get(base) != leaf or step is None:
            return False
        terms.setdefault(step, []).append(g)
        return True

    def _step(self, index):
        if isinstance(index, Const):
            return (ITEM, index.value) if type(index.value) in KEYS else None
        made = self.producers.get(index)
        if made is not None and made.prim is containers._sg_field_index and \
                isinstance(made.args[1], Const):
            return (FIELD, made.args[1].value)      # (the gradient of `model.W`)
        return None

    def _sum(self, grads, leaf):
        """The sum of a leaf's gradients, named after the leaf.  Two leaves never get
        the same array (`a + b`'s), nor one an array the gradient did not make: a
        caller updating one in place must change nothing else (as ad/reverse.py
        hands arguments theirs)."""
        total = grads[0]
        for g in grads[1:]:
            total = self._emit(np.add, [total, g], 'd' + _name(leaf),
                               style=('operator', '+'))
        if total in self.handed or isinstance(self.samples.get(leaf), np.ndarray) and \
                not owned(total, self.defs):    # (an argument's array: `x` in `x * p['a']`)
            total = self._emit(np.copy, [total], 'd' + _name(leaf))
        self.handed.add(total)
        if total.temp:
            total.hint, total.temp = 'd' + _name(leaf), False
        return total

    def _read(self, leaf):
        """A value of the leaf or container at `leaf`, read from its argument."""
        if leaf not in self.reads:
            base = self._read(Leaf(leaf.root, leaf.path[:-1]))
            kind, label = leaf.path[-1]
            prim, style = (prims.GETITEM, ('subscript',)) if kind == ITEM else \
                (containers._sg_field, 'call')
            self.reads[leaf] = self._emit(prim, [base, Const(label)], _name(leaf),
                                          style)
        return self.reads[leaf]

    def _emit(self, prim, args, hint, style='call'):
        out = Value(hint, self.origin, temp=True)
        self.new_ops.append(Op(prim, args, {}, [out], self.origin, style, self.adjoint))
        return out


def _blocks_with(graph, op):
    return (b for b in blocks_in(graph.body) if op in b.ops)


def _inexact(sample):
    """Is a dtype sample one of floats (or complex numbers): a leaf with a gradient?"""
    return sample is not None and not isinstance(sample, tuple) and \
        np.issubdtype(np.asarray(sample).dtype, np.inexact)


def _name(leaf):
    """A readable name for the value at `leaf`: its key or attribute where that is an
    identifier, else its container's name and the index (`layers_0`)."""
    if not leaf.path:
        return leaf.root.hint or 'arg'
    label = leaf.path[-1][1]
    if isinstance(label, str) and literal.is_identifier(label):
        return label
    return literal.identifier(f'{_name(Leaf(leaf.root, leaf.path[:-1]))}_{label}')
