"""Codegen: IR -> Python source a person can read.

* Names and expressions (codegen.expressions): the user's names are kept, a
  temporary used once by an op of the same user line is folded into that op's
  expression (passes.fold).
* Every group of statements from one user line gets a comment naming it:
  `# model.py:4  h = np.tanh(x @ W + b)` above forward code,
  `# grad of model.py:4  ...` above its adjoint, and a banner per gradient block.
* The source is deterministic: nothing depends on ids, hashes or addresses.

The whole function is built as one Python `ast` tree, with the comments and
the user line of each statement beside it (codegen.printer.Notes), and
printed once (codegen.printer).
"""
import ast

from ..ir import prims
from ..ir.nodes import Const, If, Loop, Op, Value, managed, walk
from ..passes import fold
from ..passes.fold import is_operator
from ..passes.inplace import InplacePlan
from ..runtime import HELPERS
from . import literal
from .expressions import LOAD, STORE, Expressions, base_name
from .printer import Notes, expression as expression_text, print_tree
from .release import release
from .spelling import Spelling
from .statements import Statements

AGGREGATION_NAMES = {0: 'ADD_N', 1: 'EXPERIMENTAL_TREE', 2: 'EXPERIMENTAL_ACCUMULATE_N'}


class Generated:
    """A generated function: its source, and how to make again the tree it was
    printed from (`tree()`)."""

    def __init__(self, source, namespace, line_origins, helpers, name, rebuild=None):
        self.source = source
        self.namespace = namespace
        self.line_origins = line_origins    # generated line number -> Origin
        self.helpers = helpers              # runtime helper names the source calls
        self.name = name
        self._rebuild = rebuild

    def tree(self):
        """(the ast.FunctionDef printed as `source`, its codegen.printer.Notes).  Made
        again, as deterministically as the first time: a tree is many times the
        size of its text, so none is kept for the rare caller (export)."""
        return self._rebuild()


def emit(graph, aliases, reserved=(), docstring=None, floats=False, inplace=None,
         big=frozenset(), folds=None, argument_kinds=None):
    """Generate the source of `graph` as a Python function definition.

    `floats`: every value is a Python float (a specialisation for such calls):
    NumPy's scalar functions that `math` computes identically on every float
    are written as math's, which are many times cheaper on a scalar.
    `inplace`: the passes.inplace.InplacePlan; `big`: the values that are big
    arrays (released once dead, computed on their own to be written into).
    Temporaries fold into their single use by the fold plan (passes.fold) once
    those are known: `folds`, the plan the in-place pass read, or one made here.
    `argument_kinds`: parameter -> list or np.ndarray, where a call's arguments tell.
    """
    inplace = inplace if inplace is not None else InplacePlan()
    folds = folds if folds is not None else fold.plan(graph)

    def build():
        plan = folds.after_inplace(inplace.into, big, inplace.in_place)
        emitter = _Emitter(graph, aliases, reserved, floats, plan, inplace.in_place,
                           argument_kinds or {})
        return emitter.build(docstring), emitter.notes, emitter

    tree, notes, emitter = build()
    source, line_origins = print_tree(tree, notes)
    return Generated(source, dict(emitter.spell.namespace), line_origins,
                     list(emitter.spell.helpers), graph.name, lambda: build()[:2])


