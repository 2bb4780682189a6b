"""Forward mode over gradients: `sg.jvp(sg.grad(f))` is the Hessian-vector product.

The code of a gradient calls the runtime helpers its rules emit
(`_sg_unbroadcast`, `_sg_matmul_lhs_grad`, ...) and, through loops, pushes
values on tapes and pops them back; each helper has a tangent rule
(s2sgrad/rules/tangents_adjoint.py) and each tape a tangent tape beside it
(s2sgrad/ad/tangent_tapes.py).  Checked here: every helper with a gradient
rule has a tangent rule or is listed as refused with its reason; jvp of a
gradient equals central differences of the gradient (float64, random
directions) and the reverse-over-reverse product (the vjp of the gradient),
on straight-line programs in several spellings, containers and objects,
has_aux, the loop programs of tests/higher_order_programs.py and the corpus;
third derivatives as jvp of jvp and jvp of grad of grad.
"""
import dataclasses
import inspect
import re

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.ir import prims
from s2sgrad.rules import registry
from s2sgrad.runtime import helpers
from s2sgrad.transforms import VjpFunction

import forward_over_reverse_programs as programs
import test_corpus as corpus
from test_higher_order_loops import CASES as LOOP_CASES, IDS as LOOP_IDS

# The gradient helpers whose tangent is refused (a LookupError at the user's line),
# and why.  Every other helper a gradient's code may call has a tangent rule.
REFUSED = {
    helpers._sg_spacing_grad:
        "np.gradient's second derivative w.r.t. a spacing: its tangent in the spacing "
        "is not written (first and second derivatives are)",
}


def _is_gradient_helper(prim):
    """A callable of the compiler's own that gradient code calls: a runtime helper or a
    compiler primitive (not a library function a user calls)."""
    module = getattr(prim, '__module__', None) or ''
    return isinstance(prim, prims.Special) or module.startswith('s2sgrad.runtime')


def test_every_gradient_helper_has_a_tangent_rule_or_a_reason():
    tangents = {registry._key(rule.prim) for rule in registry.all_tangents()}
    missing = [rule.prim.__name__ for rule in registry.all_rules()
               if _is_gradient_helper(rule.prim) and registry._key(rule.prim) not in tangents
               and rule.prim not in REFUSED]
    assert not missing, f'gradient helpers without a tangent rule: {missing}'
    for prim in REFUSED:            # (the list stays honest)
        assert registry.lookup_tangent(prim) is None, prim.__name__
    # the tapes and the schedule of checkpointed loops are forward mode's own
    # (ad/tangent_tapes.py): constants to both modes' rules
    for prim in (prims.TAPE_NEW, prims.TAPE_PUSH, prims.TAPE_POP, prims.TAPE_REVERSED):
        assert registry.is_constant(prim)


# ---- trees of arguments ----------------------------------------------------------

def _map(fn, tree, *others):
    if isinstance(tree, dict):
        return {k: _map(fn, v, *[o[k] for o in others]) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, '_fields'):
        return type(tree)(*[_map(fn, *items) for items in zip(tree, *others)])
    if isinstance(tree, (list, tuple)):
        return type(tree)(_map(fn, *items) for items in zip(tree, *others))
    if dataclasses.is_dataclass(tree):
        return dataclasses.replace(tree, **{f.name: _map(fn, getattr(tree, f.name),
                                                         *[getattr(o, f.name) for o in others])
                                            for f in dataclasses.fields(tree)})
    if isinstance(tree, (bool, int, np.integer)) or \
            isinstance(tree, np.ndarray) and tree.dtype.kind != 'f':
        return tree
    return fn(tree, *others)


