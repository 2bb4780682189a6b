"""IR nodes: the operands, ops, blocks and regions of a function body (the whole
function, with its parameters, is ir/graph.py).

A function body is a `Block` of `Op`s in A-normal form: every operation has
operands that are already values (never nested expressions).  Structured
control flow is an `If` region holding two blocks; loops will be `For` /
`While` regions of the same shape.  Values are in SSA form within a block:
each `Value` object is defined once, and a reassigned user variable becomes a
new `Value` with the same name hint.

Operands are one of
  Value  a runtime value defined by an op (or a parameter),
  Const  a Python object known at transform time (a literal, a module, np.float32, ...),
  Pack   a tuple/list literal of operands, known element by element at transform time,
  Slice  `start:stop:step` inside an index.
"""
import itertools

_ids = itertools.count()


class Value:
    """A runtime value.  `hint` is the user's variable name when there is one."""

    __slots__ = ('hint', 'origin', 'temp', 'id')

    def __init__(self, hint, origin=None, temp=False):
        self.hint = hint
        self.origin = origin
        self.temp = temp          # compiler-made: may be folded into its single use
        self.id = next(_ids)

    def __repr__(self):
        return f'%{self.hint}.{self.id}'


class Const:
    """A transform-time constant.  `spelling` is how the user wrote it (`np.float32`)."""

    __slots__ = ('value', 'spelling')

    def __init__(self, value, spelling=None):
        self.value = value
        self.spelling = spelling

    def __repr__(self):
        return f'Const({self.value!r})'


NONE = Const(None)


class Pack:
    """A tuple, list or dict literal of operands known item by item at transform time:
    `(a, b)`, `[x, 1.0]`, `{'lr': x}` (keys in `keys`), or an index `[i, 1:2]`."""

    __slots__ = ('kind', 'items', 'keys')

    def __init__(self, kind, items, keys=None):
        assert kind in ('tuple', 'list', 'index', 'dict')
        self.kind = kind
        self.items = list(items)
        self.keys = list(keys) if keys is not None else None

    def __repr__(self):
        return f'Pack({self.kind}, {self.items!r})'


class Slice:
    __slots__ = ('start', 'stop', 'step')

    def __init__(self, start, stop, step):
        self.start, self.stop, self.step = start, stop, step


def values_in(operand):
    """The runtime values an operand refers to, in order."""
    if isinstance(operand, Value):
        yield operand
    elif isinstance(operand, Pack):
        for item in operand.items:
            yield from values_in(item)
    elif isinstance(operand, Slice):
        for part in (operand.start, operand.stop, operand.step):
            yield from values_in(part)


def map_operand(operand, fn):
    """Rebuild an operand with every Value `v` replaced by `fn(v)`."""
    if isinstance(operand, Value):
        return fn(operand)
    if isinstance(operand, Pack):
        return Pack(operand.kind, [map_operand(i, fn) for i in operand.items], operand.keys)
    if isinstance(operand, Slice):
        return Slice(*(map_operand(p, fn) for p in (operand.start, operand.stop, operand.step)))
    return operand


class Op:
    """One primitive operation: `outputs = prim(*args, **kwargs)`.

    `prim` is the Python object itself (np.tanh, np.add, a runtime helper), so
    rules are looked up by identity.  `style` says how codegen spells it:
    'call' (`np.add(a, b)`), or a kind and its detail: ('operator', '+') for
    `a + b`, ('call', 'np.add') for the user's spelling; what passes decide about
    an op is their result (compiler.py), not its style.  `adjoint` is None for
    forward code, or the `GradBlock` that this op belongs to.  `checked`: a
    subscript whose result must be no view of its base when it runs (the
    gradient assumes a copy: passes.inplace.check_views); part of what the op
    does, so a copy of the graph keeps it, and never dead code.  `checkpoint`:
    the `Checkpointed` call of an `sg.checkpoint` helper this op belongs to.
    """

    __slots__ = ('prim', 'args', 'kwargs', 'outputs', 'origin', 'style', 'adjoint', 'checked',
                 'checkpoint')

    def __init__(self, prim, args, kwargs, outputs, origin, style='call', adjoint=None,
                 checked=False, checkpoint=None):
        self.prim = prim
        self.args = list(args)
        self.kwargs = dict(kwargs)
        self.outputs = list(outputs)
        self.origin = origin
        self.style = style
        self.adjoint = adjoint
        self.checked = checked
        self.checkpoint = checkpoint

    @property
    def output(self):
        (out,) = self.outputs
        return out

    def operands(self):
        return list(self.args) + list(self.kwargs.values())

    def inputs(self):
        """Runtime values read by this op, in order, without repeats."""
        seen = {}
        for operands in (self.args, self.kwargs.values()):
            for operand in operands:
                if type(operand) is Value:      # most operands: no generator needed
                    seen[operand] = None        # (a repeat keeps its first place)
                else:
                    for v in values_in(operand):
                        seen[v] = None
        return list(seen)

    def replace_inputs(self, fn):
        self.args = [map_operand(a, fn) for a in self.args]
        self.kwargs = {k: map_operand(a, fn) for k, a in self.kwargs.items()}

    def __repr__(self):
        return f'Op({getattr(self.prim, "__name__", self.prim)}, {self.args}, -> {self.outputs})'


