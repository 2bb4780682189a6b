"""Questions lowering asks of gast statements before lowering them: can they exit
(return, raise, break, continue), which names a loop body assigns, appends to,
deletes or reads first."""
import weakref

import gast


def may_exit(stmt):
    """Can this statement end the function or the loop iteration it is in?

    return and raise anywhere count (a return in an inner loop ends the
    function too); break and continue only outside inner loops.  Known
    answers are kept: a rule's body is lowered again for every op it
    differentiates (parsed trees are cached and never changed).
    """
    known = _exits.get(stmt)
    if known is None:
        known = _exits[stmt] = _search_exit(stmt)
    return known


_exits = weakref.WeakKeyDictionary()


def _search_exit(stmt):
    def visit(node, in_inner_loop):
        if isinstance(node, (gast.Return, gast.Raise)):
            return True
        if isinstance(node, (gast.Break, gast.Continue)) and not in_inner_loop:
            return True
        if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            return False
        inner = in_inner_loop or isinstance(node, (gast.For, gast.While))
        return any(visit(child, inner) for child in gast.iter_child_nodes(node))
    return visit(stmt, False)


def deleted_names(body):
    return [name.id for stmt in body for node in gast.walk(stmt) if isinstance(node, gast.Delete)
            for target in node.targets for name in _flat_targets(target)
            if isinstance(name, gast.Name)]


def _flat_targets(target):
    if isinstance(target, (gast.Tuple, gast.List)):
        return [t for e in target.elts for t in _flat_targets(e)]
    return [target]


def walrus_names(node):
    return [n.target.id for n in gast.walk(node) if isinstance(n, gast.NamedExpr)]


def stored_names(target):
    return [n.id for n in gast.walk(target) if isinstance(n, gast.Name)]


def assigned_names(body):
    """Names a loop body assigns (its loop-carried variables), in order."""
    names = []
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store) \
                    and node.id not in names:
                names.append(node.id)
            # case (a, *rest) / {**kw}: capture patterns bind names too
            bound = getattr(node, 'name', None) if isinstance(node, (gast.MatchAs, gast.MatchStar)) \
                else getattr(node, 'rest', None) if isinstance(node, gast.MatchMapping) else None
            if bound is not None and bound not in names:
                names.append(bound)
            # lst.append(v) and x.sort() make a new version of lst / x
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in ('append', 'extend', 'insert', 'pop', 'remove',
                                           'sort', 'fill', 'put', 'partition') \
                    and isinstance(node.func.value, gast.Name) \
                    and node.func.value.id not in names:
                names.append(node.func.value.id)
            # x[i] = v makes a new version of x
            targets = node.targets if isinstance(node, (gast.Assign, gast.Delete)) else \
                [node.target] if isinstance(node, gast.AugAssign) else []
            for target in targets:
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) \
                        and target.value.id not in names:
                    names.append(target.value.id)
    return names


def assigned_first(body, test):
    """Names a loop body assigns (`name = ...` among its first plain assignments)
    before it or the loop's test reads them: the value the previous iteration left
    is never read."""
    def loads(node):
        return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load)} if node is not None else set()
    read = loads(test)
    first = set()
    for stmt in body:
        if not (isinstance(stmt, gast.Assign) and
                all(isinstance(t, gast.Name) for t in stmt.targets)) or any(
                    isinstance(n, gast.Call) and isinstance(n.func, gast.Name)
                    for n in gast.walk(stmt.value)):
            break           # (a call of a nested def may read anything)
        read |= loads(stmt.value)
        first |= {t.id for t in stmt.targets if t.id not in read}
    return first


def appended_names(body):
    """Names of lists a loop body calls append / extend / insert / pop / remove on, or
    adds to (`lst += [h, c]`: of a list, appends)."""
    names = []
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in ('append', 'extend', 'insert', 'pop', 'remove') \
                    and isinstance(node.func.value, gast.Name):
                names.append(node.func.value.id)
            elif isinstance(node, gast.AugAssign) and isinstance(node.op, gast.Add) and \
                    isinstance(node.target, gast.Name):
                names.append(node.target.id)
    return names


def only_appended(body, name):
    """Does a loop body change list `name` only by appending to it?"""
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and node.id == name and \
                    isinstance(node.ctx, gast.Store):
                return False
            if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) \
                    and node.value.id == name and node.attr != 'append':
                return False
            if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                    and isinstance(node.value, gast.Name) and node.value.id == name:
                return False
    return True


def indexed_stores(body):
    """Names a loop body assigns into at an index that is not a constant (`lst[i] = v`)."""
    names = []
    for stmt in body:
        for node in gast.walk(stmt):
            targets = list(node.targets) if isinstance(node, gast.Assign) else \
                [node.target] if isinstance(node, gast.AugAssign) else []
            while any(isinstance(t, (gast.Tuple, gast.List, gast.Starred)) for t in targets):
                # (`hs[i], cs[i] = ...`: each item of the unpacking)
                targets = [e for t in targets for e in (
                    t.elts if isinstance(t, (gast.Tuple, gast.List)) else
                    [t.value] if isinstance(t, gast.Starred) else [t])]
            for target in targets:
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) \
                        and not isinstance(target.slice, gast.Constant):
                    names.append(target.value.id)
    return names


def read_outside(function, loop, name):
    """Is `name` read in `function` anywhere but in `loop`'s body?"""
    inside = {id(n) for stmt in loop.body for n in gast.walk(stmt)}
    # (`name += ...` reads it too, though its Name is a store)
    augmented = {id(n.target) for n in gast.walk(function) if isinstance(n, gast.AugAssign)}
    return any(isinstance(n, gast.Name) and n.id == name and id(n) not in inside and
               (isinstance(n.ctx, gast.Load) or id(n) in augmented)
               for n in gast.walk(function))


def has_break(body):
    def visit(node, inner):
        if isinstance(node, gast.Break) and not inner:
            return True
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):
            return False
        inner = inner or isinstance(node, (gast.For, gast.While))
        return any(visit(c, inner) for c in gast.iter_child_nodes(node))
    return any(visit(stmt, False) for stmt in body)


def has_return(body):
    return any(isinstance(n, gast.Return) for stmt in body for n in gast.walk(stmt))
