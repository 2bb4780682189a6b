"""Programs with loops, for derivatives of order 2 to 4 (tests/test_higher_order_loops.py).

One function per control-flow form, some in several spellings.  Each is
written against `np` only, so that autograd can run the same source
(`autograd_twin`), except the ones that write into arrays (autograd cannot).
"""
import numpy as np


def for_range(x, n=3):
    y = x
    for i in range(n):
        y = np.sin(y) * x + 0.1 * i
    return np.sum(y)


def for_range_len(x, w):
    y = x
    for i in range(len(w)):
        y = np.tanh(y * w[i] + x)
    return np.sum(y * y)


def for_in_rows(x, ws):
    y = x
    for w in ws:
        y = np.tanh(y * w + x)
    return np.sum(y * y)


def for_in_matmul(x, ws):
    h = x
    for w in ws:
        h = np.tanh(w @ h)
    return np.sum(h)


def for_in_dot(x, ws):
    h = x
    for w in ws:
        h = np.tanh(np.dot(w, h))
    return np.sum(h)


def while_data_exit(x):
    y = x
    k = 0
    while np.sum(y * y) < 20.0 and k < 30:
        y = y * 1.3 + np.sin(x)
        k += 1
    return np.sum(np.cos(y))


def for_break(x):
    y = x
    for _ in range(12):
        y = np.cos(y) * x + y
        if np.sum(y) > 4.0:
            break
    return np.sum(y * y)


def for_continue(x):
    y = x
    for i in range(6):
        if i % 2 == 0:
            continue
        y = y * np.sin(x + i)
    return np.sum(y)


def early_return(x):
    y = x
    for _ in range(10):
        y = y * 1.5 + np.sin(y)
        if np.sum(y) > 6.0:
            return np.sum(y * y)
    return np.sum(y)


def branch_in_loop(x):
    y = x
    for _ in range(4):
        if np.sum(y) > 0.5:
            y = np.sin(y) * x
        else:
            y = y * y + x
    return np.sum(y)


def nested_loops(x):
    total = 0.0
    for i in range(3):
        y = x * (i + 1)
        for _ in range(2):
            y = np.sin(y) * x
        total = total + np.sum(y)
    return total


def _step(y, x):
    return np.tanh(y) * x + 0.5 * y


def helper_in_loop(x):
    y = x
    for _ in range(3):
        y = _step(y, x)
    return np.sum(y)


def list_appended(x, w):
    rows = []
    for scale in [0.5, 1.0, 2.0]:
        rows.append(np.cos(scale * x) * x)
    return np.sum(np.tanh(w @ np.array(rows)))


def carried_list(x):
    ys = [x]
    for _ in range(3):
        ys.append(np.sin(ys[-1]) * x)
    return np.sum(ys[-1]) + np.sum(ys[1])


def layers_in_a_list(x, layers):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


# ---- buffers written in loops (autograd cannot write into arrays) ----

def buffer_written(x):
    out = np.zeros(x.shape[0])
    acc = 1.0
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * acc
        acc = acc + out[i]
    return np.sum(out * out)


def buffer_rows(x, w):
    n = x.shape[0]
    h = np.zeros((n, w.shape[1]))
    for i in range(n):
        h[i, :] = np.tanh(x[i] * w[0] + w[1])
    return np.sum(h ** 2)


def nested_exits(x):
    # a while in a branch of a for, a for with a break in the other branch
    y = x
    for i in range(3):
        if np.sum(y) > 0.0:
            k = 0
            while np.sum(y * y) < 4.0 + i and k < 10:
                y = y * 1.2 + 0.1 * np.sin(x)
                k += 1
        else:
            for j in range(4):
                y = np.cos(y) * x + 0.1 * j
                if np.sum(y) > 1.0:
                    break
    return np.sum(np.sin(y) * x)
