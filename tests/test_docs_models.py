"""docs/models.md runs: every ```python block of the page is executed, so the page
cannot go stale.  The blocks of one `## ` section run in order in one fresh
namespace; each example checks its own gradient (check_grads or an assert).

A section is written to a file and run from there, since s2sgrad reads the source of
the functions it transforms (code given to `exec` has none)."""
import pathlib
import re
import runpy

import pytest

PAGE = pathlib.Path(__file__).parent.parent / 'docs' / 'models.md'
BLOCK = re.compile(r'^```python\n(.*?)^```$', re.S | re.M)


def sections():
    """(title, [code of each python block]) for each `## ` section of the page."""
    found = []
    for part in re.split(r'^## ', PAGE.read_text(), flags=re.M)[1:]:
        title = part.split('\n', 1)[0]
        blocks = BLOCK.findall(part)
        if blocks:
            found.append(pytest.param(blocks, id=title))
    return found


def test_the_page_has_its_examples():
    assert len(sections()) >= 10


@pytest.mark.parametrize('blocks', sections())
def test_a_section_runs(blocks, tmp_path):
    program = tmp_path / 'section.py'
    program.write_text('\n\n'.join(blocks))
    runpy.run_path(str(program), run_name='docs_models')
