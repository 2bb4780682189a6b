def with_helper(x):
    # golden_cases.py:32  y = _scale(np.sin(x))
    _sin = np.sin(x)
    # golden_cases.py:27  return k * v
    y = 2.0 * _sin
    return np.sum(y * y)