def _leaves(tree):
    if tree is None:
        return []
    if isinstance(tree, dict):
        return [leaf for k in tree for leaf in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if dataclasses.is_dataclass(tree):
        return [leaf for f in dataclasses.fields(tree) for leaf in _leaves(getattr(tree, f.name))]
    if isinstance(tree, (bool, int, np.integer, str)):
        return []
    return [np.ravel(np.asarray(tree, dtype=np.float64))]


def _flat(tree):
    leaves = _leaves(tree)
    return np.concatenate(leaves) if leaves else np.zeros(0)


def _direction(arg, rng):
    """A random tangent of arg's structure (None for what is not a float)."""
    if isinstance(arg, (bool, int, np.integer, str)) or arg is None or \
            isinstance(arg, np.ndarray) and arg.dtype.kind != 'f':
        return None
    return _map(lambda leaf: rng.standard_normal(np.shape(leaf)) if np.ndim(leaf)
                else float(rng.standard_normal()), arg)


def _moved(args, tangents, h):
    return tuple(a if t is None else _map(lambda x, d: x + h * d, a, t)
                 for a, t in zip(args, tangents))


def _indices(f, wrt):
    names = list(inspect.signature(f).parameters)
    return [names.index(w) if isinstance(w, str) else w
            for w in (wrt if isinstance(wrt, tuple) else (wrt,))]


def _close(actual, expected, rtol):
    actual, expected = _flat(actual), _flat(expected)
    assert actual.shape == expected.shape
    scale = 1.0 + np.max(np.abs(expected), initial=0.0)
    assert np.max(np.abs(actual - expected), initial=0.0) <= rtol * scale, \
        f'{actual} != {expected}'


def assert_jvp_of_gradient(f, args, wrt=0, has_aux=False, seed=0, h=1e-6):
    """jvp of f's gradient along random directions of the wrt arguments equals central
    differences of the gradient and, for each single argument, the vjp of its
    gradient (reverse over reverse: the Hessian is symmetric)."""
    rng = np.random.default_rng(seed)
    indices = _indices(f, wrt)
    tangents = tuple(_direction(a, rng) if k in indices else None for k, a in enumerate(args))
    gradient = sg.grad(f, wrt=wrt, has_aux=has_aux)
    value, tangent = sg.jvp(gradient, args, tangents)
    _close(value, gradient(*args), 1e-12)
    upper, lower = gradient(*_moved(args, tangents, h)), gradient(*_moved(args, tangents, -h))
    if has_aux:
        (upper, lower, tangent) = (upper[0], lower[0], tangent[0])
    numeric = (_flat(upper) - _flat(lower)) / (2 * h)
    _close(tangent, numeric, 1e-6)
    if not has_aux:
        for k in indices:
            assert_same_as_reverse_over_reverse(f, args, k, tangents[k])


def assert_same_as_reverse_over_reverse(f, args, k, v):
    """jvp of the gradient w.r.t. argument k along v (the others held) is the vjp of
    that gradient with cotangent v (an object is no seed of a vjp: not checked)."""
    if v is None or dataclasses.is_dataclass(v):
        return
    gradient = sg.grad(f, wrt=k)
    tangents = tuple(v if i == k else None for i in range(len(args)))
    _, tangent = sg.jvp(gradient, args, tangents)
    reverse = VjpFunction(gradient, k)(*args, cotangent=v)
    _close(tangent, reverse, 1e-10)


RNG = np.random.default_rng(11)
X = RNG.standard_normal((5, 3))
W1, B1, W2 = RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal((4, 2))
LAYERS = [(RNG.standard_normal((3, 3)) * 0.5, RNG.standard_normal(3)),
          (RNG.standard_normal((3, 2)) * 0.5, RNG.standard_normal(2))]
V4, V6 = RNG.standard_normal(4), RNG.standard_normal(6)

STRAIGHT = [
    (programs.mlp_at, (W1, B1, W2, X), (0, 1, 2, 3)),
    (programs.mlp_dot, (W1, B1, W2, X), (0, 2)),
    (programs.mlp_method, (W1, B1, W2, X), 1),
    (programs.mlp_dict, ({'W1': W1, 'b1': B1, 'W2': W2}, X), 0),
    (programs.mlp_dict, ({'W1': W1, 'b1': B1, 'W2': W2}, X), (0, 1)),
    (programs.mlp_layers, (LAYERS, X), 0),
    (programs.mlp_layers_range, (LAYERS, X), (0, 1)),
    (programs.namedtuple_layer, (programs.Linear(W1, B1), X), 0),
    (programs.dataclass_layer, (programs.Scaled(W1, 1.5), X), 0),
    (programs.logistic, (RNG.standard_normal(3), X, np.sign(RNG.standard_normal(5))), 0),
    (programs.broadcasts, (RNG.standard_normal((3, 2)), RNG.standard_normal(2)), (0, 1)),
    (programs.stacked_products, (RNG.standard_normal((2, 3, 3)), RNG.standard_normal(3)),
     (0, 1)),
    (programs.stacked_products, (RNG.standard_normal((2, 3, 3)),
                                 RNG.standard_normal((2, 3, 2))), (0, 1)),
    (programs.stacked_products, (RNG.standard_normal(3), RNG.standard_normal((2, 3, 2))),
     (0, 1)),
    (programs.contractions, (RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))), (0, 1)),
    (programs.cross_and_inner, (RNG.standard_normal(3), RNG.standard_normal(3)), (0, 1)),
    (programs.reductions, (V4,), 0),
    (programs.linear_algebra, (RNG.standard_normal((3, 3)) + 3 * np.eye(3),
                               RNG.standard_normal(3)), (0, 1)),
    (programs.softmax_loss, (RNG.standard_normal((3, 4)),), 0),
    (programs.indexing, (RNG.standard_normal(5), np.array([0, 2, 2, 4])), 0),
    (programs.writes, (V4,), 0),
    (programs.shapes, (V6,), 0),
    (programs.sequences, (V6,), 0),
    (programs.spectra, (V6,), 0),
    (programs.chosen, (V6,), 0),
    (programs.early_return, (np.abs(V4),), 0),
    (programs.early_return, (-np.abs(V4),), 0),
    (programs.floats, (0.3, 1.2), (0, 1)),
]


