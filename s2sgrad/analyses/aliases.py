"""Which values may share memory: the alias analysis of the lowering.

Python's arrays are objects in memory; the IR's values are versions.  A
write through one name (`v *= 2.0`, `row[0] = 1.0`, `np.sin(x, out=y)`) is
a write into a memory that other names may show too: a view of it
(`v = y[1:]`), the array it is a view of, the same object under another name
(`z = y`, `lst = [y]`), a caller's variable (a helper's argument).  The
lowering (ir/effects.py) makes every such write a new version of the whole
memory, and rebinds every name that shows it.  This module keeps the facts
that needs, one record per value:

  View(base, step)   the value is `step` applied to `base` and shares its
                     memory; the step can be undone, so a write through the
                     value is a write into the base:
                       IndexStep   base[index], a basic index (slices, ints)
                       TransposeStep  np.transpose(base, axes)
                       SameStep    the base itself (two names, one object)
  Opaque(bases, why) the value may share memory with the bases in a way
                     that cannot be undone (`.reshape`, `.ravel()`, `.real`,
                     a value that is one of several arrays): a write through
                     it is refused, and a write into the bases makes any name
                     bound to it unreadable (Stale).  `bases` None: it may
                     share memory with anything.

A value without a record is the whole of its own memory (a root).  Writes
make new roots of the same memory (`storage`).  Arrays of the caller
(arguments) are roots too: the generated code writes into copies of them,
never into the caller's arrays (docs/programs.md).
"""
import numpy as np

from ..ir import prims
from ..ir.nodes import Const, Pack, Slice, Value, values_in
from ..ir.primitives import info


class IndexStep:
    """base[index] with a basic index.  `certain`: a view whatever the base's rank
    (a slice, `...` or None in the index); otherwise (only integers, or run-time
    index values) it is a view or a copy, told apart when the code runs by
    `witness` (a boolean value, made when first needed)."""

    __slots__ = ('index', 'certain', 'witness')

    def __init__(self, index, certain, witness=None):
        self.index, self.certain, self.witness = index, certain, witness

    def operands(self):
        return [self.index] + ([self.witness] if self.witness is not None else [])


class TransposeStep:
    __slots__ = ('axes',)

    def __init__(self, axes):
        self.axes = axes            # a tuple, or None (all axes reversed)

    def operands(self):
        return []


class SameStep:
    __slots__ = ()

    def operands(self):
        return []


SAME = SameStep()


class View:
    __slots__ = ('base', 'step')

    def __init__(self, base, step):
        self.base, self.step = base, step


class Opaque:
    __slots__ = ('bases', 'why')

    def __init__(self, bases, why):
        self.bases, self.why = bases, why


class Stale:
    """A binding that shows memory written since in a way the lowering cannot
    follow: reading it is refused at the read, naming the write."""

    __slots__ = ('why', 'origin')

    def __init__(self, why, origin):
        self.why, self.origin = why, origin


class Pending:
    """A binding to recompute when read: the view `steps` of the memory's new root
    (`root`), replacing `old` (what the name showed before the write)."""

    __slots__ = ('old', 'old_root', 'root', 'steps')

    def __init__(self, old, old_root, root, steps):
        self.old, self.old_root, self.root, self.steps = old, old_root, root, steps


def _slice_like(item):
    return isinstance(item, Slice) or isinstance(item, Const) and (
        isinstance(item.value, slice) or item.value is None or item.value is Ellipsis)


def _int_like(item, ints):
    if isinstance(item, Const):
        return isinstance(item.value, (int, np.integer)) and not isinstance(item.value, bool)
    return isinstance(item, Value) and item in ints


