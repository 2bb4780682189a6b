def partial_derivatives(x):
    # golden_cases.py:48  a = x * 3.0
    a = x * 3.0
    # golden_cases.py:49  b = a * a
    b = a * a
    # golden_cases.py:50  return sg.gradients(a + b, [a, b], stop_gradients=[a, b], name='partials')
    _add = a + b
    # ---- partials: gradient w.r.t. a, b ----
    # grad of golden_cases.py:50  return sg.gradients(a + b, [a, b], stop_gradients=[a, b], name='partials')
    db = _sg_ones_like(_add)
    return [_sg_gradient_of(db, a), _sg_gradient_of(db, b)]
