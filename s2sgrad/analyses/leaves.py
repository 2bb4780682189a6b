"""The leaves of container and object arguments that code reaches by constant steps.

`params['W1']`, `model.W`, `layers[0][1]`, a NamedTuple's field, `W, b = layer`:
each reads a leaf of an argument along a path of constant steps.  A call's
specialisation (specialisation.py) records the shape and dtype sample of every
such leaf of its arguments, keyed by `Leaf(argument, path)` beside the
arguments' own, and the api keys the specialisation by the same description of
the containers (`describe`: the keys, fields and attribute names; each leaf's
dtype, rank and unit dimensions), so a call whose leaves differ gets another.
The shape and dtype analyses follow the steps (`LeafPaths`) and give each read
the leaf's shape and sample, as they give an argument its own.
"""
import dataclasses
from typing import NamedTuple

from ..ir import prims
from ..ir.nodes import Const, Value
from ..runtime import containers
from ..runtime.objects import _sg_is_object

ITEM, FIELD = '[]', '.'      # the steps: x[key] (a dict's key, a list's or tuple's index), x.name


class Leaf(NamedTuple):
    """What a specialisation records under a path of constant steps into an argument."""
    root: object        # the argument's position (the api), its parameter's Value once bound
    path: tuple         # steps ((ITEM, key) or (FIELD, name)), outermost first


@dataclasses.dataclass(frozen=True)
class Container:
    """A container or object on a path: its type, its labels (`parts`) and length
    (`a, b = seq` unpacks a list's or tuple's items by position)."""
    kind: type
    labels: tuple
    length: int


# Dict keys a path may hold: compared and hashed by Python's own rules, never the user's.
KEYS = (str, int, bool, type(None))
_KEY_TYPES = frozenset(KEYS)

# How deep the description goes into nested containers and objects (an object may
# refer to itself).
DEPTH = 6


# The most items a described dict or object, or a list or tuple it holds, may have:
# the api describes each call's arguments, and a model's object may hold a long
# history (a list of a thousand losses) that no code reads by a constant index.
MOST_ITEMS = 256


def parts(value):
    """(labels, items) of a container or object the specialisation describes: a list's
    or tuple's items (labels: None, or a NamedTuple's fields), a dict's with keys of
    `KEYS` (labels: its keys), an object's attributes (its `vars`); else None."""
    kind = type(value)
    if kind is dict:        # (first and cheap: the api describes each call's arguments)
        keys = tuple(value)
        items = _few(tuple(value.values())) if _KEY_TYPES.issuperset(map(type, keys)) \
            else None
        return None if items is None else (keys, items)
    if kind is list or kind is tuple:
        return None, value
    if isinstance(value, tuple) and hasattr(kind, '_fields'):
        return kind._fields, value
    if _sg_is_object(value) and type(getattr(value, '__dict__', None)) is dict:
        attributes = vars(value)
        items = _few(tuple(attributes.values()))
        return None if items is None else (tuple(attributes), items)
    return None


def _few(items):
    """`items`, where neither they nor a list or tuple among them is longer than
    MOST_ITEMS; else None (then `parts` describes nothing)."""
    if len(items) > MOST_ITEMS or any(
            len(item) > MOST_ITEMS for item in items if type(item) in (list, tuple)):
        return None
    return items


def leaves(position, value, shape_of, sample_of):
    """({Leaf: shape or Container}, {Leaf: sample or Container}) of the leaves of an argument under
    constant paths (none for an array or a number: the argument itself)."""
    shapes, samples = {}, {}

    def visit(v, path, depth):
        described = parts(v) if depth <= DEPTH else None
        if described is None:
            if path:
                shape = shape_of(v)
                if shape is not None:
                    shapes[Leaf(position, path)] = shape
                sample = sample_of(v)
                if sample is not None:
                    samples[Leaf(position, path)] = sample
            return
        labels, items = described
        # (in both: each analysis follows `a, b = seq` only into a list or tuple)
        shapes[Leaf(position, path)] = samples[Leaf(position, path)] = \
            Container(type(v), labels, len(items))
        if type(v) is dict:
            steps = [((ITEM, k),) for k in labels]
        elif isinstance(v, (list, tuple)):
            steps = [((ITEM, i),) + (((FIELD, labels[i]),) if labels else ())
                     for i in range(len(items))]
        else:
            steps = [((FIELD, name),) for name in labels]
        for alternatives, item in zip(steps, items):
            for step in alternatives:       # (a NamedTuple's field: by index and by name)
                visit(item, path + (step,), depth + 1)

    if parts(value) is not None:
        visit(value, (), 0)
    return shapes, samples


def add_leaves(arguments, shapes, samples, shape_of, sample_of):
    """Add the leaves of `arguments` (position -> argument) to a specialisation's
    `shapes` and `samples` (`leaves`)."""
    for position, value in arguments.items():
        leaf_shapes, leaf_samples = leaves(position, value, shape_of, sample_of)
        shapes.update(leaf_shapes)
        samples.update(leaf_samples)


def signature(value, of_items, depth):
    """What a call's signature holds for a dict, NamedTuple or object whose leaves a
    specialisation records (`parts`): its type, keys or names, and `of_items` of
    its items (the api's signature, one level deeper); else its type."""
    described = parts(value) if depth <= DEPTH else None
    if described is None:
        return type(value)
    labels, items = described
    return type(value), labels, of_items(items, depth=depth + 1)


class LeafPaths:
    """Which values of a graph are reached from a specialisation's arguments by
    constant steps, and the facts recorded there (`facts`: a specialisation's
    shapes or samples, whose Leaf keys are these)."""

    def __init__(self, facts):
        self.facts = {k: v for k, v in (facts or {}).items() if isinstance(k, Leaf)}
        self.at = {leaf.root: Leaf(leaf.root, ()) for leaf in self.facts}  # value -> Leaf

    def results(self, op):
        """The Leaf each output of `op` is, or None where it is not one (all None for
        an op that takes no constant step from a value on a path)."""
        outputs = [None] * len(op.outputs)
        prim, args = getattr(op, 'prim', None), getattr(op, 'args', ())
        base = self.at.get(args[0]) if args and isinstance(args[0], Value) else None
        if base is None or op.kwargs:
            return outputs
        step = None
        if len(args) == 2 and isinstance(args[1], Const):
            key = args[1].value
            if prim is prims.GETITEM and type(key) in KEYS:
                step = (ITEM, key)
            elif prim is containers._sg_field and type(key) is str:
                step = (FIELD, key)
        if step is not None and len(outputs) == 1:
            outputs[0] = Leaf(base.root, base.path + (step,))
        elif prim is prims.UNPACK and len(args) == 1 and _sequence(self.facts.get(base), len(outputs)):
            outputs = [Leaf(base.root, base.path + ((ITEM, i),)) for i in range(len(outputs))]
        for out, leaf in zip(op.outputs, outputs):
            if leaf is not None:
                self.at[out] = leaf
        return outputs

    def fact(self, op):
        """The facts recorded for each output of `op` (None where none is)."""
        return [None if leaf is None else self.facts.get(leaf) for leaf in self.results(op)]


def _sequence(fact, length):
    """Is a fact a list or tuple of `length` items?"""
    return isinstance(fact, Container) and issubclass(fact.kind, (list, tuple)) and \
        fact.length == length
