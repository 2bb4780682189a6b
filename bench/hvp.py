"""Hessian-vector products against gradients: what each costs, in gradient calls.

    python bench/hvp.py             # a table on stdout (~30 s)

For each workload: the time of `sg.grad(f)`, of `sg.hvp(f)` (forward over
reverse: one forward-mode pass over the gradient's code), of the vjp of the
gradient (reverse over reverse: what sg.hvp was before) and of `sg.hessian(f)`,
each on warm specialised code, median of interleaved rounds, with BLAS on one
thread; the ratios are to the gradient's time.
"""
import os

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = '1'          # before NumPy is imported

import statistics
import sys
import time

import numpy as np

import s2sgrad as sg
from s2sgrad.transforms import VjpFunction


def logistic(w, X, t):
    z = X @ w
    return np.sum(np.log(1.0 + np.exp(-t * z))) + 0.1 * np.sum(w ** 2)


def mlp(W1, W2, X, y):
    h = np.tanh(X @ W1)
    out = h @ W2
    return np.mean((out - y) ** 2)


def rnn(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)


def settle(x):
    y = x
    steps = 0
    while np.sum(y * y) < 50.0 and steps < 40:
        y = y * 1.1 + 0.1 * np.sin(x)
        steps += 1
    return np.sum(np.cos(y))


RNG = np.random.default_rng(0)
WORKLOADS = [
    ('logistic (200 x 50)', logistic,
     (np.zeros(50), RNG.standard_normal((200, 50)), np.sign(RNG.standard_normal(200)))),
    ('mlp (64 x 100 x 50 x 10)', mlp,
     (RNG.standard_normal((100, 50)) * 0.1, RNG.standard_normal((50, 10)) * 0.1,
      RNG.standard_normal((64, 100)), RNG.standard_normal((64, 10)))),
    ('rnn (50 steps, 20 units)', rnn,
     (RNG.standard_normal((20, 20)) * 0.3, RNG.standard_normal((50, 20)),
      RNG.standard_normal(20))),
    ('while loop (data-dependent exit)', settle, (RNG.standard_normal(30) * 0.5,)),
]


def median_time(call, rounds=7, least=0.05):
    """The median time of one call, each round long enough to be measured."""
    call()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < least:
        call()
        count += 1
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(count):
            call()
        times.append((time.perf_counter() - start) / count)
    return statistics.median(times)


def main():
    print(f'{"workload":34s} {"grad":>10s} {"hvp":>8s} {"rev-rev":>8s} {"hessian":>8s}'
          f'   (hvp, rev-rev and hessian in gradient calls; n = size of x)')
    for name, f, args in WORKLOADS:
        v = RNG.standard_normal(np.shape(args[0]))
        grad, hvp = sg.grad(f), sg.hvp(f)
        reverse = VjpFunction(grad, 0)
        hessian = sg.hessian(f)
        got, expected = hvp(*args, v), reverse(*args, cotangent=v)
        assert np.allclose(got, expected, rtol=1e-10, atol=1e-12), name
        t_grad = median_time(lambda: grad(*args))
        t_hvp = median_time(lambda: hvp(*args, v))
        t_rev = median_time(lambda: reverse(*args, cotangent=v))
        t_hes = median_time(lambda: hessian(*args), rounds=3)
        print(f'{name:34s} {t_grad * 1e6:8.0f}us {t_hvp / t_grad:8.2f} {t_rev / t_grad:8.2f} '
              f'{t_hes / t_grad:8.1f}   n = {np.size(args[0])}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
