"""docs/generated-code.md: the code s2sgrad generates for bench workloads, beside the
gradients written by hand, made from the golden files (tests/golden/bench_*.source_for.py)
and bench/workloads.py, so it is current whenever they are.

`S2SGRAD_UPDATE_GOLDEN=1` rewrites the page (as it rewrites the goldens).
"""
import inspect
import os
import pathlib

import bench_workloads

ROOT = pathlib.Path(__file__).parent.parent
PAGE = ROOT / 'docs' / 'generated-code.md'
GOLDEN = ROOT / 'tests' / 'golden'
UPDATE = os.environ.get('S2SGRAD_UPDATE_GOLDEN') == '1'

# The workloads shown, in order, with what a reader should know of the hand gradient.
SHOWN = {
    'scalar': '',
    'mlp_small': 'The hand gradient fuses the softmax and the cross-entropy (`p - y`, the '
                 'rows of `y` summing to one), which s2sgrad cannot assume.',
    'rnn': 'The hand gradient keeps one list of the hidden states; s2sgrad keeps what '
           'the reverse loop reads.',
    'euler': '',
    'pairwise': 'The hand gradient uses another algorithm: the Gram matrix instead of the '
                '(N, N, 3) differences.',
}

HEAD = """\
# The code s2sgrad generates, beside a hand-written gradient

`sg.grad(f).source_for(*args)` is the source a call with such arguments runs
(a specialisation for their shapes and dtypes); `sg.grad(f).source` is the code
for any shapes.  Below, for five workloads of the benchmark
([bench/workloads.py](../bench/workloads.py)), the user's function, the code
s2sgrad generates for the benchmark's inputs, and the gradient written by hand
that the benchmark compares it with.  The page is made from the golden files
`tests/golden/bench_*.source_for.py` by `tests/test_docs_generated_code.py`,
which fails when it is out of date (`S2SGRAD_UPDATE_GOLDEN=1` rewrites both).

How to read the generated code: each group of lines starts with a comment
naming the user's line it computes (`# grad of ...` for its adjoint); the
user's names are kept, the gradient of `h` is `dh`, a temporary the user did
not name starts with `_` (`_exp`), and the gradient of one is `d_` and the
operation (`d_matmul`: the gradient of `h @ W` in `np.tanh(h @ W + x @ U + b)`).
`dh *= 1.0 - h * h`, or `x = y` followed by `x *= ...`, writes a result into
an array nothing reads any more (where the arrays are big enough for it to
matter); `del` frees a big array once it is dead.
"""


def page():
    """The page's text, from the goldens and the workloads."""
    workloads = {w.name: w for w in bench_workloads.load().workloads(long_lines=20)}
    parts = [HEAD]
    for name, note in SHOWN.items():
        w = workloads[name]
        parts.append(f'\n## ({w.letter}) {w.title}\n')
        parts.append(_code('The function', inspect.getsource(w.fn)))
        golden = (GOLDEN / f'bench_{name}.source_for.py').read_text()
        parts.append(_code(f'Generated: `sg.grad({w.fn.__name__}, wrt={w.wrt})'
                           f'.source_for(*inputs)`', golden))
        parts.append(_code('Written by hand', inspect.getsource(w.hand)))
        if note:
            parts.append(f'\n{note}\n')
    return ''.join(parts)


def _code(title, source):
    return f'\n{title}:\n\n```python\n{source.rstrip()}\n```\n'


def test_page_is_current():
    text = page()
    if UPDATE:
        PAGE.write_text(text)
        return
    assert PAGE.exists() and PAGE.read_text() == text, \
        'docs/generated-code.md is out of date: run with S2SGRAD_UPDATE_GOLDEN=1'
