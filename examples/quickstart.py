"""Quick start: the gradient of a small model's loss, checked numerically.

    python examples/quickstart.py
"""
import numpy as np
import s2sgrad as sg


@sg.graph
def loss(W, b, x, t):
    h = np.tanh(x @ W + b)
    return np.mean((h - t) ** 2)


def central_difference(f, args, i, eps=1e-6):
    """d f(*args) / d args[i], one element at a time, in float64."""
    grad = np.zeros_like(args[i])
    for k in np.ndindex(grad.shape):
        step = np.zeros_like(grad)
        step[k] = eps
        up = [a + step if j == i else a for j, a in enumerate(args)]
        down = [a - step if j == i else a for j, a in enumerate(args)]
        grad[k] = (f(*up) - f(*down)) / (2 * eps)
    return grad


def main():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 2))   # weights
    b = rng.normal(size=2)        # bias
    x = rng.normal(size=(4, 3))   # a batch of 4 inputs
    t = rng.normal(size=(4, 2))   # their targets

    dloss = sg.grad(loss, wrt=(0, 1))     # gradient w.r.t. W and b
    dW, db = dloss(W, b, x, t)

    print(f"loss = {loss(W, b, x, t):.6f}")
    print(f"dW: shape {dW.shape}\n{np.round(dW, 6)}")
    print(f"db: shape {db.shape}\n{np.round(db, 6)}")

    args = (W, b, x, t)
    error = max(np.max(np.abs(g - central_difference(loss, args, i)))
                for i, g in enumerate((dW, db)))
    print(f"max |gradient - central difference| = {error:.2e}")

    print("\n# ---- what the call above ran: dloss.source_for(W, b, x, t) ----")
    print(dloss.source_for(*args))
    print(f"# ---- {dloss.__name__} for arguments of any shape: dloss.source ----")
    print(dloss.source)

    if error > 1e-6:
        raise SystemExit(f"gradient check failed: error {error:.2e} > 1e-6")


if __name__ == "__main__":
    main()
