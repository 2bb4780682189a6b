"""Forward mode (sg.jvp): every tangent rule against its gradient rule, jvp against
central differences on whole programs, its errors, and its generated source.

The catalog check runs each float64 line of the rule tables (tests/test_rules.py
and tests/test_ops_*.py) through both modes: for random u and v,
<u, J v> by forward mode equals <J^T u, v> by reverse mode.
"""
import copy
import importlib
import pathlib
import sys
import typing
import zlib

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.rules import registry

from jvp_golden_program import mlp_loss
from test_rules import CASES, _expand_joint_wrt, _family_cases, draw_args


def _catalog():
    params = []
    for param in CASES + _family_cases():
        fn, args, wrt, linear, dtype, rtol, atol = param.values
        if dtype is np.float64 and not param.marks:
            params.append(pytest.param(fn, args, wrt, id=param.id))
    return params


CATALOG = _catalog()


# cases whose values pass through float32 (checked against the gradient rule only)
ROUNDED_TO_FLOAT32 = {'astype_round_trip'}


def dotted(fn, u):
    """`sum(u * fn(...))`: its gradient is J^T u (one function per arity: s2sgrad
    reads the source of what it differentiates; an `sg.graph` function's own)."""
    n = getattr(fn, 'python_function', fn).__code__.co_argcount
    if n == 1:
        def case(x):
            return np.sum(u * fn(x))
    elif n == 2:
        def case(x, y):
            return np.sum(u * fn(x, y))
    elif n == 3:
        def case(x, y, z):
            return np.sum(u * fn(x, y, z))
    else:
        def case(x, y, z, w):
            return np.sum(u * fn(x, y, z, w))
    return case


def _like(rng, value):
    if isinstance(value, float):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value)).astype(np.asarray(value).dtype)


def _tangent_problem(fn, args, wrt):
    """The values, tangents (None off wrt) and a random u like the output, or a
    reason to skip (an output that is not one real array)."""
    seed = zlib.crc32(f'{fn.__name__}{args!r}'.encode())
    values = draw_args(args, np.float64, seed)
    wrt = _expand_joint_wrt(args, wrt)
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = np.random.default_rng(seed + 1)
    tangents = [_like(rng, v) if k in wrt else None for k, v in enumerate(values)]
    return values, tangents, wrt, rng


@pytest.mark.parametrize('fn, args, wrt', CATALOG)
def test_tangent_rule_agrees_with_gradient_rule(fn, args, wrt):
    values, tangents, wrt, rng = _tangent_problem(fn, args, wrt)
    try:
        out, tangent_out = sg.jvp(fn, values, tangents)
    except LookupError as exc:
        assert 'No tangent' in str(exc)
        pytest.skip(f'no tangent rule yet: {exc}'.splitlines()[0])
    expected = fn(*values)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    if np.iscomplexobj(expected) or isinstance(expected, (tuple, list)):
        pytest.skip('not one real array')
    assert np.shape(tangent_out) == np.shape(expected)
    u = rng.standard_normal(np.shape(expected))
    forward = np.sum(u * tangent_out)
    grads = sg.grad(dotted(fn, u), wrt=wrt)(*values)
    reverse = sum(np.sum(g * tangents[k]) for g, k in zip(grads, wrt))
    np.testing.assert_allclose(forward, reverse, rtol=1e-7, atol=1e-9)
    if np.asarray(expected).dtype != np.float64 or fn.__name__ in ROUNDED_TO_FLOAT32:
        return          # (a cast to float32: central differences too coarse there)
    # and against central differences, an oracle of its own
    eps = 1e-6
    plus = fn(*[v + eps * t if t is not None else v for v, t in zip(values, tangents)])
    minus = fn(*[v - eps * t if t is not None else v for v, t in zip(values, tangents)])
    np.testing.assert_allclose(tangent_out, (plus - minus) / (2 * eps), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------- whole programs

def central(f, primals, tangents, eps=1e-6):
    """(f(x + eps v) - f(x - eps v)) / 2 eps, tangents in the primals' structure."""
    def moved(sign):
        return [_add(p, t, sign * eps) for p, t in zip(primals, tangents)]
    return _scale(_sub(f(*moved(1)), f(*moved(-1))), 1 / (2 * eps))


def _add(p, t, s):
    if t is None:
        return p
    if isinstance(p, dict):
        return {k: _add(p[k], t[k], s) for k in p}
    if isinstance(p, (tuple, list)) and not hasattr(p, '_fields'):
        return type(p)(_add(a, b, s) for a, b in zip(p, t))
    if hasattr(p, '_fields'):
        return type(p)(*(_add(a, b, s) for a, b in zip(p, t)))
    return p + s * t


def _sub(a, b):
    if isinstance(a, (tuple, list)):
        return type(a)(_sub(x, y) for x, y in zip(a, b))
    return a - b


def _scale(a, s):
    if isinstance(a, (tuple, list)):
        return type(a)(_scale(x, s) for x in a)
    return a * s


def assert_jvp(f, primals, tangents, rtol=1e-6, atol=1e-8):
    out, tangent_out = sg.jvp(f, primals, tangents)
    expected = f(*primals)
    if isinstance(expected, (tuple, list)):
        for o, e in zip(out, expected):
            np.testing.assert_allclose(o, e, rtol=1e-12, atol=1e-12)
        for t, c in zip(tangent_out, central(f, primals, tangents)):
            np.testing.assert_allclose(t, c, rtol=rtol, atol=atol)
    else:
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tangent_out, central(f, primals, tangents),
                                   rtol=rtol, atol=atol)
    return tangent_out


