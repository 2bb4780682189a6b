"""docs/generated-code.md: the code s2sgrad generates for bench workloads, beside the
gradients written by hand, made from the golden files (tests/golden/bench_*.source_for.py)
and bench/workloads.py, so it is current whenever they are.

`S2SGRAD_UPDATE_GOLDEN=1` rewrites the page (as it rewrites the goldens).
"""
import inspect
import os
import pathlib

import bench_workloads
import golden_cases

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


# Models as people write them (tests/golden_cases.py): golden case -> its function.
MODELS = {'grad_dict_mlp_for_shapes': 'dict_mlp', 'grad_layers_mlp_for_shapes': 'layers_mlp'}

MODELS_HEAD = """
## Models as people write them

The parameters in a dict, or in a list of `(W, b)` layers
([models.md](models.md)).  A specialisation knows the shapes of the leaves a
function reads by constant keys: each is read once, named after its key
(`W1 = params['W1']`, its gradient `dW1`), and the gradient is returned as a
display of the argument.  Items of a list walked by a loop differ from one
iteration to the next: their gradients are summed into the list's as the code
runs.
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
    parts.append(MODELS_HEAD)
    for name, function in MODELS.items():
        parts.append(_code('The function', inspect.getsource(getattr(golden_cases, function))))
        parts.append(_code(f'Generated: `sg.grad({function}).source_for(*arguments)`',
                           (GOLDEN / f'{name}.source.py').read_text()))
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
