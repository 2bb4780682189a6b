"""Lowering `match` statements.

A pattern is decided when transforming wherever the subject is known then:
a constant (any pattern: literal, capture, wildcard, value, sequence,
mapping, class), or a tuple, list or dict built in the function (known item
by item).  Where a comparison needs a run-time value (`case 0.0:` on an
array's sum), the cases become an if / elif chain on `subject == literal`,
as Python evaluates them; a sequence pattern on a shape (`x.shape`, a
tuple) tests its length at run time.  Anything else (a sequence, mapping or
class pattern on a run-time value whose type is only known when the code
runs) is refused at the case's line.
"""
import collections.abc
import itertools

import gast
import numpy as np

from ..ir import prims
from ..ir.nodes import NONE, Const, Pack, Value

# Classes whose single positional sub-pattern matches the subject itself (PEP 634).
SELF_MATCHING = (bool, bytearray, bytes, dict, float, frozenset, int, list, set, str, tuple)
# What a tuple, list or dict built in the function is an instance of.
PACK_TYPES = {'tuple': tuple, 'list': list, 'dict': dict}

_names = itertools.count()


def lower_match(lowering, node):
    """`match subject: case ...`: each case either chosen now, or an `if` on a run-time test."""
    subject = lowering.expr(node.subject)
    name = f'_match{next(_names)}'
    lowering.env[name] = subject
    try:
        lower_cases(lowering, node, name, subject, list(node.cases))
    finally:
        for key in [k for k in lowering.env if k.startswith(name + '_') or k == name]:
            del lowering.env[key]


def lower_cases(lowering, node, name, subject, cases):
    while cases:
        case, cases = cases[0], cases[1:]
        cond, bindings = match_pattern(lowering, case.pattern, subject)
        if isinstance(cond, Const) and not cond.value:
            continue
        rest = []
        if cases:
            rest_match = gast.Match(subject=gast.Name(name, gast.Load(), None, None),
                                    cases=cases)
            rest = [_located(rest_match, cases[0].pattern)]
        body = list(case.body)
        if case.guard is not None:
            body = [_located(gast.If(test=case.guard, body=body, orelse=list(rest)), case.guard)]
        if isinstance(cond, Const):
            # the pattern matches: bind, then the body (under the guard, if any)
            for target, operand in bindings:
                lowering.assign(gast.Name(target, gast.Store(), None, None), operand)
            lowering.stmts(body)
            return
        # a run-time test: `if test: <bind>; body else: <the remaining cases>`
        binds = []
        for k, (target, operand) in enumerate(bindings):
            source = f'{name}_{next(_names)}_{k}'
            lowering.env[source] = operand
            binds.append(_located(gast.Assign(
                targets=[gast.Name(target, gast.Store(), None, None)],
                value=gast.Name(source, gast.Load(), None, None), type_comment=None),
                case.pattern))
        test = f'{name}_{next(_names)}_test'
        lowering.env[test] = cond
        branch = gast.If(test=gast.Name(test, gast.Load(), None, None), body=binds + body,
                         orelse=rest)
        lowering.stmts([_located(branch, case.pattern)])
        return


def match_pattern(lowering, pattern, subject):
    """(condition, [(name, operand)]): the condition a Const when decided now,
    else a run-time value whose truth says whether the pattern matches."""
    kind = type(pattern).__name__
    handler = globals().get('pattern_' + kind)
    if handler is None:
        raise lowering.error(f'{kind} patterns are not supported', pattern)
    return handler(lowering, pattern, subject)


def pattern_MatchAs(lowering, pattern, subject):
    cond, bindings = (Const(True), []) if pattern.pattern is None \
        else match_pattern(lowering, pattern.pattern, subject)
    if pattern.name is not None:
        bindings = bindings + [(pattern.name, subject)]
    return cond, bindings


def pattern_MatchValue(lowering, pattern, subject):
    value = lowering.expr(pattern.value)
    return compare(lowering, gast.Eq(), subject, value, pattern), []


def pattern_MatchSingleton(lowering, pattern, subject):
    return compare(lowering, gast.Is(), subject, Const(pattern.value), pattern), []