RNG = np.random.default_rng(14)


def normal(*shape):
    return RNG.standard_normal(shape)


# An MLP, in the spellings users write: @, np.dot, a helper, a dict of parameters.
def dense(x, W, b):
    return np.tanh(np.dot(x, W) + b)


def mlp_loss_helper(W1, b1, W2, b2, x, t):
    h = dense(x, W1, b1)
    logits = h.dot(W2) + b2
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(logp * t) / x.shape[0]


def mlp_dict(params, x, t):
    h = np.maximum(x @ params['W1'] + params['b1'], 0.0)
    y = h @ params['W2'] + params['b2']
    return np.sum((y - t) ** 2) / 2.0


def _mlp_primals():
    return [normal(3, 5), normal(5), normal(5, 2), normal(2), normal(4, 3), normal(4, 2)]


@pytest.mark.parametrize('f', [mlp_loss, mlp_loss_helper])
def test_mlp(f):
    primals = _mlp_primals()
    if f is mlp_loss_helper:
        primals[-1] = np.eye(2)[[0, 1, 1, 0]]
    tangents = [normal(*np.shape(p)) for p in primals]
    assert_jvp(f, primals, tangents)


def test_mlp_with_a_dict_of_parameters():
    W1, b1, W2, b2, x, t = _mlp_primals()
    params = {'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}
    dparams = {k: normal(*np.shape(v)) for k, v in params.items()}
    assert_jvp(mlp_dict, [params, x, t], [dparams, None, None])
    # and along the parameters and the data at once
    assert_jvp(mlp_dict, [params, x, t], [dparams, normal(4, 3), normal(4, 2)])


def test_jvp_equals_gradient_dot_tangent():
    """<grad f, v> by reverse mode is J v by forward mode, for a scalar f."""
    primals = _mlp_primals()
    tangents = [normal(*np.shape(p)) for p in primals]
    _, tangent_out = sg.jvp(mlp_loss, primals, tangents)
    grads = sg.grad(mlp_loss, wrt=tuple(range(6)))(*primals)
    np.testing.assert_allclose(tangent_out, sum(np.sum(g * v) for g, v in zip(grads, tangents)),
                               rtol=1e-10)


# Loops carry the tangent beside the value: for over range, range(len(x)), a while
# with a data-dependent exit, break, a loop over the rows of a constant.
def rnn(W, U, xs, h):
    for i in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[i])
    return h


def rnn_len(W, U, xs, h):
    for i in range(len(xs)):
        h = np.tanh(np.dot(W, h) + np.dot(U, xs[i]))
    return np.sum(h ** 2)


def newton_sqrt(a, x):
    while np.abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def growth(x, rate):
    total = 0.0
    k = 0
    while True:
        x = x * rate
        total = total + np.sum(np.sin(x))
        k += 1
        if k >= 5:
            break
    return total


def euler(y, k):
    t = 0.0
    for step in range(20):
        y = y + 0.05 * (-k * y + np.cos(t))
        t = t + 0.05
    return y