@pytest.mark.parametrize('f, args, wrt', STRAIGHT,
                         ids=[f'{case[0].__name__}-{k}' for k, case in enumerate(STRAIGHT)])
def test_straight_line_programs(f, args, wrt):
    assert_jvp_of_gradient(f, args, wrt)


def test_has_aux():
    assert_jvp_of_gradient(programs.loss_and_prediction, (RNG.standard_normal(3), X),
                           has_aux=True)


@pytest.mark.parametrize('f, args, wrt, _', LOOP_CASES, ids=LOOP_IDS)
def test_loops(f, args, wrt, _):
    assert_jvp_of_gradient(f, args, wrt)


def _corpus_params():
    return [pytest.param(case_id, id=case_id) for case_id in corpus.IDS]


@pytest.mark.parametrize('case_id', _corpus_params())
def test_corpus(case_id):
    # each program's first float argument it differentiates: jvp of its gradient
    # against reverse over reverse (central differences would cross the places
    # where a loop's trip count changes, in newton.power_iteration)
    _, case = corpus.BY_ID[case_id]
    args = corpus._args(case)
    rng = np.random.default_rng(3)
    for k in corpus._wrt_indices(case, args):
        v = _direction(args[k], rng)
        if v is not None:
            assert_same_as_reverse_over_reverse(case.fn, args, k, v)
            return
    pytest.fail('no float argument to differentiate')


def test_the_tapes_carry_tangents_in_the_generated_code():
    gradient = sg.grad(LOOP_CASES[0][0])
    source = sg.jvp_function(gradient).source
    # each tape with a tangent tape beside it, walked together by the reverse loop
    assert re.search(r'_tape_dy\.append\(', source)
    assert re.search(r'for _sin_\d+, y_\d+, d_sin_\d+, dy_\d+ in zip\(reversed\(_tape_sin\), '
                     r'reversed\(_tape_y\), reversed\(_tape_dsin\), reversed\(_tape_dy\)\):',
                     source), source


def test_a_carried_value_the_body_never_reads_has_its_tangent():
    # (plain forward mode lost it: y_prev = y inside a while loop)
    args = (1.0, 0.5)
    _, tangent = sg.jvp(programs.y_before_step, args, (1.0, 0.0))
    h = 1e-6
    numeric = (programs.y_before_step(1.0 + h, 0.5) - programs.y_before_step(1.0 - h, 0.5)) / (2 * h)
    assert tangent == pytest.approx(numeric, rel=1e-7)
    assert_jvp_of_gradient(programs.y_before_step, args, (0, 1))


def test_third_derivatives():
    x, v, u = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)
    h = 1e-5
    second = sg.grad(sg.grad(programs.third_order))
    _, tangent = sg.jvp(second, (x,), (v,))
    _close(tangent, (second(x + h * v) - second(x - h * v)) / (2 * h), 1e-7)
    # jvp of jvp of the gradient: d/du of H(x) v
    gradient = sg.grad(programs.third_order)
    (_, hv), (_, dhv) = sg.jvp(sg.jvp_function(gradient), (x, v), (u, None))

    def hvp_at(y):
        return sg.jvp(gradient, (y,), (v,))[1]
    _close(hv, hvp_at(x), 1e-14)
    _close(dhv, (hvp_at(x + h * u) - hvp_at(x - h * u)) / (2 * h), 1e-7)
    # and through a loop
    f, args, wrt, _ = LOOP_CASES[0]
    second = sg.grad(sg.grad(f))
    _, tangent = sg.jvp(second, args, (v,))
    _close(tangent, (second(args[0] + h * v) - second(args[0] - h * v)) / (2 * h), 1e-7)


def _line_of(fn, marker):
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, line in enumerate(lines) if marker in line)


