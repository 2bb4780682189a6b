"""The function whose forward mode tests/golden/jvp_mlp_loss.source.py holds (its own
file, so that the golden file's line numbers move only when it does)."""
import numpy as np


def mlp_loss(W1, b1, W2, b2, x, t):
    h = np.tanh(x @ W1 + b1)
    y = h @ W2 + b2
    return np.mean((y - t) ** 2)