def test_loops():
    W, U, xs, h = normal(3, 3) * 0.5, normal(3, 2), normal(4, 2), normal(3)
    tangents = [normal(3, 3), normal(3, 2), normal(4, 2), normal(3)]
    assert_jvp(rnn, [W, U, xs, h], tangents)
    assert_jvp(rnn_len, [W, U, xs, h], tangents)
    assert_jvp(growth, [normal(3), 1.1], [normal(3), 0.7])
    assert_jvp(euler, [normal(4), 0.8], [normal(4), 1.3])


def test_while_loop_with_a_data_dependent_exit():
    # d sqrt(a) / da = 1 / (2 sqrt(a)); the initial guess does not matter
    out, tangent = sg.jvp(newton_sqrt, (2.0, 1.0), (1.0, 0.0))
    np.testing.assert_allclose(out, np.sqrt(2.0))
    np.testing.assert_allclose(tangent, 1 / (2 * np.sqrt(2.0)), rtol=1e-9)


def clipped(x, limit):
    for i in range(10):
        x = x * 1.5
        if np.sum(x) > limit:
            break
    return x


def test_loop_with_break_and_a_constant_argument():
    x, dx = np.array([0.5, 0.2]), np.array([1.0, -0.5])
    tangent = assert_jvp(clipped, [x, 4.0], [dx, None])
    # the breaking iteration does not depend on the tangent's direction
    np.testing.assert_allclose(tangent, dx * 1.5 ** 5)


# Branches: both sides, an early return, a branch inside a loop.
def piecewise(x, y):
    if np.sum(x) > 0:
        z = np.exp(x) * y
    else:
        z = x / y
    return z


def early_return(x):
    if np.max(x) > 1.0:
        return np.log(x * x + 1.0)
    return np.sin(x) * x


def leaky(x):
    for i in range(3):
        if np.mean(x) > 0:
            x = x * x
        else:
            x = 0.5 * x + 1.0
    return x


@pytest.mark.parametrize('sign', [1.0, -1.0])
def test_branches(sign):
    x, y = sign * (np.abs(normal(3)) + 0.2), np.abs(normal(3)) + 1.0
    assert_jvp(piecewise, [x, y], [normal(3), normal(3)])
    assert_jvp(early_return, [x * 3.0], [normal(3)])
    assert_jvp(leaky, [x * 0.5], [normal(3)])


# Writes into arrays, tuples out, lists of arrays, keyword spellings.
def writes(x):
    y = x * 2.0
    y[0] = np.sin(x[1])
    y[1:] *= x[:-1]
    return y


def two_outputs(x, W):
    h = x @ W
    return np.sum(h), np.tanh(h)


def stacked(a, b):
    parts = [a, np.sin(b), a * b]
    m = np.stack(parts, axis=0)
    return np.concatenate([m.reshape(-1), m.T.ravel()[:2]])


def test_writes_tuples_and_lists():
    assert_jvp(writes, [normal(4)], [normal(4)])
    assert_jvp(two_outputs, [normal(2, 3), normal(3, 4)], [normal(2, 3), normal(3, 4)])
    assert_jvp(stacked, [normal(3), normal(3)], [normal(3), normal(3)])


def collected(x, W):
    rows = []
    for i in range(3):
        rows.append(np.tanh(x * (i + 1.0)) @ W)
    return np.sum(np.stack(rows) ** 2)


def test_lists_built_in_loops():
    assert_jvp(collected, [normal(3), normal(3, 2)], [normal(3), normal(3, 2)])


def einsum_quadratic(A, x):
    return np.einsum('i,ij,j->', x, A, x) + np.linalg.norm(A @ x)


def test_products_and_reductions():
    assert_jvp(einsum_quadratic, [normal(3, 3), normal(3)], [normal(3, 3), normal(3)])


# ------------------------------------------------------- errors, constants, API

def clipped_softly(x):
    return x / (1.0 + np.abs(x))


@sg.register_gradient(clipped_softly)
def clipped_softly_grad(dy, y, x):
    return dy / (1.0 + np.abs(x)) ** 2


def through_registered(x):
    return np.sum(clipped_softly(x * 2.0))