def pattern_MatchOr(lowering, pattern, subject):
    alternatives = [match_pattern(lowering, p, subject) for p in pattern.patterns]
    decided = all(isinstance(c, Const) for c, _ in alternatives)
    if not decided and any(bindings for _, bindings in alternatives):
        raise lowering.error('an or-pattern that binds names needs a subject known when '
                             'transforming', pattern)
    cond = Const(False)
    for alt_cond, bindings in alternatives:
        if isinstance(cond, Const) and isinstance(alt_cond, Const) and alt_cond.value:
            return alt_cond, bindings       # the first alternative that matches binds
        cond = either(lowering, cond, alt_cond, pattern)
    return cond, []


def pattern_MatchSequence(lowering, pattern, subject):
    if isinstance(subject, Value) and lowering.made_by(subject, np.shape):
        return shape_pattern(lowering, pattern, subject)
    items = sequence_items(lowering, subject, pattern)
    if items is None:
        return Const(False), []
    stars = [k for k, p in enumerate(pattern.patterns) if isinstance(p, gast.MatchStar)]
    fixed = len(pattern.patterns) - len(stars)
    if len(items) < fixed or (not stars and len(items) != fixed):
        return Const(False), []
    if stars:
        k = stars[0]
        tail = len(pattern.patterns) - k - 1
        star = pattern.patterns[k]
        parts = items[:k] + [Pack('list', items[k:len(items) - tail])] + \
            items[len(items) - tail:]
    else:
        parts = items
    cond, bindings = Const(True), []
    for sub, item in zip(pattern.patterns, parts):
        if stars and sub is star:
            if sub.name is not None:
                bindings.append((sub.name, item))
            continue
        sub_cond, sub_bindings = match_pattern(lowering, sub, item)
        cond = both(lowering, cond, sub_cond, pattern)
        bindings += sub_bindings
    return cond, bindings


def shape_pattern(lowering, pattern, shape):
    """`case (n, m):` on `x.shape` (a tuple whose length is known only when the code
    runs): `len(shape) == 2`, then each item read only where the length matched."""
    if any(isinstance(p, gast.MatchStar) for p in pattern.patterns):
        raise lowering.error('a *rest sequence pattern on a run-time shape is not '
                             'supported', pattern)
    origin = lowering.origin(pattern)
    length = lowering.builder.emit(len, [shape], {}, origin, '_ndim')
    cond = fits = lowering.compare(gast.Eq(), length, Const(len(pattern.patterns)), pattern,
                                   None)
    bindings = []
    for k, sub in enumerate(pattern.patterns):
        item = lowering.conditional(
            fits, lambda k=k: lowering.builder.emit(prims.GETITEM, [shape, Const(k)], {}, origin,
                                                    '_item', style=('subscript',)),
            lambda: NONE, pattern, None)
        sub_cond, sub_bindings = match_pattern(lowering, sub, item)
        cond = both(lowering, cond, sub_cond, pattern)
        bindings += sub_bindings
    return cond, bindings


def pattern_MatchMapping(lowering, pattern, subject):
    if isinstance(subject, Pack) and subject.kind == 'dict':
        entries = dict(zip(subject.keys, subject.items))
    elif isinstance(subject, Const) and isinstance(subject.value, collections.abc.Mapping):
        entries = {k: Const(v) for k, v in subject.value.items()}
    elif isinstance(subject, Value):
        raise lowering.error('a mapping pattern needs a dict built in the function or known '
                             'when transforming, not a run-time value', pattern)
    else:
        return Const(False), []
    cond, bindings = Const(True), []
    for key_node, sub in zip(pattern.keys, pattern.patterns):
        key = lowering.expr(key_node)
        if not isinstance(key, Const):
            raise lowering.error('mapping pattern keys must be constants', key_node)
        if key.value not in entries:
            return Const(False), []
        sub_cond, sub_bindings = match_pattern(lowering, sub, entries[key.value])
        cond = both(lowering, cond, sub_cond, pattern)
        bindings += sub_bindings
    if pattern.rest is not None:
        used = [lowering.expr(k).value for k in pattern.keys]
        rest = {k: v for k, v in entries.items() if k not in used}
        bindings.append((pattern.rest, Pack('dict', list(rest.values()), list(rest))))
    return cond, bindings


