def cost_example():
    # golden_cases.py:38  Ws = np.float64(0.)
    Ws = np.float64(0.0)
    # golden_cases.py:39  bs = 2 * Ws
    bs = 2 * Ws
    # ---- gradients: gradient w.r.t. Ws, bs ----
    # grad of golden_cases.py:41  g = sg.gradients(cost, [Ws, bs])
    dCost_dW = _sg_gradient_of(3.0, Ws)
    dCost_db = _sg_gradient_of(1.0, bs)
    return dCost_dW, dCost_db