def test_an_op_without_tangent_rule_is_a_lookup_error_at_the_users_line():
    # (a user's function with a gradient rule but no tangent rule)
    with pytest.raises(LookupError) as info:
        sg.jvp(through_registered, (normal(3),), (normal(3),))
    message = str(info.value)
    assert "No tangent (forward-mode) rule defined for operation 'clipped_softly'" in message
    line = through_registered.__code__.co_firstlineno + 1
    assert f'test_jvp.py:{line}' in message
    # stop_gradient, as the message says, holds the value constant
    def held(x):
        return np.sum(sg.stop_gradient(clipped_softly(x))) + np.sum(x)
    assert sg.jvp(held, (np.eye(3),), (np.ones((3, 3)),))[1] == 9.0
    # and a tangent rule registered for it is used
    sg.register_tangent(clipped_softly)(clipped_softly_tangent)
    x, dx = normal(3), normal(3)
    assert_jvp(through_registered, [x], [dx])


def clipped_softly_tangent(dx, y, x):
    return dx / (1.0 + np.abs(x)) ** 2


def max_with_initial(x, start):
    return np.max(x, initial=start)


def spaced(f, h):
    return np.gradient(f, h)


def test_a_varying_option_a_tangent_rule_cannot_follow_is_refused():
    with pytest.raises(LookupError, match='np.gradient with a varying s0') as info:
        sg.jvp(spaced, (normal(5), 0.5), (normal(5), 1.0))
    assert f'test_jvp.py:{spaced.__code__.co_firstlineno + 1}' in str(info.value)
    # held constant, it is fine
    assert_jvp(spaced, [normal(5), 0.5], [normal(5), None])
    # an initial= that varies has a tangent: where it wins, its own
    x = np.array([0.1, 0.7, 0.3])
    assert sg.jvp(max_with_initial, (x, 0.5), (np.array([1.0, 2.0, 3.0]), None))[1] == 2.0
    assert sg.jvp(max_with_initial, (x, 0.9), (np.array([1.0, 2.0, 3.0]), 5.0))[1] == 5.0
    assert sg.jvp(max_with_initial, (x, 0.7), (np.array([1.0, 2.0, 3.0]), 4.0))[1] == 3.0


def scaled(x, n):
    return x * n


def test_constant_arguments_and_wrong_calls():
    x = normal(3)
    out, tangent = sg.jvp(scaled, (x, 3), (np.ones(3), None))
    np.testing.assert_allclose(tangent, 3.0)
    # an integer's tangent is None or zeros
    np.testing.assert_allclose(sg.jvp(scaled, (x, 3), (np.ones(3), 0))[1], 3.0)
    with pytest.raises(TypeError, match="argument 'n' is an integer"):
        sg.jvp(scaled, (x, 3), (np.ones(3), 1.0))
    with pytest.raises(ValueError, match='2 primals but 1 tangents'):
        sg.jvp(scaled, (x, 3), (np.ones(3),))
    with pytest.raises(TypeError, match="scaled\\(\\): missing a required argument: 'n'"):
        sg.jvp(scaled, (x,), (np.ones(3),))
    with pytest.raises(ValueError, match=r'the tangent of x has shape \(2,\), its value \(3,\)'):
        sg.jvp(scaled, (x, 3), (np.ones(2), None))


def with_default(x, scale=2.0):
    return np.sin(x) * scale


def test_parameters_with_defaults_are_passed_like_the_others():
    assert_jvp(with_default, [normal(3), 3.0], [normal(3), 0.5])
    assert sg.jvp_function(with_default).source.startswith(
        'def jvp_with_default(x, scale, dx, dscale):')


def test_source_export_and_source_for(tmp_path):
    fn = sg.jvp_function(mlp_loss)
    assert fn is sg.jvp_function(mlp_loss)          # made once
    assert fn.source.startswith('def jvp_mlp_loss(W1, b1, W2, b2, x, t, dW1, db1, dW2, db2, '
                                'dx, dt):')
    primals = _mlp_primals()
    tangents = [normal(*np.shape(p)) for p in primals]
    source = fn.source_for(primals, tangents[:4] + [None, None])
    assert source.startswith('def jvp_mlp_loss(W1, b1, W2, b2, x, t, dW1, db1, dW2, db2):')
    path = tmp_path / 'jvp_mlp.py'
    fn.export(path)
    namespace = {}
    exec(compile(path.read_text(), str(path), 'exec'), namespace)
    out, tangent = namespace['jvp_mlp_loss'](*primals, *tangents)
    np.testing.assert_allclose(tangent, sg.jvp(mlp_loss, primals, tangents)[1])


