"""Export of gradients whose arguments are containers and objects: the exported
module, run in a new interpreter, takes and returns the same structures as
`sg.grad` (a dict with the same keys, lists and tuples, a NamedTuple of the
argument's class, an instance of a dataclass's or a plain object's class).
The module imports nothing but NumPy: the gradient of an object is made with
the argument's own class (`type(arg)`), so the user's module is never imported
by it, and a class defined in `__main__` or in a function works the same."""
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import s2sgrad as sg

from test_containers import assert_same_tree
from test_frontend import _import_file

MODELS = '''
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


@dataclass
class MLP:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    name: str = 'mlp'


@dataclass(frozen=True)
class Frozen:
    W: np.ndarray
    scale: float


class Plain:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.width = W.shape[1]


def dict_mlp(params, x):
    h = np.tanh(x @ params['W1'] + params['b1'])
    return np.mean((h @ params['W2']) ** 2)


def layer_list(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h)


def namedtuple_layer(layer, x):
    return np.sum(np.tanh(x @ layer.W + layer.b))


def nested(tree, x):
    enc = tree['encoder']
    h = np.tanh(x @ enc['layers'][0][0] + enc['layers'][0][1])
    h = np.tanh(h @ enc['layers'][1].W + enc['layers'][1].b)
    return np.sum(h * tree['head']['scale'])


def dataclass_mlp(model, x):
    h = np.tanh(x @ model.W1 + model.b1)
    return np.mean((h @ model.W2) ** 2)


def frozen(model, x):
    return np.sum(np.sin(x @ model.W) * model.scale)


def plain(model, x):
    return np.sum(np.tanh(x @ model.W + model.b))


def mixed(params, model, x):
    return dict_mlp(params, x) + plain(model, x)
'''


@pytest.fixture
def models(tmp_path, monkeypatch):
    (tmp_path / 'user_models.py').write_text(MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop('user_models', None)
    import user_models
    yield user_models
    sys.modules.pop('user_models', None)


def arguments(m):
    rng = np.random.default_rng(5)
    W1, b1, W2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2))
    x = rng.normal(size=(5, 3))
    return {
        'dict_mlp': ({'W1': W1, 'b1': b1, 'W2': W2}, x),
        'layer_list': ([(W1, b1), (rng.normal(size=(4, 4)), rng.normal(size=4))], x),
        'namedtuple_layer': (m.Layer(W1, b1), x),
        'nested': ({'encoder': {'layers': [(W1, b1), m.Layer(W2, rng.normal(size=2))]},
                    'head': {'scale': 2.0}}, x),
        'dataclass_mlp': (m.MLP(W1, b1, W2), x),
        'frozen': (m.Frozen(W1, 1.5), x),
        'plain': (m.Plain(W1, b1), x),
        'mixed': ({'W1': W1, 'b1': b1, 'W2': W2}, m.Plain(W1, b1), x),
    }


