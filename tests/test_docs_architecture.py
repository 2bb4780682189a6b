"""docs/architecture.md names what exists: its paths, its dotted names, every module
of the package, and its `str(graph)` example is what the code prints."""
import dataclasses
import importlib
import re
import sys

import pytest

import s2sgrad as sg
from test_layering import MODULES, PACKAGE

ROOT = PACKAGE.parent
PAGE = (ROOT / 'docs' / 'architecture.md').read_text()

LAYERS = ('frontend', 'ir', 'analyses', 'ad', 'rules', 'passes', 'codegen', 'runtime')
TOP = ('api', 'compiler', 'specialisation', 'errors', 'export', 'cli', 'testing')


def _paths():
    """Every file path the page names: `s2sgrad/ir/nodes.py`, `ir/nodes.py`,
    `tests/test_rules.py`, `docs/ops.md`, `bench/run.py` (globs skipped)."""
    found = set()
    pattern = r'(?<![\w/.])((?:s2sgrad|tests|docs|bench|examples|%s)/[\w/]+\.(?:py|md|txt))' \
        % '|'.join(LAYERS)
    for path in re.findall(pattern, PAGE):
        found.add(path if path.split('/')[0] in ('s2sgrad', 'tests', 'docs', 'bench', 'examples')
                  else 's2sgrad/' + path)
    for name in re.findall(r'`(\w+)\.py`', PAGE):     # the top-level modules: `api.py`
        if name in TOP:
            found.add(f's2sgrad/{name}.py')
    return sorted(found)


def _dotted_names():
    """Every backticked dotted name that starts with a module of the package:
    `s2sgrad.ad.interface`, `compiler.PASSES`, `errors.Origin`."""
    starts = ('s2sgrad',) + LAYERS + TOP
    names = set()
    for code in re.findall(r'`([^`\n]+)`', PAGE):
        name = code.split('(')[0]
        if re.fullmatch(r'[A-Za-z_]\w*(\.[A-Za-z_]\w*)+', name) and \
                name.split('.')[0] in starts and name.rpartition('.')[2] not in ('py', 'md'):
            names.add(name)
    return sorted(names)


def _resolve(name):
    parts = name.split('.')
    if parts[0] != 's2sgrad':
        parts = ['s2sgrad'] + parts
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if hasattr(obj, attr):
                obj = getattr(obj, attr)
            elif dataclasses.is_dataclass(obj) and attr in {f.name for f in
                                                            dataclasses.fields(obj)}:
                return True     # a field without a class-level default
            else:
                return False
        return True
    return False


def test_the_page_names_paths_and_names():
    assert len(_paths()) > 50 and len(_dotted_names()) > 10     # the patterns see them


@pytest.mark.parametrize('path', _paths())
def test_every_path_exists(path):
    assert (ROOT / path).exists(), path


@pytest.mark.parametrize('name', _dotted_names())
def test_every_dotted_name_exists(name):
    assert _resolve(name), name


@pytest.mark.parametrize('module', sorted(m for m in MODULES if m.count('.') >= 1))
def test_every_module_is_in_the_layout(module):
    path = MODULES[module].relative_to(PACKAGE).as_posix()
    if path.endswith('__init__.py'):
        return
    assert re.search(r'(?<![\w/])' + re.escape(path), PAGE) or \
        re.search(r'(?<![\w/])s2sgrad/' + re.escape(path), PAGE), f'{path} is not described'


def _source_lines():
    lines = set()
    for path in PACKAGE.rglob('*.py'):
        lines.update(line.strip() for line in path.read_text().splitlines())
    return lines


def test_code_excerpts_are_the_codes():
    """Each line of a ```python excerpt (the IR example aside) is a line of the package."""
    blocks = re.findall(r'(<!-- example: [^>]*-->\n)?```python\n(.*?)```', PAGE, re.S)
    excerpts = [body for example, body in blocks if not example]
    assert excerpts
    lines = _source_lines()
    for body in excerpts:
        for line in body.splitlines():
            assert not line.strip() or line.strip() in lines, line


def test_the_guides_link_the_page():
    assert '(architecture.md)' in (ROOT / 'docs' / 'index.md').read_text()
    assert '(docs/architecture.md)' in (ROOT / 'README.md').read_text()


def _block_after(marker):
    return PAGE.split(f'<!-- example: {marker} -->')[1].split('```')[1].split('\n', 1)[1]


def test_the_ir_example_is_what_the_code_prints(tmp_path, monkeypatch):
    (tmp_path / 'model.py').write_text(_block_after('model.py'))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop('model', None)
    model = importlib.import_module('model')
    try:
        assert str(sg.graph(model.loss).graph) == _block_after('str(graph)')
    finally:
        sys.modules.pop('model', None)