def test_a_varying_spacing_of_np_gradient_is_refused_at_the_users_line():
    gradient = sg.grad(programs.spaced_gradient, wrt=1)
    with pytest.raises(LookupError) as info:
        sg.jvp(gradient, (V6, 0.5), (np.ones(6), None))
    assert "'_sg_spacing_grad'" in str(info.value)
    line = _line_of(programs.spaced_gradient, 'np.gradient(x, h)')
    assert f'forward_over_reverse_programs.py:{line}' in str(info.value)


def checkpointed_loop(W, xs, h):
    for t in sg.checkpointed(range(xs.shape[0]), snapshots=2):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)


def test_a_loop_over_a_checkpointing_schedule_is_refused_at_its_line():
    W, xs, h = RNG.standard_normal((3, 3)) * 0.5, RNG.standard_normal((6, 3)), V6[:3]
    gradient = sg.grad(checkpointed_loop, wrt=0)
    with pytest.raises(sg.TransformError) as info:
        sg.jvp(gradient, (W, xs, h), (np.ones((3, 3)), None, None))
    assert 'sg.checkpointed' in str(info.value)
    assert info.value.lineno == _line_of(checkpointed_loop, 'for t in')
    for transform in (lambda: sg.hvp(checkpointed_loop)(W, xs, h, np.ones((3, 3))),
                      lambda: sg.hessian(checkpointed_loop, wrt=2)(W, xs, h)):
        with pytest.raises(sg.TransformError) as info:
            transform()
        assert info.value.lineno == _line_of(checkpointed_loop, 'for t in')


# ---- sg.hvp: forward over reverse ------------------------------------------------

def _reverse_over_reverse_hvp(f, args, k, v):
    return VjpFunction(sg.grad(f, wrt=k), k)(*args, cotangent=v)


HVP_CASES = [(f, args, k) for f, args, wrt in STRAIGHT + [case[:3] for case in LOOP_CASES]
             for k in (wrt if isinstance(wrt, tuple) else (wrt,))
             if not dataclasses.is_dataclass(args[k])]


@pytest.mark.parametrize('f, args, k', HVP_CASES,
                         ids=[f'{case[0].__name__}-{case[2]}' for case in HVP_CASES])
def test_hvp_is_one_forward_pass_over_the_gradient(f, args, k):
    v = _direction(args[k], np.random.default_rng(5))
    hvp = sg.hvp(f, wrt=k)
    _close(hvp(*args, v), _reverse_over_reverse_hvp(f, args, k, v), 1e-10)
    source = hvp.source_for(*args, v)
    assert '(forward over reverse, generated by s2sgrad)' in source
    # (no gradient tape: nothing runs backwards twice)
    assert not re.search(r'(?<!\w)_dtape_', source)


def test_hvp_source_reads_as_the_gradient_and_its_tangent():
    source = sg.hvp(programs.logistic).source_for(np.zeros(3), X[:, :3], np.ones(5), V6[:3])
    assert source.startswith('def hvp_logistic(w, X, t, v):')
    assert '    dz = X @ v\n' in source                 # the tangent of z = X @ w
    assert '# ---- grad of logistic: gradient w.r.t. w ----' in source


def test_hvp_export_and_keyword_only_direction(tmp_path):
    w, v = RNG.standard_normal(3), RNG.standard_normal(3)
    args = (w, X[:, :3], np.sign(RNG.standard_normal(5)))
    hvp = sg.hvp(programs.logistic)
    hvp.export(tmp_path / 'hvp_logistic.py')
    namespace = {}
    exec((tmp_path / 'hvp_logistic.py').read_text(), namespace)
    _close(namespace['hvp_logistic'](*args, v), hvp(*args, v), 1e-14)
    # a parameter with a default: v is keyword-only, last
    gradient_loop = sg.hvp(LOOP_CASES[0][0])            # for_range(x, n=3)
    x = LOOP_CASES[0][1][0]
    assert 'def hvp_for_range(x, n=3, *, v):' in gradient_loop.source
    _close(gradient_loop(x, v), _reverse_over_reverse_hvp(LOOP_CASES[0][0], (x,), 0, v), 1e-10)


def cube(x):
    return x ** 3


@sg.register_gradient(cube)
def cube_grad(dy, y, x):
    return dy * 3.0 * x * x


def uses_cube(x):
    return np.sum(cube(x) * np.sin(x))