def test_golden_source():
    from test_golden import check
    check('jvp_mlp_loss.source.py', sg.jvp_function(mlp_loss).source)


# ------------------------------------------------------- coverage of the rules

def _public_rules():
    """The gradient rules of the package's families for functions users call (the
    `_sg_` helpers a rule emits are left out: forward mode never meets them)."""
    return [r for r in registry.all_rules() if r.fn.__module__.startswith('s2sgrad.rules')
            and not getattr(r.prim, '__name__', '').startswith('_sg_')]


def _name(prim):
    module = getattr(prim, '__module__', None) or ''
    module = 'scipy.special' if module.startswith('scipy.special') else module
    name = getattr(prim, '__name__', None) or repr(prim)
    return f'{module}.{name}' if module and module != 'builtins' else name


# Functions with a gradient rule and no tangent rule yet: jvp through them is a
# LookupError naming the function at the user's line.  (None now.)
WITHOUT_TANGENT = set()


def test_tangent_coverage_report(capsys):
    rules = _public_rules()
    missing = {_name(r.prim) for r in rules if registry.lookup_tangent(r.prim) is None}
    with_tangent = len({_name(r.prim) for r in rules}) - len(missing)
    with capsys.disabled():
        print(f'\ntangent rules: {with_tangent} of {with_tangent + len(missing)} functions '
              f'with a gradient rule; without: {sorted(missing)}')
    assert missing == WITHOUT_TANGENT, 'update WITHOUT_TANGENT (and docs/derivatives.md)'


def test_every_tangent_rule_is_exercised_by_the_catalog(monkeypatch):
    """Each tangent rule is used by some line of the catalog check above."""
    from s2sgrad.ad import forward
    seen = set()
    original = forward.Forward.op

    def recording(self, op):
        seen.add(registry._key(op.prim))
        return original(self, op)

    monkeypatch.setattr(forward.Forward, 'op', recording)
    for param in CATALOG:
        fn, args, wrt = param.values
        values, tangents, _, _ = _tangent_problem(fn, args, wrt)
        try:
            sg.JvpFunction(fn).for_tangents(values, tangents).source    # (made afresh)
        except LookupError:
            pass
    public = {registry._key(r.prim) for r in _public_rules()}
    unused = sorted(_name(t.prim) for t in registry.all_tangents()
                    if registry._key(t.prim) in public and registry._key(t.prim) not in seen
                    and _name(t.prim) not in LOOP_ONLY)
    assert not unused, f'tangent rules no catalog case reaches: {unused}'


# reached by the programs above (lists made in loops), not by the catalog; float16
# is checked by exact values in tests/test_rules.py only
LOOP_ONLY = {'s2sgrad.ir.prims.list_new', 's2sgrad.ir.prims.list_append', 'numpy.float16'}


# ------------------------------------------------------- more argument kinds, the docs

class Layer(typing.NamedTuple):
    W: np.ndarray
    b: np.ndarray


def layer_loss(layer, x):
    total = 0.0
    for i in range(len(x)):
        if i == 1:
            continue
        total = total + np.sum(np.tanh(layer.W @ x[i] + layer.b))
    return total


def test_named_tuple_argument_and_continue():
    layer = Layer(normal(2, 3), normal(2))
    dlayer = Layer(normal(2, 3), normal(2))
    assert_jvp(layer_loss, [layer, normal(3, 3)], [dlayer, normal(3, 3)])


def docs_example(section, name, tmp_path, monkeypatch):
    """The first python block of a section of docs/derivatives.md, run as module `name`."""
    page = (pathlib.Path(__file__).parent.parent / 'docs' / 'derivatives.md').read_text()
    text = page.split(f'## {section}')[1].split('\n## ')[0]
    (tmp_path / f'{name}.py').write_text(text.split('```python\n')[1].split('```')[0])
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


def test_the_docs_example_runs(tmp_path, monkeypatch):
    module = docs_example('Forward mode: sg.jvp', 'jvp_docs_example', tmp_path, monkeypatch)
    y0, k = module.y0, 0.8
    np.testing.assert_allclose(module.dy_dk, central(module.simulate, (y0, k), (None, 1.0)),
                               rtol=1e-6)


# ------------------------------------------------------- random programs of the fuzzer