class Checkpointed:
    """One call of an `sg.checkpoint` helper: its ops carry it, so that the reverse
    sweep computes them again from their inputs (ad/checkpoint.py) rather than
    reading their intermediate values.  The copy made in the adjoint carries one
    with `recomputed` set (codegen names the helper and the call above it).  A
    loop over `sg.checkpointed(range(T), snapshots=s)` (or `while
    sg.checkpointed(test, ...)`) carries one with `snapshots` or `memory` (the
    budget, as the user wrote it) set: its body is recomputed from the states of a
    schedule."""

    __slots__ = ('name', 'origin', 'recomputed', 'snapshots', 'memory')

    def __init__(self, name, origin, recomputed=False, snapshots=None, memory=None):
        self.name = name
        self.origin = origin
        self.recomputed = recomputed
        self.snapshots = snapshots
        self.memory = memory

    @property
    def scheduled(self):
        """Is this a loop's schedule (ad/revolve.py), not a helper's call?"""
        return self.snapshots is not None or self.memory is not None

    def __repr__(self):
        return f'Checkpointed({self.name}{", recomputed" if self.recomputed else ""})'


class Block:
    """A straight-line sequence of ops and regions."""

    __slots__ = ('ops',)

    def __init__(self, ops=None):
        self.ops = list(ops or [])

    def append(self, op):
        self.ops.append(op)
        return op


class Managed:
    """`with callee(*args, **kwargs):` as the test of an If region.

    The region's then-block always runs, inside a fresh context manager made
    by the call (its else-block never runs; the adjoint region, which keeps
    the test, runs inside one too).  Arguments are Consts of literal values.
    """

    __slots__ = ('callee', 'args', 'kwargs')

    def __init__(self, callee, args, kwargs):
        self.callee = callee
        self.args = list(args)
        self.kwargs = dict(kwargs)

    def __repr__(self):
        return f'Managed({self.callee.spelling})'


def managed(region):
    """The context manager an If region runs inside, or None for a plain if."""
    test = region.test
    return test.value if isinstance(test, Const) and isinstance(test.value, Managed) else None


class Region:
    """What If and Loop share: blocks of ops, and operands of their own (`operands()`,
    `map_operands(fn)`) that no one outside them enumerates by hand."""

    __slots__ = ()

    def replace_inputs(self, fn):
        """Replace every Value `v` read in the region (its operands, its ops') by `fn(v)`."""
        self.map_operands(fn)
        for block in self.blocks():
            for op in walk(block):
                op.replace_inputs(fn)


