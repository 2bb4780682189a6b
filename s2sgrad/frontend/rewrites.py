"""gast-to-gast rewrites lowering makes on the way: the statements after an if
that may exit move into its branches (after a loop that returned, `if returned:
return value` is such an if), a while test that binds a name moves into the
loop's body, and a comprehension over a run-time sequence becomes a loop."""
import gast


def with_rest(stmt, rest):
    """`if c: A` followed by `rest`, where A may return: `if c: A; rest else: rest`
    (for a match: `rest` after every case that falls through, and when none matches)."""
    def extend(body):
        return list(body) if _always_exits(body) else list(body) + list(rest)
    if isinstance(stmt, gast.Match):
        cases = [gast.match_case(pattern=c.pattern, guard=c.guard, body=extend(c.body))
                 for c in stmt.cases]
        last = stmt.cases[-1] if stmt.cases else None
        if not (last is not None and last.guard is None and isinstance(last.pattern, gast.MatchAs)
                and last.pattern.pattern is None):
            wildcard = gast.copy_location(gast.MatchAs(pattern=None, name=None), stmt)
            cases.append(gast.match_case(pattern=wildcard, guard=None, body=list(rest)))
        return gast.copy_location(gast.Match(subject=stmt.subject, cases=cases), stmt)
    new = gast.If(test=stmt.test, body=extend(stmt.body), orelse=extend(stmt.orelse))
    return gast.copy_location(new, stmt)


def _always_exits(body):
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (gast.Return, gast.Raise, gast.Break, gast.Continue)):
        return True
    if isinstance(last, gast.If):
        return _always_exits(last.body) and _always_exits(last.orelse)
    return False


def test_in_body(loop):
    """`while test: body` as `while True: if not test: break; body`."""
    stop = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=loop.test),
                   body=[gast.copy_location(gast.Break(), loop.test)], orelse=[])
    new = gast.While(test=gast.Constant(value=True, kind=None),
                     body=[gast.copy_location(stop, loop.test)] + list(loop.body), orelse=[])
    return gast.fix_missing_locations(gast.copy_location(new, loop))


def return_if(flag, value, stmt):
    """`if flag: return value` (names of a loop's return flag and value), at `stmt`."""
    check = gast.If(test=gast.Name(flag, gast.Load(), None, None),
                    body=[gast.Return(value=gast.Name(value, gast.Load(), None, None))],
                    orelse=[])
    return gast.copy_location(check, stmt)


def _generator_loop(comp, statement):
    """`for target in iter: if c: statement` for a comprehension's generator `comp`."""
    body = [statement]
    for test in reversed(comp.ifs):
        body = [gast.If(test=test, body=body, orelse=[])]
    return gast.For(target=comp.target, iter=comp.iter, body=body, orelse=[], type_comment=None)


def appending_loop(node, name):
    """`[elt for ...]` (one generator) as a loop appending each item to list `name`."""
    call = gast.Call(func=gast.Attribute(value=gast.Name(name, gast.Load(), None, None),
                                         attr='append', ctx=gast.Load()),
                     args=[node.elt], keywords=[])
    loop = _generator_loop(node.generators[0], gast.Expr(value=call))
    gast.copy_location(loop, node)
    for inner in gast.walk(loop):
        if not hasattr(inner, 'lineno') or inner.lineno is None:
            gast.copy_location(inner, node)
    return loop


def summing_loop(gen, acc, node):
    """`sum(elt for ...)` (one generator) as a loop adding each item to `acc`."""
    store = gast.Name(acc, gast.Store(), None, None)
    load = gast.Name(acc, gast.Load(), None, None)
    update = gast.Assign(targets=[store], value=gast.BinOp(left=load, op=gast.Add(),
                                                             right=gen.elt), type_comment=None)
    loop = _generator_loop(gen.generators[0], update)
    for synthetic in (update, loop, *[b for b in loop.body if isinstance(b, gast.If)]):
        gast.copy_location(synthetic, node)
    gast.fix_missing_locations(loop)
    return loop
