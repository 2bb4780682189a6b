def accumulate(x, w):
    # golden_cases.py:55  y = x * x + np.sin(x) * w + np.exp(x) * x
    _multiply = x * x
    _sin = np.sin(x)
    _multiply_1 = _sin * w
    _add = _multiply + _multiply_1
    _exp = np.exp(x)
    _multiply_2 = _exp * x
    y = _add + _multiply_2
    # ---- gradients: gradient w.r.t. x, aggregation EXPERIMENTAL_ACCUMULATE_N, gated ----
    # grad of golden_cases.py:55  y = x * x + np.sin(x) * w + np.exp(x) * x
    dy = _sg_ones_like(y)
    _, _gated = dy, dy
    d_add = _sg_unbroadcast(_gated, _add)
    d_multiply = _sg_unbroadcast(_gated, _multiply_2)
    d_exp, dx_1 = d_multiply * x, d_multiply * _exp
    dx_2 = d_exp * _exp
    _, _gated_1 = d_add, d_add
    dx_3 = _sg_unbroadcast(_sg_unbroadcast(_gated_1, _multiply_1) * w, _sin) * np.cos(x)
    dx_4 = _sg_unbroadcast(_gated_1, _multiply) * 2.0 * x
    # grad of golden_cases.py:54  def accumulate(x, w):
    dx = dx_1 + dx_2
    dx += dx_3
    dx += dx_4
    return [_sg_gradient_of(dx, x)]