def pattern_MatchClass(lowering, pattern, subject):
    cls = lowering.expr(pattern.cls)
    if not (isinstance(cls, Const) and isinstance(cls.value, type)):
        raise lowering.error('a class pattern needs a class known when transforming', pattern)
    cls = cls.value
    if isinstance(subject, Pack) and subject.kind in PACK_TYPES and subject.keys is None \
            or isinstance(subject, Pack) and subject.kind == 'dict':
        if cls is not object and cls not in PACK_TYPES.values():
            raise lowering.error(f'class pattern {cls.__name__}() on a {subject.kind} built in '
                                 f'the function is not supported', pattern)
        if not issubclass(PACK_TYPES[subject.kind], cls):
            return Const(False), []
        if pattern.kwd_patterns or len(pattern.patterns) > (cls is not object):
            raise lowering.error(f'class pattern {cls.__name__}(...) with sub-patterns on a '
                                 f'{subject.kind} built in the function is not supported',
                                 pattern)
        if pattern.patterns:
            return match_pattern(lowering, pattern.patterns[0], subject)
        return Const(True), []
    if not isinstance(subject, Const):
        raise lowering.error(f'class pattern {cls.__name__}(...) on a run-time value: its '
                             f'type is known only when the code runs', pattern)
    obj = subject.value
    if not isinstance(obj, cls):
        return Const(False), []
    if cls in SELF_MATCHING and len(pattern.patterns) == 1:
        items = [(pattern.patterns[0], subject)]        # int(n) matches the int itself
    else:
        names = getattr(cls, '__match_args__', ())
        if len(pattern.patterns) > len(names):
            raise lowering.error(f'TypeError: {cls.__name__}() accepts {len(names)} positional '
                                 f'sub-patterns ({len(pattern.patterns)} given)', pattern)
        items = list(zip(pattern.patterns, names))
    cond, bindings = Const(True), []
    for sub, attr in items + list(zip(pattern.kwd_patterns, pattern.kwd_attrs)):
        if isinstance(attr, str):
            if not hasattr(obj, attr):
                return Const(False), []
            attr = Const(getattr(obj, attr))
        sub_cond, sub_bindings = match_pattern(lowering, sub, attr)
        cond = both(lowering, cond, sub_cond, pattern)
        bindings += sub_bindings
    return cond, bindings


def sequence_items(lowering, subject, pattern):
    """The items a sequence pattern walks, or None where it cannot match (PEP 634:
    str, bytes and mappings are not sequences; nor are NumPy arrays)."""
    if isinstance(subject, Pack):
        return list(subject.items) if subject.kind in ('tuple', 'list') else None
    if isinstance(subject, Const):
        value = subject.value
        if isinstance(value, collections.abc.Sequence) \
                and not isinstance(value, (str, bytes, bytearray)):
            return [Const(v) for v in value]
        return None
    raise lowering.error('a sequence pattern needs a tuple or list built in the function or '
                         'known when transforming, not a run-time value', pattern)


def compare(lowering, op, subject, value, pattern):
    """`subject == value` (or `is`): a Const when both are known now."""
    if isinstance(subject, Const) and isinstance(value, Const):
        try:
            test = subject.value is value.value if isinstance(op, gast.Is) \
                else subject.value == value.value
            return Const(bool(test))
        except Exception as exc:
            raise lowering.error(f'{type(exc).__name__}: {exc}', pattern) from None
    if isinstance(subject, Pack):
        if isinstance(op, gast.Is) or isinstance(value, Const) and \
                not isinstance(value.value, (tuple, list, dict)):
            return Const(False)     # a tuple/list/dict is not None, True, 1.0 or 'relu'
        raise lowering.error('comparing a tuple, list or dict built in the function with a '
                             'value pattern is not supported', pattern)
    if not isinstance(value, Const):
        raise lowering.error('a value pattern must be known when transforming', pattern)
    return lowering.compare(op, subject, value, pattern, None)


def both(lowering, a, b, node):
    """`a and b` of two match conditions."""
    if isinstance(a, Const):
        return b if a.value else a
    if isinstance(b, Const) and b.value:
        return a
    return lowering.conditional(a, lambda: b, lambda: a, node, None)


def either(lowering, a, b, node):
    """`a or b` of two match conditions."""
    if isinstance(a, Const):
        return a if a.value else b
    if isinstance(b, Const) and not b.value:
        return a
    return lowering.conditional(a, lambda: a, lambda: b, node, None)


def _located(stmt, where):
    return gast.fix_missing_locations(gast.copy_location(stmt, where))