class _Emitter(Statements, Expressions):
    def __init__(self, graph, aliases, reserved, floats, folds, in_place, argument_kinds):
        self.graph = graph
        self.argument_kinds = argument_kinds
        self.floats = floats
        # Names (hygiene): `taken` holds every name the function binds -- its
        # parameters, its values' names, and the globals Spelling binds (the two
        # share the set), so no two meanings ever share a name.  A value's name
        # also keeps away from `spelled`: the names the user's code spells for
        # modules and globals, and the runtime helpers' names.
        self.taken = set()
        self.spell = Spelling(aliases, set(reserved) | set(aliases.values()), self.taken)
        self.spelled = set(self.spell.reserved) | set(HELPERS)
        self.plan = folds
        self.defs = folds.defs          # value -> (op, block)
        self.uses = folds.uses          # value -> [(user, block)]
        self.folds = folds.folds        # is a value folded into its single use?
        self.names = {}
        self.suffixes = {}      # base name -> the last suffix tried (names are never freed)
        self.unused = None      # the name of assignment targets nothing reads
        self.inplace = folds.inplace    # op -> index of the operand its result goes into
        self.in_place = in_place        # the writes (x[i] = v, lst.append) done in place
        self._written = {}
        self.big = folds.big
        self.notes = Notes()
        self.comments = []      # comment lines above the next statement
        self.headers = set()    # the lines of the loops being built: named above them

    def scan(self):
        """The base names of the values (a value's name keeps away from helpers'
        names: no user name is one); the names the user's code spells (constants'
        and calls' spellings) are kept theirs."""
        hints = set()
        for op in walk(self.graph.body):
            for v in op.outputs:
                hints.add(v.hint)
            if isinstance(op, Loop):
                hints.update(v.hint for v in op.defined())
            elif isinstance(op, Op):
                for operands in (op.args, op.kwargs.values()):
                    for operand in operands:
                        if isinstance(operand, Const) and operand.spelling:
                            self.spelled.add(operand.spelling.split('.')[0])
                if isinstance(op.style, tuple) and op.style[0] == 'call' and op.style[1]:
                    self.spelled.add(op.style[1].split('.')[0])
        return {base_name(hint) for hint in hints}

    # ---- layout ----------------------------------------------------------------
    def put(self, stmts, stmt, origin=None):
        """Append a statement, with the comments in force above it."""
        stmts.append(stmt)
        if origin is not None:
            self.notes.origins[stmt] = origin
        if self.comments:
            self.notes.above[stmt] = self.comments
            self.comments = []
        return stmt

    def comment(self, text):
        self.comments.append(literal.comment(text))

    def block(self, block, stmts, group, results=None, outputs=None):
        """Build a block's statements into `stmts`; `group` tracks the comment
        heading in force."""
        for op in block.ops:
            if isinstance(op, Op) and any(self.folds(o) for o in op.outputs):
                continue
            group = self.heading(op, group)
            if isinstance(op, If):
                self.region(op, stmts)
                group = None
            elif isinstance(op, Loop):
                self.loop(op, stmts)
                group = None
            else:
                if is_operator(op) and self.written(op) is not None:
                    made = self.chain(op)
                elif op.prim is prims.SETITEM:
                    made = self.setitem(op)
                elif op.prim is prims.LIST_APPEND:
                    made = self.append(op)
                else:
                    made = [self.statement(op)]
                for stmt in made:
                    self.put(stmts, stmt, op.origin)
            self.ends[op] = len(stmts)
        if outputs is not None:
            for out, r in zip(outputs, results):
                if r is None:
                    continue
                if isinstance(r, Value) and not self.folds(r) and self.names.get(r) == self.name(out):
                    continue
                self.put(stmts, ast.Assign([ast.Name(self.name(out), STORE)],
                                           self.operand(r)))
        return group

    def heading(self, op, group):
        """The comment naming the user line (and the banner of a new gradient block);
        an sg.checkpoint helper's body computed again is named as one call."""
        block = op.adjoint
        if getattr(block, 'in_user_lines', False):
            block = None        # forward mode's tangents: under the line they follow
        call = op.checkpoint
        if call is not None and call.recomputed:
            key = (block, call)
            if key != group:
                self.banner(block)
                self.comment(f'# recompute {call.name} ({call.origin.short}), checkpointed')
            return key
        key = (block, op.origin.filename, op.origin.lineno)
        if key == group or key in self.headers:
            return group        # (a loop's own line inside it: `x = xs[_i]`, its tapes)
        self.banner(block)
        prefix = 'grad of ' if block is not None else ''
        self.comment(f'# {prefix}{op.origin.short}  {op.origin.text.strip()}'.rstrip())
        return key

    def banner(self, block):
        """The banner of a gradient block, above its first statement."""
        if block is not None and block not in self.bannered:
            self.bannered.add(block)
            names = ', '.join(self.describe(x) for x in block.xs)
            extra = ''
            if block.aggregation != 0:
                extra += f', aggregation {AGGREGATION_NAMES[block.aggregation]}'
            if block.gate:
                extra += ', gated'
            self.comment(f'# ---- {block.name}: gradient w.r.t. {names}{extra} ----')

    def describe(self, x):
        if isinstance(x, Value):
            return self.name(x)
        return expression_text(self.operand(x))

    def region(self, op, stmts):
        manager = managed(op)
        if manager is None:
            head = ast.If(self.operand(op.test), [], [])
        else:
            call = ast.Call(self.const(manager.callee), [self.const(a) for a in manager.args],
                            [ast.keyword(k, self.const(v)) for k, v in manager.kwargs.items()])
            head = ast.With([ast.withitem(call, None)], [])
        for out, rt, re_ in zip(op.outputs, op.then_results, op.else_results):
            for r, block in ((rt, op.then_block), (re_, op.else_block)):
                # the branch's own value of the variable takes the variable's name, when
                # it is made last (so nothing in the branch reads the name's old value)
                if isinstance(r, Value) and r.hint == out.hint and r not in self.names \
                        and not self.folds(r) and self.defs.get(r, (None, None))[1] is block \
                        and _last_effective(block, self) is self.defs[r][0]:
                    self.share_name(r, out)
        node = self.put(stmts, head, op.origin)
        self.block(op.then_block, node.body, None, op.then_results, op.outputs)
        if not node.body:
            node.body.append(ast.Pass())
        if manager is None:         # (the else-block of a with never runs)
            self.block(op.else_block, node.orelse, None, op.else_results, op.outputs)

    def loop(self, op, stmts):
        """A loop: carried variables set before it and at the end of each iteration."""
        body_index = {}
        for k, inner in enumerate(op.body.ops):
            for v in inner.outputs:
                body_index[v] = k
        for phi, init, nxt, out in zip(op.phis, op.inits, op.nexts, op.outputs):
            if phi not in self.names and isinstance(init, Value) and init in self.names \
                    and len(self.uses.get(init, ())) == 1:
                self.share_name(phi, init)          # the variable keeps its name
            if isinstance(nxt, Value) and nxt not in self.names and nxt in body_index \
                    and len(self.uses.get(nxt, ())) == 1 and not self.folds(nxt) \
                    and self.read_before(phi, op.body, body_index[nxt]):
                self.share_name(nxt, phi)           # h = f(h) updates h in place
            self.share_name(out, phi)
        self.assign_all([(phi, init) for phi, init in zip(op.phis, op.inits)], stmts, op.origin)
        if op.kind == 'for':
            targets = [ast.Name(self.name(t), STORE) for t in op.targets]
            target = targets[0] if len(targets) == 1 else ast.Tuple(targets, STORE)
            node = ast.For(target, self.operand(op.iterable), [], [], None)
            body = self.put(stmts, node, op.origin).body
        elif all(self.folds(v) for o in op.cond_block.ops for v in o.outputs):
            body = self.put(stmts, ast.While(self.operand(op.cond), [], []), op.origin).body
        else:
            body = self.put(stmts, ast.While(ast.Constant(True), [], []), op.origin).body
            self.block(op.cond_block, body, None)
            self.put(body, ast.If(ast.UnaryOp(ast.Not(), self.operand(op.cond)),
                                  [ast.Break()], []), op.origin)
        start = len(body)
        header = (op.adjoint, op.origin.filename, op.origin.lineno)
        nested = header in self.headers
        self.headers.add(header)
        self.block(op.body, body, None)
        if not nested:
            self.headers.discard(header)
        self.assign_all(list(zip(op.phis, op.nexts)), body, op.origin)
        if op.exit is not None:
            self.put(body, ast.If(self.operand(op.exit), [ast.Break()], []), op.origin)
        if len(body) == start:
            body.append(ast.Pass())

    def read_before(self, phi, body, index):
        """Are all reads of `phi` in the loop body before op `index` (or in its own op)?"""
        for user, block in self.uses.get(phi, ()):
            if isinstance(user, tuple) and user[0] == 'cond' or \
                    any(block is b for b in _cond_blocks(body, phi, self)):
                continue                    # the while test runs before the body
            if block is not body:
                found = None
                for k, op in enumerate(body.ops):
                    if _holds(op, user):
                        found = k
                if found is None or found > index:
                    return False
            elif isinstance(user, tuple) or self.written_at(user, body) > index:
                return False
        return True

    def written_at(self, op, body):
        """Where in `body` an op's expression is written: a folded temporary is
        computed inside the op that uses it, possibly later than its own place."""
        at = self.plan.statement_of(op)
        if at is not op and not isinstance(at, Op):
            return len(body.ops)        # folded into the carried-value assignment
        return body.ops.index(at) if at in body.ops else len(body.ops)

    def assign_all(self, pairs, stmts, origin):
        """`a, b = x, y` for the carried variables whose value changes (in parallel)."""
        pairs = [(target, value) for target, value in pairs
                 if value is not None and not (isinstance(value, Value) and
                                               self.names.get(value) == self.name(target)
                                               and not self.folds(value))]
        if not pairs:
            return
        targets = [ast.Name(self.name(t), STORE) for t, _ in pairs]
        values = [self.operand(v) for _, v in pairs]
        if len(pairs) == 1:
            stmt = ast.Assign(targets, values[0])
        else:
            stmt = ast.Assign([ast.Tuple(targets, STORE)], ast.Tuple(values, LOAD))
        self.put(stmts, stmt, origin)

    def build(self, docstring):
        """The function's tree (its comments and origins in `self.notes`)."""
        graph = self.graph
        self.bannered = set()
        hints = self.scan()
        # the function's own name and its parameters' are fixed: taken first
        for name in [graph.name] + [p.name for p in graph.params]:
            self.taken.add(literal.checked_identifier(name))
        for p in graph.params:
            self.names[p.value] = p.name
        self.spell.avoid = ((self.spelled | hints) - set(HELPERS)) | self.taken
        tree = ast.FunctionDef(graph.name, self.parameters(), [], [], None)
        body = tree.body
        if docstring:
            body.append(ast.Expr(ast.Constant(docstring)))
        self.ends = {}
        self.block(graph.body, body, None)
        result = graph.result
        if result is not None:
            value = self.operand(result)
            if isinstance(value, ast.Constant) and value.value is None:
                value = None        # `return`
            self.put(body, ast.Return(value), graph.return_origin or graph.origin)
        release(self, body, self.ends)
        return tree

    def parameters(self):
        """The function's parameters (a default that is not plain data is bound as
        `<param>_default`)."""
        kinds = {'positional_only': [], 'positional': [], 'keyword_only': [],
                 'var_positional': [None], 'var_keyword': [None]}
        defaults, kw_defaults = [], []
        for p in self.graph.params:
            kinds[p.kind].append(ast.arg(p.name, None))
            default = None
            if p.default is not None:
                default = self.const(Const(p.default.value,
                                           spelling=p.default.spelling or f'{p.name}_default'))
            if p.kind == 'keyword_only':
                kw_defaults.append(default)
            elif default is not None:
                defaults.append(default)
        return ast.arguments(kinds['positional_only'], kinds['positional'],
                             kinds['var_positional'][-1], kinds['keyword_only'], kw_defaults,
                             kinds['var_keyword'][-1], defaults)

def _last_effective(block, emitter):
    """The last op of a block that is written out (folded ops are part of a later one)."""
    for op in reversed(block.ops):
        if not (isinstance(op, Op) and any(emitter.folds(o) for o in op.outputs)):
            return op
    return None


def _cond_blocks(body, phi, emitter):
    """The cond block of the loop whose body is `body`."""
    op = emitter.defs.get(phi, (None,))[0]
    return [op.cond_block] if isinstance(op, Loop) else []



def _holds(op, user):
    """Is the op `user` op itself or inside it?  A region slot (`(kind, region)`:
    a branch's yield, a carried value) is never placed: it is assigned among the
    region's parallel outputs, so a name shared across it is not safe."""
    if isinstance(user, tuple):
        return False
    if user is op:
        return True
    if isinstance(op, (If, Loop)):
        return any(user is inner for block in op.blocks() for inner in walk(block))
    return False



__all__ = ['emit', 'Generated']
