"""docs/derivatives.md, its top: which transform for which job, the table of
costs, and the examples (one per transform), which run here.  (Each section
below them is run by the tests of its transforms.)"""
import pathlib
import re
import runpy

PAGE = pathlib.Path(__file__).parent.parent / 'docs' / 'derivatives.md'
TOP = ('Which transform for which job', 'Cost in passes, and memory')
TRANSFORMS = ('grad', 'value_and_grad', 'vjp', 'jvp', 'jacfwd', 'jacrev', 'hessian', 'hvp',
              'sg.checkpoint', 'sg.checkpointed')


def _sections():
    text = PAGE.read_text()
    return {part.split('\n', 1)[0]: part for part in text.split('\n## ')[1:]}


def test_the_top_sections_come_first():
    assert list(_sections())[:len(TOP)] == list(TOP)


def test_each_transform_has_a_job_and_a_cost():
    sections = _sections()
    for title in TOP:
        rows = ' '.join(line for line in sections[title].splitlines()
                        if line.startswith('| ') and '`' in line)
        for name in TRANSFORMS:
            name = name.removeprefix('sg.')
            assert re.search(rf'\bsg\.{name}\b|`{name}\b', rows), (title, name)


def test_the_examples_run(tmp_path, monkeypatch):
    sections = _sections()
    blocks = [block for title in TOP
              for block in re.findall(r'```python\n(.*?)```', sections[title], re.S)]
    assert blocks
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'derivatives_top.py'
    path.write_text('\n'.join(blocks))
    runpy.run_path(str(path))
