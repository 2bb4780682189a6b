"""User-registered gradients: for a user function, and for a library function with no rule."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


def softplus(x):
    return np.log1p(np.exp(x))


@sg.register_gradient(softplus)
def softplus_grad(dy, y, x):
    return dy * (1.0 - np.exp(-y))


def uses_softplus(x):
    return np.sum(softplus(x) * np.cos(x))


def test_a_registered_user_function_is_called_not_inlined():
    g = sg.grad(uses_softplus)
    assert 'softplus(x)' in g.source
    assert '(1.0 - np.exp(-' in g.source        # the rule's body, inlined
    check_grads(uses_softplus, np.array([0.3, -1.2, 2.0]), order=2)


def test_export_refuses_a_user_function_it_cannot_write(tmp_path):
    path = tmp_path / 'out.py'
    with pytest.raises(TypeError, match='softplus'):
        sg.grad(uses_softplus).export(path)
    assert not path.exists()


def test_a_library_function_gets_a_rule_and_keeps_the_users_name(tmp_path):
    pytest.importorskip('scipy.special')
    from scipy.special import expit

    @sg.register_gradient(expit)
    def expit_grad(dy, y, x):
        return dy * y * (1.0 - y)

    g = sg.grad(logistic_sum)
    assert '_expit(x)' in g.source
    check_grads(logistic_sum, np.array([0.3, -1.2, 2.0]), order=2)
    g.export(tmp_path / 'logistic.py')
    assert 'from scipy.special import expit as _expit' in (tmp_path / 'logistic.py').read_text()


def logistic_sum(x):
    return np.sum(_expit(x) * x)


try:
    from scipy.special import expit as _expit
except ImportError:       # scipy is optional
    _expit = None
