def mlp_loss(W, b, x, t):
    # golden_cases.py:9  h = np.tanh(x @ W + b)
    h = np.tanh(x @ W + b)
    return np.mean((h - t) ** 2)
