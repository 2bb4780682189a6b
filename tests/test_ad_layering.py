"""The AD depends on the IR, the rules and the analyses, never on the frontend or
the passes: the lowering it runs inside reaches it through ad/lowering.py."""
import ast
import pathlib

import s2sgrad

AD = pathlib.Path(s2sgrad.__file__).parent / 'ad'
FORBIDDEN = ('s2sgrad.frontend', 's2sgrad.passes', 's2sgrad.ir.lower', 's2sgrad.compiler',
             's2sgrad.api', 's2sgrad.codegen')


def _imported(path):
    """The absolute names of the modules a file of s2sgrad/ad imports, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = 's2sgrad.ad'.rsplit('.', node.level - 1)[0] if node.level else ''
            module = '.'.join(part for part in (base, node.module) if part)
            found.extend([module] + [f'{module}.{alias.name}' for alias in node.names])
    return found


def test_the_ad_imports_neither_the_frontend_nor_the_passes():
    wrong = [(path.name, name) for path in sorted(AD.glob('*.py')) for name in _imported(path)
             if name.startswith(FORBIDDEN)]
    assert not wrong
