def unconnected(use_zero):
    # golden_cases.py:62  a = np.ones([1, 2])
    a = np.ones([1, 2])
    # golden_cases.py:64  if use_zero:
    if use_zero:
        # ---- gradients: gradient w.r.t. a ----
        # grad of golden_cases.py:65  return sg.gradients([b], [a], unconnected_gradients='zero')
        da = _sg_zeros_like(a)
        _return = da
    else:
        _return = None
    return [_return]
