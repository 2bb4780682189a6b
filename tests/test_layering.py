"""The package's import structure: no cycles, and the layers depend one way.

Every import is counted, at module level or inside a function, since an import
hidden in a function to dodge a cycle is still a cycle in the design.  The
edges come from reading the source (ast), not from importing it.
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / 's2sgrad'


def _module_name(path):
    parts = ['s2sgrad'] + list(path.relative_to(PACKAGE).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob('*.py'))}


def _resolve(name):
    """The package module an imported dotted name refers to (its longest known prefix)."""
    while name and name not in MODULES:
        name = name.rpartition('.')[0]
    return name or None


def _imports(module):
    path = MODULES[module]
    package = module if path.name == '__init__.py' else module.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            # `from pkg import name`: name may be a submodule or an attribute
            names = [f'{base}.{alias.name}' for alias in node.names] or [base]
            names = [n if _resolve(n) == n else base for n in names]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith('s2sgrad') else None
            if target and target != module:
                found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_the_import_graph_is_read():
    # the check below is only as good as the edges it sees
    assert 's2sgrad.compiler' in GRAPH['s2sgrad.api']
    assert any(m.startswith('s2sgrad.ir.') for m in GRAPH['s2sgrad.compiler'])


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_cycles_are_found():
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]


def _layer(module):
    return module.split('.')[1] if module.count('.') else ''


# Who may not be imported by whom: the AD sees the IR and the rules, never how
# the IR was made (frontend) or what is done to it afterwards; nothing below the
# api imports it; the run-time helpers, which exported code carries, stand alone.
FORBIDDEN = {
    'ad': {'frontend', 'passes', 'codegen', 'compiler', 'api', 'export', 'cli'},
    'ir': {'frontend', 'ad', 'passes', 'codegen', 'compiler', 'api', 'export', 'cli'},
    'frontend': {'passes', 'compiler', 'api', 'export', 'cli'},
    'passes': {'frontend', 'compiler', 'api', 'export', 'cli'},
    'codegen': {'frontend', 'ad', 'compiler', 'api', 'export', 'cli'},
    'rules': {'passes', 'compiler', 'api', 'export', 'cli'},
    'runtime': {'frontend', 'ir', 'ad', 'passes', 'codegen', 'rules', 'analyses', 'compiler',
                'api', 'export', 'cli'},
}


# The names user code calls inside a graph (`gradients`, `stop_gradient` and their
# options): a leaf every layer above the run-time helpers may recognise.
USER_MARKERS = 's2sgrad.ad.interface'


@pytest.mark.parametrize('module', sorted(MODULES))
def test_layers(module):
    layer = _layer(module)
    forbidden = FORBIDDEN.get(layer, set())
    wrong = sorted(m for m in GRAPH[module] if _layer(m) in forbidden and
                   (m != USER_MARKERS or layer == 'runtime'))
    assert wrong == [], f'{module} imports {wrong}'