class Memory:
    """The records of one transformation (shared by every function it inlines)."""

    def __init__(self, lists=()):
        self.lists = lists          # the values that are run-time Python lists
        self.records = {}           # Value -> View | Opaque
        self.storage = {}           # root Value -> the first root of its memory
        self.ints = set()           # values known to be Python ints (range loop targets)
        self.holds = {}             # a run-time list -> the values it may hold

    # ---- recording ------------------------------------------------------------
    def note(self, out, prim, args, kwargs, style=None):
        """Record what the result `out` of `prim(*args, **kwargs)` shares with its
        operands (nothing: a new array)."""
        if not isinstance(out, Value) or not args:
            return
        if prim is np.einsum:
            # of one operand, a view of it that no step undoes ('ij->ji', 'ii->i')
            if len(args) == 2 and isinstance(args[1], Value):
                self.records[out] = Opaque((args[1],), 'np.einsum of one operand')
            return
        base = args[0]
        if not isinstance(base, (Value, Const)):
            return
        try:
            if prim is prims.GETITEM:
                if base in self.lists:
                    self.records[out] = Opaque((base,), 'an item of a run-time list')
                    return
                step = self.index_step(args[1])
                if step is not None:
                    self.records[out] = View(base, step)
                return
            if prim is np.transpose:
                axes = args[1] if len(args) > 1 else kwargs.get('axes', Const(None))
                if isinstance(axes, Const) and (axes.value is None or isinstance(axes.value, tuple)):
                    self.records[out] = View(base, TransposeStep(axes.value))
                else:
                    self.records[out] = Opaque((base,), 'a transpose by run-time axes')
                return
            if prim is np.ravel and style == ('method', 'flatten'):
                return                  # .flatten() copies
            facts = info(prim)
            if facts.shares is not None:
                self.records[out] = Opaque((base,), facts.shares)
                return
            if facts.same_object and isinstance(base, Value):
                self.records[out] = View(base, SAME)
                return
            if prim in (np.array, np.astype) and 'copy' in kwargs and not (
                    isinstance(kwargs['copy'], Const) and kwargs['copy'].value is True):
                self.records[out] = Opaque((base,), 'an array made with copy=False')
        except TypeError:
            return                      # an unhashable callable: no view

    def index_step(self, index):
        """The step of `base[index]`, or None where the result is a copy (fancy)."""
        items = index.items if isinstance(index, Pack) and index.kind == 'index' else [index]
        for item in items:
            if not (_slice_like(item) or _int_like(item, self.ints) or isinstance(item, Value)):
                return None             # a constant list, array or bool: a copy
        certain = any(_slice_like(i) for i in items) and \
            all(_slice_like(i) or _int_like(i, self.ints) for i in items)
        return IndexStep(index, certain)

    def note_list(self, lst, items):
        """`lst` (a run-time list) holds `items` (and what they hold)."""
        held = set()
        for item in items:
            for v in _values(item):
                held.add(v)
                held.update(self.holds.get(v, ()))
        self.holds[lst] = held

    # ---- reading --------------------------------------------------------------
    def chain(self, v):
        """(root, [(base, step, child), ...] from v up, opaque record or None)."""
        links, seen = [], set()
        while isinstance(v, Value) and v not in seen:
            seen.add(v)
            rec = self.records.get(v)
            if isinstance(rec, View):
                links.append((rec.base, rec.step, v))
                v = rec.base
                continue
            if isinstance(rec, Opaque):
                return v, links, rec
            break
        return v, links, None

    def storage_of(self, root):
        return self.storage.get(root, root)

    def storages(self, operand, seen=None):
        """The memories `operand` may show (None: any)."""
        out = set()
        for v in _values(operand):
            root, _, opaque = self.chain(v)
            if opaque is not None:
                if opaque.bases is None:
                    return None
                seen = set() if seen is None else seen
                if root in seen:
                    continue
                seen.add(root)
                for b in opaque.bases:
                    inner = self.storages(b, seen)
                    if inner is None:
                        return None
                    out |= inner
            out.add(self.storage_of(root))
            for held in self.holds.get(v, ()):
                out.add(self.storage_of(self.chain(held)[0]))
        return out


def _values(operand):
    """The values a binding shows (a Pending one: the value it replaces)."""
    if isinstance(operand, Pending):
        yield operand.old
    else:
        yield from values_in(operand)
