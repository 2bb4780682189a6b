"""The op catalog, from the registry itself: `python -m s2sgrad.rules.catalog` writes docs/ops.md.

One row per callable that has a gradient rule, and one per callable whose
result is a constant, with the family (the rules module) and the rule's note
(its docstring, or the first comment in its body).
"""
import inspect
import sys

from ..codegen.spelling import library_path
from . import registry


def _name(prim):
    found = library_path(prim)
    if found is None:
        return getattr(prim, '__name__', repr(prim))
    module, attr = found
    if module is None:
        return attr
    if module == 'builtins':
        return attr
    return f'{module}.{attr}'


def _note(fn):
    doc = inspect.getdoc(fn)
    if doc:
        return doc.split('\n')[0]
    try:
        lines = inspect.getsource(fn).split('\n')
    except (OSError, TypeError):
        return ''
    comment = []
    for line in lines[1:]:
        text = line.strip()
        if text.startswith('#'):
            comment.append(text.lstrip('#').strip())
        elif comment:
            break
    return ' '.join(comment)


def rows():
    """(function, family, note) for every rule, sorted by family then name."""
    found = {}
    for rule in registry.all_rules():
        if not rule.fn.__module__.startswith('s2sgrad.rules'):
            continue                    # registered by a user, not part of the catalog
        name = _name(rule.prim)
        if name.startswith('_sg_') or not name[0].isalpha() and not name.startswith('_'):
            continue
        if name.startswith('_sg_') or type(rule.prim).__name__ == 'Special':
            continue
        family = rule.fn.__module__.rsplit('.', 1)[-1]
        found[name] = (name, family, _note(rule.fn))
    order = ('numpy.', 'numpy.linalg.', 'numpy.fft.', 'scipy.', 'math.')

    def key(row):
        prefix = max((p for p in order if row[0].startswith(p)), key=len, default='~')
        return row[1], order.index(prefix) if prefix in order else len(order), row[0]
    return sorted(found.values(), key=key)


def constants():
    names = set()
    for prim in registry.all_constants():
        if type(prim).__name__ == 'Special':
            continue
        name = _name(prim)
        if not name.startswith('_sg_'):
            names.add(name)
    return sorted(names)


def markdown():
    lines = ['# Operations s2sgrad differentiates', '',
             'Generated from the rule registry by `python -m s2sgrad.rules.catalog > docs/ops.md`;',
             '`tests/test_catalog.py` fails when this file is stale.  A function is listed under',
             'its NumPy / SciPy name; the array-method and operator forms (`x.sum()`, `x @ y`,',
             '`x.T`) use the same rules.', '',
             '| function | family | note |', '| --- | --- | --- |']
    for name, family, note in rows():
        lines.append(f'| `{name}` | {family} | {note.replace("|", "/")} |')
    lines += ['', '## Constants', '',
              'Results of these are constants: no gradient flows through them, and no error is',
              'raised (comparisons, rounding, index functions, shape queries, ...).', '']
    lines += [', '.join(f'`{name}`' for name in constants()), '']
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.stdout.write(markdown())
