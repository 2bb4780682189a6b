"""Lowering of loops: what a for loop iterates (unrolled over a sequence known
item by item, else walked by index), the loop-carried names, and the Loop region
with its break / return flags; break and continue end the iteration."""
import copy

import gast

from ..ad import interface
from ..ir import effects, prims
from ..ir.nodes import NONE, Block, Checkpointed, Const, Loop, Pack, Value
from ..runtime import helpers
from ..runtime.revolve import _sg_bytes
from .analysis import (appended_names, assigned_first, assigned_names, deleted_names, has_break,
                       has_return, indexed_stores, may_exit, only_appended, read_outside,
                       stored_names)
from .context import DELETED, hint_of, item_hint
from .rewrites import test_in_body


class LoopLowering:
    """for and while loops, break and continue (a mixin of FunctionLowering)."""

    __slots__ = ()

    def stmt_For(self, node):
        if node.orelse:
            raise self.error('for ... else is not supported', node)
        schedule = self.schedule(node, node.iter)
        if schedule is not None:
            steps = self.expr(schedule.pop('steps'))
            if not (isinstance(steps, Const) and isinstance(steps.value, range) or
                    isinstance(steps, Value) and self.made_by(steps, range)):
                raise self.error('checkpointed(...) loops over a range(...)', node.iter)
            node = copy.copy(node)
            node.iter = node.iter.args[0] if node.iter.args else \
                next(k.value for k in node.iter.keywords if k.arg == 'steps')
        iterable, targets, bind = self.iteration(node)
        if iterable is None:
            return
        self.loop(node, 'for', iterable, targets, bind, None)
        self.mark_scheduled(node, schedule)

    def stmt_While(self, node):
        if node.orelse:
            raise self.error('while ... else is not supported', node)
        schedule = self.schedule(node, node.test)
        if schedule is not None:
            node = copy.copy(node)
            node.test = schedule.pop('steps')
        if any(isinstance(n, gast.NamedExpr) for n in gast.walk(node.test)):
            if schedule is not None:
                raise self.error('the test of a checkpointed while loop cannot bind a name '
                                 '(:=): assign it in the body', node)
            # `while (y := f(y)) > t:` binds y at every test, the failing one too,
            # and the body reads it: the test moves into the body
            node = test_in_body(node)
        self.loop(node, 'while', None, [], None, node.test)
        self.mark_scheduled(node, schedule)

    def schedule(self, node, wrapped):
        """`for t in sg.checkpointed(range(T), snapshots=s):` or `while
        sg.checkpointed(test, memory='100MB'):` -> {'steps': the range's or the test's
        expression, 'snapshots' or 'memory': its value}: the loop's adjoint keeps s
        states, or as many as fit in the budget (ad/revolve.py); else None."""
        call = wrapped
        if not (isinstance(call, gast.Call) and
                getattr(call.func, 'attr', getattr(call.func, 'id', None)) == 'checkpointed'):
            return None
        callee = self.expr(call.func)
        if not (isinstance(callee, Const) and callee.value is interface.checkpointed):
            return None
        given = dict(zip(('steps', 'snapshots'), call.args)) | \
            {k.arg: k.value for k in call.keywords}
        if len(call.args) > 2 or len(given) != 2 or 'steps' not in given or \
                set(given) - {'steps', 'snapshots', 'memory'}:
            raise self.error('checkpointed(steps, snapshots=...) takes a range (or a while '
                             'loop\'s test) and a number of snapshots or a memory budget '
                             '(memory=...), one of them', call)
        if has_return(node.body):
            raise self.error('a checkpointed loop cannot return (break, then return after '
                             'it)', node)
        if 'snapshots' in given:
            snapshots = self.expr(given['snapshots'])
            if not (isinstance(snapshots, Const) and type(snapshots.value) is int and
                    snapshots.value >= 1):
                raise self.error('the snapshots of checkpointed(...) must be an int >= 1 '
                                 'known when transforming', call)
            return {'steps': given['steps'], 'snapshots': snapshots.value}
        memory = self.expr(given['memory'])
        try:
            if not isinstance(memory, Const):
                raise ValueError('it is computed at run time')
            _sg_bytes(memory.value)
        except ValueError as error:
            raise self.error(f'the memory of checkpointed(...) must be a number of bytes or '
                             f"a string such as '100MB' known when transforming: {error}",
                             call) from None
        return {'steps': given['steps'], 'memory': memory.value}

    def mark_scheduled(self, node, schedule):
        """The loop just lowered keeps the states `schedule` says (ad/revolve.py)."""
        if schedule is not None:
            loop = next(op for op in reversed(self.builder.block.ops) if isinstance(op, Loop))
            loop.checkpoint = Checkpointed('loop body', self.origin(node), **schedule)

    def stmt_Break(self, node):
        loop = self.loops[-1]
        self.env[loop['break_flag']] = Const(True)
        loop['breaks'] = True
        self.returned, self.result = True, None

    def stmt_Continue(self, node):
        self.returned, self.result = True, None

    def iteration(self, node):
        """What a for loop runs over: (iterable, target values, binder of the user's target).

        Arrays and run-time sequences are walked by index (`for _i in
        range(len(X)): row = X[_i]`), so that the loop's gradient flows back
        through ordinary indexing; enumerate, zip, enumerate(zip(...)) and
        reversed likewise.  A list or tuple known at transform time is
        unrolled (walked by index too where the body may break or return).
        """
        origin = self.origin(node)
        kind = self.builtin_called(node.iter, (enumerate, zip, reversed))
        if kind is enumerate and len(node.iter.args) == 1 and \
                self.builtin_called(node.iter.args[0], (zip,)) is zip:
            kind, seqs = 'enumerate zip', [self.expr(a) for a in node.iter.args[0].args]
        elif kind is not None:
            seqs = [self.expr(a) for a in node.iter.args]
        else:
            seq = self.expr(node.iter)
            if isinstance(seq, Const) and isinstance(seq.value, range) or \
                    isinstance(seq, Value) and self.made_by(seq, range):
                i = Value(_target_hint(node.target), origin)
                self.ctx.memory.ints.add(i)
                return seq, [i], lambda: self.assign(node.target, i)
            seqs = [seq]
        for k, q in enumerate(seqs):
            items = self.iterated_items(q, node.iter)
            if items is not None:
                seqs[k] = Pack('tuple', items)
            elif isinstance(q, Value) and self.may_be_mapping(q):
                # a dict iterates its keys: which it is is known only at run time
                seqs[k] = self.builder.emit(helpers._sg_iterable, [q], {}, origin, '_seq')
        if kind is enumerate and len(seqs) != 1:
            raise self.error('enumerate takes one sequence here', node)
        if any(isinstance(q, Pack) for q in seqs) and \
                not any(may_exit(stmt) for stmt in node.body):
            # a list or tuple known item by item: unrolled
            n = min(len(q.items) for q in seqs if isinstance(q, Pack))

            def item(q, k):
                if isinstance(q, Pack):
                    return q.items[k]
                return self.builder.emit(prims.GETITEM, [q, Const(k)], {}, origin, '_item',
                                         style=('subscript',))
            for k in (range(n - 1, -1, -1) if kind is reversed else range(n)):
                self.assign(node.target, _iteration_item(kind, Const(k),
                                                         [item(q, k) for q in seqs]))
                self.stmts(node.body)
            return None, None, None
        # walked by index (a list known item by item whose body may exit: as a run-time list)
        seqs = [self.runtime_list(q, origin, '_seq') if isinstance(q, Pack) else q
                for q in seqs]
        lengths = [self.builder.emit(len, [q], {}, origin, '_n') for q in seqs]
        n = lengths[0] if len(lengths) == 1 else \
            self.builder.emit(min, lengths, {}, origin, '_n')
        if kind is reversed:
            last = self.binary(gast.Sub(), n, Const(1), node)
            rng = self.builder.emit(range, [last, Const(-1), Const(-1)], {}, origin, '_range')
        else:
            rng = self.builder.emit(range, [n], {}, origin, '_range')
        i = Value('_i', origin)
        self.ctx.memory.ints.add(i)

        def bind():
            # the sequence's memory as it is now (the body may write into it)
            items = [self.builder.emit(prims.GETITEM, [effects.current(self, q), i], {},
                                       origin, '_item', style=('subscript',)) for q in seqs]
            self.assign(node.target, _iteration_item(kind, i, items))
        return rng, [i], bind

    def builtin_called(self, node, builtins):
        """Which of `builtins` the call `node` calls (positional arguments only), if any."""
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and not node.keywords and node.func.id not in self.env):
            return None
        found, fn = self.resolve(node.func.id)
        return fn if found and any(fn is b for b in builtins) else None

    def iterated_items(self, seq, node):
        """The items `for item in seq` walks when they are known item by item (a dict:
        its keys, as Python iterates it), else None.  A set is refused: its order
        is Python's choice."""
        if isinstance(seq, Pack):
            return [Const(k) for k in seq.keys] if seq.kind == 'dict' else list(seq.items)
        if isinstance(seq, Const):
            if isinstance(seq.value, (set, frozenset)):
                raise self.error('iterating a set cannot be transformed: its order is not '
                                 'defined; iterate a list or sorted(...) of it', node)
            if isinstance(seq.value, (tuple, list, dict)):
                return [Const(v) for v in seq.value]
        return None

    def loop(self, node, kind, iterable, targets, bind, test):
        """A loop region.  Lowered again where its body turned out to write memory
        other names show (they are carried too), or changed how carried arrays share
        memory (their records: ir/effects.py)."""
        entry, ids = dict(self.env), len(self.ctx.loop_ids)
        seen = effects.LoopFacts()
        for _ in range(8):
            try:
                return self.loop_once(node, kind, iterable, targets, bind, test, seen)
            except effects.Again:
                self.env = dict(entry)
                del self.ctx.loop_ids[ids:]
        raise self.error('the arrays this loop writes into share memory in a way not '
                         'followed here; copy them first (np.copy)', node)

    def loop_once(self, node, kind, iterable, targets, bind, test, seen):
        origin = self.origin(node)
        k = len(self.ctx.loop_ids)
        self.ctx.loop_ids.append(node)
        ctx = {'break_flag': f'_break{k}', 'return_flag': f'_returned{k}',
               'return_value': f'_return_value{k}', 'breaks': False, 'returns': False}
        target_names = stored_names(node.target) if kind == 'for' else []
        # a loop variable read after the loop keeps its last value, as in Python: a
        # loop-carried variable too
        leftover = [n for n in target_names if read_outside(self.src.node, node, n)]
        names = [n for n in assigned_names(node.body) if n not in target_names] + leftover
        flags = [ctx['break_flag']] if has_break(node.body) else []
        if has_return(node.body):
            flags += [ctx['break_flag'], ctx['return_flag'], ctx['return_value']]
        deleted = deleted_names(node.body)
        # a name the body deletes is not carried: each iteration starts without it
        carried = list(dict.fromkeys(names + flags + sorted(seen.extra)))
        carried = [n for n in carried if n not in seen.stale and n not in deleted]
        for name in seen.stale:
            self.env[name] = seen.stale[name]
        effects.settle(self, {}, origin, [n for n in carried if n in self.env])
        # lists the body appends to or assigns into at a run-time index: run-time
        # lists from here on (their length or the item written is known only then)
        appended = appended_names(node.body) + indexed_stores(node.body)
        structured = {}                 # name -> (kind, keys): a tuple/dict carried item by item
        for name in carried:
            current = self.env.get(name)
            changed_list = name in appended and (
                isinstance(current, Pack) and current.kind == 'list' or
                current in self.ctx.lists)
            holder = self.other_holder(current, name) if changed_list else None
            if holder:
                # only `name` is carried: another name showing the list would not see
                # what the iterations did to it
                raise self.error(f'{name!r} is also reachable as {holder} here; this loop '
                                 f'changes the list (append, or an assignment at a run-time '
                                 f'index) and only {name!r} would see it: copy it first '
                                 f'(list({name}))', node)
            if isinstance(current, Pack) and current.kind == 'list' and name in appended:
                # a list the body appends to: a run-time list from here on (its length
                # varies with the iterations)
                self.env[name] = self.runtime_list(current, origin, name)
            elif isinstance(current, Pack):
                # same structure every iteration (state = (h, c), a dict of arrays):
                # each item is a loop variable of its own
                structured[name] = (current.kind, current.keys, len(current.items))
        slots = []                      # (name, item index or None)
        for name in carried:
            if name in structured:
                slots += [(name, k) for k in range(structured[name][2])]
            else:
                slots.append((name, None))
        before = dict(self.env)
        phis, inits = [], []
        for name, k in slots:
            hint = hint_of(name) if k is None else item_hint(name, structured[name][1], k)
            phi = Value(hint, origin)
            if k is not None:
                init = before[name].items[k]
            elif name.startswith('_returned') or name.startswith('_break'):
                init = before.get(name, Const(False))
            else:
                init = before.get(name, NONE)
                init = NONE if init is DELETED else init
            self.merged_version(phi, (init,))
            if init in self.ctx.lists:
                self.ctx.lists.add(phi)
                if k is None and only_appended(node.body, name):
                    items = self.ctx.list_items.get(init, ([], False))[0]
                    self.ctx.list_items[phi] = (items, False)
            phis.append(phi)
            inits.append(init)
        for name in carried:
            if name in structured:
                kind_, keys, _ = structured[name]
                self.env[name] = Pack(kind_, [p for p, (n, k) in zip(phis, slots) if n == name],
                                      keys)
            else:
                self.env[name] = phis[slots.index((name, None))]
        seen.dead = assigned_first(node.body, test)
        effects.phi_records(self, slots, phis, inits, seen)
        self.carried_classes(phis, inits)
        cond_block, cond = Block(), None
        if kind == 'while':
            self.builder.stack.append(cond_block)
            cond = self.expr(test)
            self.builder.stack.pop()
        body = Block()
        self.builder.stack.append(body)
        self.loops.append(ctx)
        saved = self.returned, self.result
        self.returned, self.result = False, None
        try:
            if bind is not None:
                bind()
            for name in flags:
                if name.startswith('_break'):
                    self.env[name] = Const(False)   # each iteration starts unbroken
            for name in deleted:
                self.env[name] = DELETED
            self.stmts(node.body)
            effects.settle(self, before, origin)
        finally:
            self.loops.pop()
            self.builder.stack.pop()
            self.returned, self.result = saved
        for name, (kind_, keys, size) in structured.items():
            # (checked per name: an empty one has no slot of its own)
            new = self.env.get(name)
            if not (isinstance(new, Pack) and new.kind == kind_ and len(new.items) == size
                    and new.keys == keys):
                grows = ' (a list that grows: append to it, or +=)' if kind_ == 'list' else ''
                raise self.error(f'{name!r} ({kind_}) must keep its structure (length and '
                                 f'keys) from one iteration to the next{grows}', node)
        nexts = []
        for (name, k), phi in zip(slots, phis):
            if k is None:
                nexts.append(self.env.get(name, phi))
                if name in leftover and isinstance(nexts[-1], Pack):
                    raise self.error(f'the loop variable {name!r} holds a tuple and is read '
                                     f'after the loop: not supported; assign its items to '
                                     f'variables in the loop', node)
                continue
            nexts.append(self.env[name].items[k])
        effects.check_loop(self, slots, phis, nexts, carried, before, target_names, seen, body)
        self.check_versions(phis, nexts, body, node)
        exit_flag = self.env.get(ctx['break_flag']) if ctx['breaks'] else None
        if isinstance(exit_flag, Const) and not exit_flag.value:
            exit_flag = None
        outputs = [Value(phi.hint, origin) for phi in phis]
        self.loop_classes(phis, nexts, outputs, node)
        for phi, out, nxt in zip(phis, outputs, nexts):
            self.merged_version(out, (phi, nxt))
            if phi in self.ctx.lists:
                self.ctx.lists.add(out)
                if phi in self.ctx.list_items:
                    self.ctx.list_items[out] = self.ctx.list_items[phi]
                if not (nxt in self.ctx.lists):
                    raise self.error(f'{phi.hint!r} is a list before the loop but not after '
                                     f'an iteration', node)
        region = Loop(kind, iterable, targets, phis, inits, nexts, cond_block, cond, body,
                      outputs, exit_flag, origin)
        self.builder.append(region)
        effects.loop_outputs(self, slots, phis, inits, nexts, outputs, seen)
        self.env = dict(before)
        for name in target_names:
            self.env.pop(name, None)    # (unless read after the loop: carried)
        for name in deleted:
            self.env[name] = DELETED    # deleted or not, depending on the iterations
        for name in carried:
            if name in structured:
                kind_, keys, _ = structured[name]
                self.env[name] = Pack(kind_, [o for o, (n, k) in zip(outputs, slots)
                                              if n == name], keys)
            else:
                self.env[name] = outputs[slots.index((name, None))]
        for name in leftover:
            if name not in before:
                # after a loop that ran no iteration the name is unbound, as in Python
                self.env[name] = self.builder.emit(helpers._sg_bound,
                                                   [self.env[name], Const(name)], {}, origin,
                                                   name, temp=False)
        if ctx['returns']:
            self.pending_return = ctx


def _iteration_item(kind, k, items):
    """What a for loop's target is bound to at index k (items: of each sequence)."""
    if kind is enumerate:
        return Pack('tuple', [k, items[0]])
    if kind is zip:
        return Pack('tuple', items)
    if kind == 'enumerate zip':
        return Pack('tuple', [k, Pack('tuple', items)])
    return items[0]


def _target_hint(target):
    return target.id if isinstance(target, gast.Name) else '_i'
