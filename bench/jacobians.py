"""Jacobians: sg.jacfwd and sg.jacrev against sg.grad, seeds batched or one pass each.

    python bench/jacobians.py            # m, n = 10, 40, 100: a table of times and ratios
    python bench/jacobians.py --quick    # n = 10 only, few rounds (a smoke run)

For three functions of an (n,) input with an (m,) output, m = n (an MLP, an
elementwise function, a logistic loss per example), it times

* grad: `sg.grad` of the output's sum (one forward and one reverse pass);
* jacfwd batched: the n one-hot tangent seeds along a leading axis, one pass;
* jacfwd loop: one forward-mode pass per seed (`batch_seeds = False`);
* jacrev: the forward once, one adjoint pass per output element;

and reports each Jacobian's time as a multiple of grad's: a Jacobian costs at
least min(m, n) gradient-sized passes unless its passes are batched.  Every
Jacobian is checked against jacrev's before it is timed.  One thread for BLAS.
"""
import os
import sys
import timeit

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import s2sgrad as sg  # noqa: E402


def mlp(w, X, W2):
    """An (n,) input through a hidden layer to (n,) outputs: X (n, n), W2 (n, n)."""
    h = np.tanh(X @ w)
    return np.tanh(h @ W2) + 0.1 * w


def elementwise(x):
    return np.sin(x) * np.exp(-x ** 2) + x / (1.0 + x * x)


def logistic(w, X, t):
    """The logistic loss of each of n examples: X (n, n), t (n,) of +-1."""
    z = X @ w
    return np.log1p(np.exp(-t * z))


def arguments(name, n, rng):
    if name == 'mlp':
        return rng.normal(size=n), rng.normal(size=(n, n)) / np.sqrt(n), \
            rng.normal(size=(n, n)) / np.sqrt(n)
    if name == 'elementwise':
        return (rng.normal(size=n),)
    return rng.normal(size=n), rng.normal(size=(n, n)), np.sign(rng.normal(size=n))


FUNCTIONS = {'mlp': mlp, 'elementwise': elementwise, 'logistic': logistic}


def seconds(fn, args, rounds):
    """The best per-call time of `rounds` rounds."""
    fn(*args)
    number = max(1, int(0.02 / max(timeit.timeit(lambda: fn(*args), number=1), 1e-7)))
    return min(timeit.repeat(lambda: fn(*args), number=number, repeat=rounds)) / number


def measure(sizes, rounds):
    rng = np.random.default_rng(0)
    rows = []
    for name, f in FUNCTIONS.items():
        for n in sizes:
            args = arguments(name, n, rng)
            grad = sg.grad(lambda *a: np.sum(f(*a)))
            batched, looped, jacrev = sg.jacfwd(f), sg.jacfwd(f), sg.jacrev(f)
            looped.batch_seeds = False
            expected = jacrev(*args)
            for candidate in (batched, looped):
                np.testing.assert_allclose(candidate(*args), expected, rtol=1e-10, atol=1e-12)
            assert 'its seeds batched' in batched.source_for(*args)
            base = seconds(grad, args, rounds)
            rows.append((name, n, base, *(seconds(fn, args, rounds) / base
                                          for fn in (batched, looped, jacrev))))
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    quick = '--quick' in argv
    rows = measure((10,) if quick else (10, 40, 100), 2 if quick else 7)
    print(f'{"function":<12} {"m=n":>4} {"grad":>9}   {"jacfwd batched":>14} '
          f'{"jacfwd loop":>11} {"jacrev":>7}   (times grad)')
    for name, n, base, batched, looped, jacrev in rows:
        print(f'{name:<12} {n:>4} {base * 1e6:>7.1f}us   {batched:>14.1f} {looped:>11.1f} '
              f'{jacrev:>7.1f}')


if __name__ == '__main__':
    main()