def test_hvp_without_a_tangent_rule_is_the_vjp_of_the_gradient():
    # a function with a gradient rule but no tangent rule: reverse over reverse
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    with pytest.raises(LookupError, match="'cube'"):
        sg.jvp(sg.grad(uses_cube), (x,), (v,))
    hvp = sg.hvp(uses_cube)
    expected = (6 * x * np.sin(x) + 6 * x ** 2 * np.cos(x) - x ** 3 * np.sin(x)) * v
    _close(hvp(x, v), expected, 1e-12)
    assert 'forward over reverse' not in hvp.source


# ---- sg.hessian: jacfwd of the gradient -------------------------------------------

def gp_nll_det(theta, X, t):
    """A GP's negative log likelihood, its log determinant from np.linalg.det (which has
    a tangent rule, and its gradient's cofactor helper too)."""
    ell = np.exp(theta[0])
    noise = np.exp(theta[1])
    d = X[:, None] - X[None, :]
    K = np.exp(-0.5 * d ** 2 / ell ** 2) + noise * np.eye(len(X))
    alpha = np.linalg.solve(K, t)
    return 0.5 * t @ alpha + 0.5 * np.log(np.linalg.det(K))


def _hessian_cases():
    from test_jacobians import HESSIAN_CASES
    cases = [case + (True,) for case in HESSIAN_CASES]
    gp = next(case for case in HESSIAN_CASES if case[0].__name__ == 'gp_nll')
    # (np.linalg.slogdet and np.linalg.det: each has its tangent rule)
    return cases + [(gp_nll_det, gp[1], True)]


@pytest.mark.parametrize('f, args, forward', _hessian_cases(),
                         ids=['logistic', 'mlp', 'gp_slogdet', 'gp_det'])
def test_hessian_is_jacfwd_of_the_gradient(f, args, forward):
    autograd = pytest.importorskip('autograd')
    from test_jacobians import with_autograd
    hessian = sg.hessian(f)
    got = hessian(*args)
    np.testing.assert_allclose(got, autograd.hessian(with_autograd(f))(*args),
                               rtol=1e-8, atol=1e-10)
    source = hessian.source_for(*args)
    assert ('Jacobian (forward mode) of grad_' in source) == forward
    # (the seeds batched in one pass where every op of the gradient has a batch rule,
    # else a loop over them; the docstring says which)
    assert ('for k in range(n):' in source) != ('its seeds batched' in source)


@pytest.mark.parametrize('f, args, wrt, _', LOOP_CASES, ids=LOOP_IDS)
def test_hessian_through_loops(f, args, wrt, _):
    k = wrt[0] if isinstance(wrt, tuple) else wrt
    hessian = sg.hessian(f, wrt=k)
    _close(hessian(*args), sg.jacrev(sg.grad(f, wrt=k), wrt=k)(*args), 1e-10)
    assert 'Jacobian (forward mode) of grad_' in hessian.source_for(*args)


def test_the_docs_section_runs(tmp_path, monkeypatch):
    import pathlib
    import runpy
    text = (pathlib.Path(__file__).parent.parent / 'docs' / 'derivatives.md').read_text()
    section = text.split('## Forward over reverse: jvp of a gradient, hvp, hessian')[1] \
        .split('\n## ')[0]
    blocks = re.findall(r'```python\n(.*?)```', section, re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'forward_over_reverse_examples.py'
    path.write_text('\n'.join(blocks))
    runpy.run_path(str(path))


def test_a_write_into_zeros_made_for_a_tangent():
    A, r, v = RNG.standard_normal((2, 3)), RNG.standard_normal(3), RNG.standard_normal(3)
    hvp = sg.hvp(programs.written_row, wrt=1)
    _close(hvp(A, r, v), _reverse_over_reverse_hvp(programs.written_row, (A, r), 1, v), 1e-12)
    assert re.search(r'\n    (\w+) = np\.zeros_like\(y1\)\n    \1\[0, \[0, 0\]\] = v\[:2\]',
                     hvp.source_for(A, r, v))


def test_an_attribute_written_into_an_object_without_a_tangent():
    # the object's zero tangent is an object of its class (runtime/tangents.py), into
    # which the attribute's tangent is assigned: forward over reverse
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    state = programs.State(RNG.standard_normal(3))
    expected = VjpFunction(sg.grad(programs.with_state), 0)(x, state, cotangent=v)
    hvp = sg.hvp(programs.with_state)
    _close(hvp(x, state, v), expected, 1e-12)
    assert 'forward over reverse' in hvp.source_for(x, state, v)
    x2, state2 = RNG.standard_normal(3), programs.State(RNG.standard_normal((2, 3)))
    _close(hvp(x2, state2, v), VjpFunction(sg.grad(programs.with_state), 0)(
        x2, state2, cotangent=v), 1e-12)