def _tangent_like(tree, rng):
    """A random tangent of an argument's structure: normal values at its float leaves,
    None at its constant ones (integers, strings, None)."""
    from fuzz.oracle import children, is_float, is_object
    if is_float(tree):
        return np.asarray(rng.standard_normal(np.shape(tree))) if isinstance(tree, np.ndarray) \
            else float(rng.standard_normal())
    if isinstance(tree, dict):
        return {k: _tangent_like(v, rng) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, '_fields'):
        return type(tree)(*(_tangent_like(v, rng) for v in tree))
    if isinstance(tree, (list, tuple)):
        return type(tree)(_tangent_like(v, rng) for v in tree)
    if is_object(tree):
        made = object.__new__(type(tree))
        made.__dict__.update({k: _tangent_like(v, rng) for k, v in children(tree)})
        return made
    return None


def _moved(args, tangents, eps):
    """The arguments moved by eps along the tangents (float leaves only)."""
    from fuzz.oracle import leaves, rebuild
    return [a if t is None else rebuild(a, [x + eps * d for x, d in zip(leaves(a), leaves(t))])
            for a, t in zip(args, tangents)]


def test_jvp_of_random_programs_is_the_gradient_along_the_tangent(tmp_path):
    """On the differential fuzzer's programs that sg.grad differentiates (every
    feature: containers, NamedTuples, dataclasses and objects passed in, their
    methods, writes into them, aliases, keyword arguments), the jvp along random
    tangents of the arguments' structures equals <gradient, tangent> and central
    differences."""
    from fuzz.generator import FEATURES, generate
    from fuzz.oracle import calling, leaves, load, paired
    checked = refused = 0
    features_checked = set()
    for seed in range(300):
        program = generate(seed, FEATURES)
        name = f'jvp_fuzz_{seed}'
        try:
            module = load(program, str(tmp_path / f'{name}.py'), name)
            args = program.arguments(module=module)
            f = calling(module.program, program)
            rng = np.random.default_rng(seed)
            tangents = [_tangent_like(a, rng) if p in program.wrt else None
                        for p, a in zip(program.params, args)]
            n = len(program.params) - len(program.keywords)

            def jvp():
                return sg.jvp(module.program, args[:n], tangents[:n],
                              kwargs=dict(zip(program.params[n:], args[n:])),
                              kwarg_tangents=dict(zip(program.params[n:], tangents[n:])))
            try:
                value, grads = calling(sg.value_and_grad(module.program, wrt=program.wrt),
                                       program)(*args)
            except (sg.TransformError, TypeError, ValueError, LookupError) as exc:
                if 'passes one dict or list in two places' in str(exc):
                    with pytest.raises(TypeError, match='in two places'):
                        jvp()           # (a write would be seen through both: refused)
                    features_checked.update(program.features)
                continue                # refused by reverse mode: nothing to compare
            before = copy.deepcopy(args)
            try:
                out, tangent_out = jvp()
            except (sg.TransformError, LookupError):
                refused += 1
                continue
            assert all(same_tree(a, b) for a, b in zip(args, before)), \
                f'seed {seed}: jvp modified an argument'
            expected = sum(np.sum(np.asarray(g) * np.asarray(t))
                           for p, g in zip(program.wrt, grads)
                           for g, t in zip(paired(g, args[program.params.index(p)]),
                                           leaves(tangents[program.params.index(p)])))
            np.testing.assert_allclose(out, value, rtol=1e-10, atol=1e-12)
            # (sg.grad of an array output is the gradient of its sum)
            np.testing.assert_allclose(np.sum(tangent_out), expected, rtol=1e-7, atol=1e-9,
                                       err_msg=f'seed {seed}:\n{program.source}')
            eps = 1e-6
            numeric = (np.sum(f(*_moved(copy.deepcopy(args), tangents, eps)))
                       - np.sum(f(*_moved(copy.deepcopy(args), tangents, -eps)))) / (2 * eps)
            np.testing.assert_allclose(np.sum(tangent_out), numeric, rtol=1e-5, atol=1e-6,
                                       err_msg=f'seed {seed} (central differences):\n'
                                               f'{program.source}')
            checked += 1
            features_checked.update(program.features)
        finally:
            sys.modules.pop(name, None)
    assert checked >= 200 and refused == 0, (checked, refused)
    assert features_checked == set(FEATURES), set(FEATURES) - features_checked


def same_tree(a, b):
    from fuzz.oracle import same_tree as same
    return same(a, b)