class If(Region):
    """`outputs = then_block if test else else_block`, a structured region.

    Each output is a phi: `then_results[i]` / `else_results[i]` is what each
    branch yields for it (None where the branch leaves the variable undefined).
    `returns` marks a region whose branches both end the function: its last
    output is then the function's result.
    """

    __slots__ = ('test', 'then_block', 'else_block', 'outputs', 'then_results',
                 'else_results', 'origin', 'returns', 'adjoint', 'checkpoint')

    def __init__(self, test, then_block, else_block, outputs, then_results,
                 else_results, origin, returns=False):
        self.test = test
        self.then_block = then_block
        self.else_block = else_block
        self.outputs = list(outputs)
        self.then_results = list(then_results)
        self.else_results = list(else_results)
        self.origin = origin
        self.returns = returns
        self.adjoint = None
        self.checkpoint = None

    def blocks(self):
        return (self.then_block, self.else_block)

    def operands(self):
        """The operands the region itself holds (its test, each branch's results),
        not those of the ops inside it."""
        return [self.test] + [r for r in self.then_results + self.else_results
                              if r is not None]

    def map_operands(self, fn):
        """Replace every Value `v` in the region's own operands by `fn(v)`."""
        self.test = map_operand(self.test, fn)
        self.then_results = [None if r is None else map_operand(r, fn) for r in self.then_results]
        self.else_results = [None if r is None else map_operand(r, fn) for r in self.else_results]

    def inputs(self):
        """Values read by the region from outside it (test, branch results, free uses),
        in the order they are read."""
        inner, reads = set(), dict.fromkeys(values_in(self.test))
        for block, results in zip(self.blocks(), (self.then_results, self.else_results)):
            _read_in_block(block, reads, inner)
            for r in results:
                reads.update(dict.fromkeys(values_in(r)))
        return [v for v in reads if v not in inner]



class Loop(Region):
    """A structured loop: `for targets in iterable: body` or `while cond: body`.

    Loop-carried variables are explicit: `phis[i]` is the variable's value at
    the start of an iteration, `inits[i]` its value before the loop,
    `nexts[i]` its value at the end of an iteration, `outputs[i]` its value
    after the loop.  A while loop computes `cond` in `cond_block` at the start
    of each iteration.  `exit` (a break) is tested at the end of an iteration.
    """

    __slots__ = ('kind', 'iterable', 'targets', 'phis', 'inits', 'nexts', 'cond_block',
                 'cond', 'body', 'outputs', 'exit', 'origin', 'adjoint', 'checkpoint')

    def __init__(self, kind, iterable, targets, phis, inits, nexts, cond_block, cond, body,
                 outputs, exit, origin):
        self.kind = kind
        self.iterable = iterable
        self.targets = list(targets)
        self.phis = list(phis)
        self.inits = list(inits)
        self.nexts = list(nexts)
        self.cond_block = cond_block
        self.cond = cond
        self.body = body
        self.outputs = list(outputs)
        self.exit = exit
        self.origin = origin
        self.adjoint = None
        self.checkpoint = None

    def blocks(self):
        return (self.cond_block, self.body)

    def defined(self):
        """Values defined by the loop itself (not by ops inside it)."""
        return list(self.targets) + list(self.phis)

    def entry_operands(self):
        """The operands read once, before the first iteration (the iterable, the
        carried variables' values before the loop)."""
        return [o for o in [self.iterable] + self.inits if o is not None]

    def operands(self):
        """The operands the loop itself holds (iterable, cond, exit, inits, nexts),
        not those of the ops inside it."""
        return [o for o in [self.iterable, self.cond, self.exit] + self.inits + self.nexts
                if o is not None]

    def map_operands(self, fn):
        """Replace every Value `v` in the loop's own operands by `fn(v)`."""
        self.iterable = map_operand(self.iterable, fn)
        self.cond = map_operand(self.cond, fn)
        self.exit = map_operand(self.exit, fn)
        self.inits = [map_operand(i, fn) for i in self.inits]
        self.nexts = [map_operand(n, fn) for n in self.nexts]

    def inputs(self):
        """Values read by the loop from outside it (free uses inside, its operands)."""
        inner, reads = set(self.defined()), {}
        for block in self.blocks():
            _read_in_block(block, reads, inner)
        for operand in self.operands():
            reads.update(dict.fromkeys(values_in(operand)))
        return [v for v in reads if v not in inner]



def _read_in_block(block, reads, inner):
    """Add what the ops of a block (regions entered) read to `reads` (an ordered
    set, as a dict) and what they define to `inner`."""
    for op in walk(block):
        inner.update(op.outputs)
        if isinstance(op, Loop):
            inner.update(op.defined())
        reads.update(dict.fromkeys(op.inputs()))


def walk(block):
    """Every op in a block, regions included (a region before its contents)."""
    for op in block.ops:
        yield op
        if isinstance(op, (If, Loop)):
            for inner in op.blocks():
                yield from walk(inner)


def blocks_in(block):
    """A block and every block nested in it (regions' blocks), outermost first."""
    yield block
    for op in block.ops:
        if isinstance(op, (If, Loop)):
            for inner in op.blocks():
                yield from blocks_in(inner)