def run_exported(directory, module, function, args):
    """`module.function(*args)` in a new interpreter (the user's module importable,
    as where the arguments are made), pickled back."""
    script = textwrap.dedent(f'''
        import pickle, sys
        sys.path.insert(0, {str(directory)!r})
        import user_models
        from {module} import {function}
        args = pickle.load(sys.stdin.buffer)
        sys.stdout.buffer.write(pickle.dumps({function}(*args)))
    ''')
    done = subprocess.run([sys.executable, '-c', script], input=pickle.dumps(args),
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return pickle.loads(done.stdout)


@pytest.mark.parametrize('name', ['dict_mlp', 'layer_list', 'namedtuple_layer', 'nested',
                                  'dataclass_mlp', 'frozen', 'plain', 'mixed'])
@pytest.mark.parametrize('like', [False, True])
def test_an_exported_gradient_takes_and_returns_the_same_structures(models, tmp_path, name,
                                                                     like):
    args = arguments(models)[name]
    wrt = (0, 1) if name == 'mixed' else 0
    dloss = sg.value_and_grad(getattr(models, name), wrt=wrt)
    module = f'exported_{name}'
    dloss.export(tmp_path / f'{module}.py', like=args if like else None)
    text = (tmp_path / f'{module}.py').read_text()
    assert 'import user_models' not in text and '\nimport numpy as np\n' in text
    value, grads = run_exported(tmp_path, module, f'value_and_grad_{name}', args)
    want_value, want = dloss(*args)
    assert value == pytest.approx(want_value)
    assert_same_tree(grads, want)


def test_a_class_of_main_or_of_a_function_needs_no_import(models, tmp_path):
    sg.grad(models.plain).export(tmp_path / 'exported_plain.py')
    sg.grad(models.frozen).export(tmp_path / 'exported_frozen.py')
    script = textwrap.dedent(f'''
        import dataclasses, sys
        import numpy as np
        sys.path.insert(0, {str(tmp_path)!r})
        from exported_plain import grad_plain
        from exported_frozen import grad_frozen

        class Model:                    # a class of __main__
            def __init__(self):
                self.W, self.b, self.tag = np.ones((3, 2)), np.zeros(2), 'local'

        def make():
            @dataclasses.dataclass(frozen=True)
            class Local:                # a class defined in a function
                W: np.ndarray
                scale: float
            return Local(np.ones((3, 2)), 2.0)

        x = np.arange(6.0).reshape(2, 3) / 10
        dmodel = grad_plain(Model(), x)
        assert type(dmodel) is Model and dmodel.tag == 'local', dmodel
        want = x.T @ (1 - np.tanh(x @ np.ones((3, 2))) ** 2)
        assert np.allclose(dmodel.W, want)
        local = make()
        dlocal = grad_frozen(local, x)
        assert type(dlocal) is type(local) and type(dlocal.scale) is float
        assert np.isclose(dlocal.scale, np.sum(np.sin(x @ local.W)))
        assert 'user_models' not in sys.modules
        print('ok')
    ''')
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == 'ok\n'


def test_the_command_line_exports_a_gradient_of_a_dict(models, tmp_path):
    out = tmp_path / 'exported_cli.py'
    done = subprocess.run([sys.executable, '-m', 's2sgrad', 'export',
                           str(tmp_path / 'user_models.py') + ':dict_mlp', '--wrt', 'params',
                           '-o', str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    args = arguments(models)['dict_mlp']
    assert_same_tree(run_exported(tmp_path, 'exported_cli', 'grad_dict_mlp', args),
                     sg.grad(models.dict_mlp)(*args))


# ---- the helpers a module gets: those for containers only where they can reach ----

def squares(x, w):
    return np.sum((x * w) ** 2)


def stacked(x, n):
    hs = []
    h = x
    for _ in range(n):              # a list the code builds as it runs
        h = np.tanh(h)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def test_a_function_of_arrays_gets_no_helpers_for_containers(tmp_path):
    sg.grad(squares).export(tmp_path / 'squares_grad.py')
    text = (tmp_path / 'squares_grad.py').read_text()
    assert '_sg_GradDict' not in text and '_sg_object_like' not in text
    assert '_sg_cast_structure = _sg_no_structures' in text
    assert len(text.splitlines()) < 110
    grad_squares = _import_file(tmp_path / 'squares_grad.py', 'squares_grad').grad_squares
    x, w = np.arange(3.0), np.full(3, 2.0)
    np.testing.assert_allclose(grad_squares(x, w), sg.grad(squares)(x, w))
    with pytest.raises(TypeError, match='exported from a function that reads no list'):
        grad_squares([0.0, 1.0, 2.0], w)     # a list where the code takes arrays


@pytest.mark.parametrize('like', [None, 'arrays'])
def test_a_list_the_function_builds_keeps_the_helpers_for_containers(tmp_path, like):
    x = np.linspace(-1.0, 1.0, 4)
    sg.grad(stacked).export(tmp_path / 'stacked_grad.py', like=(x, 3) if like else None)
    text = (tmp_path / 'stacked_grad.py').read_text()
    assert '_sg_no_structures' not in text
    grad_stacked = _import_file(tmp_path / 'stacked_grad.py', 'stacked_grad').grad_stacked
    np.testing.assert_allclose(grad_stacked(x, 3), sg.grad(stacked)(x, 3))


def test_an_export_like_containers_checks_their_items(models, tmp_path):
    params, x = arguments(models)['dict_mlp']
    sg.grad(models.dict_mlp).export(tmp_path / 'dict_like.py', like=(params, x))
    grad_dict_mlp = _import_file(tmp_path / 'dict_like.py', 'dict_like').grad_dict_mlp
    assert_same_tree(grad_dict_mlp(params, x), sg.grad(models.dict_mlp)(params, x))
    wider = {**params, 'W1': np.ones((3, 5)), 'b1': np.ones(5), 'W2': np.ones((5, 2))}
    with pytest.raises(ValueError, match='argument 0 is'):
        grad_dict_mlp(wider, x)
    model, x = arguments(models)['plain']
    sg.grad(models.plain).export(tmp_path / 'plain_like.py', like=(model, x))
    grad_plain = _import_file(tmp_path / 'plain_like.py', 'plain_like').grad_plain
    assert_same_tree(grad_plain(model, x), sg.grad(models.plain)(model, x))
    with pytest.raises(ValueError, match='argument 0 is'):
        grad_plain(models.Plain(np.ones((3, 5)), np.ones(5)), x)
