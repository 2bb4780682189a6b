"""gast-to-gast rewrites lowering makes on the way: the statements after an if
that may exit move into its branches, and a while test that binds a name moves
into the loop's body."""
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
