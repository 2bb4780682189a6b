"""Calls with Python floats only run a specialisation of the same gradient.

Nothing can broadcast between floats, so the specialisation sums nothing back
to a shape: the gradient code is the bare chain rule.  Its numbers must be
those of the general code.
"""
import numpy as np

import s2sgrad as sg


def chain(a, b, c):
    x = a * b + c
    y = np.sin(x) * a
    z = np.exp(-y * y) + b / c
    return np.tanh(z * a - c) * x


def test_floats_use_a_specialisation_without_unbroadcasting():
    g = sg.grad(chain, wrt=(0, 1, 2))
    floats = g(0.3, 0.7, 1.2)
    assert all(type(d) is float for d in floats)
    assert '_sg_unbroadcast' in g.source
    assert '_sg_unbroadcast' not in g.compiled_for_floats.generated.source
    general = g(np.float64(0.3), np.array(0.7), 1.2)       # not all Python floats
    np.testing.assert_allclose(floats, [float(d) for d in general], rtol=1e-15)


def test_arrays_still_broadcast():
    g = sg.grad(chain, wrt=1)
    b = np.array([0.7, -0.4])
    d = g(0.3, b, 1.2)
    assert d.shape == (2,)
    np.testing.assert_allclose(d, [g(0.3, 0.7, 1.2), g(0.3, -0.4, 1.2)], rtol=1e-14)
