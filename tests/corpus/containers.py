"""Lists, tuples and dicts as temporaries, arguments and results;
comprehensions and generator expressions consumed at once."""
import numpy as np

from . import Case


def stacked_harmonics(x, w):
    features = []
    for k in range(1, 4):
        features.append(np.sin(k * x))
    F = np.stack(features, axis=1)
    return np.sum(np.tanh(F @ w))


def list_index_slice_len(a, b, c):
    values = [a, b, c, a * b]
    first, last = values[0], values[-1]
    middle = values[1:3]
    return first * last + middle[0] * middle[1] * len(values)


def starred_split(x):
    first, *rest = np.split(x, 3)
    ordered = [*rest, first]
    return np.sum(ordered[0] * ordered[-1]) + len(rest) * np.sum(rest[-1] ** 2)


def weighted_dict_norms(w1, w2):
    weights = {"a": w1, "b": w2}
    scale = {"a": 1.0, "b": 0.5}
    total = 0.0
    for key, value in weights.items():
        total = total + scale[key] * np.sum(value ** 2)
    return total


def dict_views(x):
    features = {"sin": np.sin(x), "cos": np.cos(x), "square": x ** 2}
    names = list(features.keys())
    total = sum(np.sum(v) for v in features.values())
    return total * len(names)


def dict_set_and_overwrite(x, y):
    stats = {}
    stats["product"] = x * y
    stats["sum"] = x + y
    stats["product"] = stats["product"] + 1.0
    return np.sum(stats["product"] * stats["sum"])


def _moments(x):
    return np.mean(x), np.mean(x ** 2) - np.mean(x) ** 2


def moments_from_tuple(x):
    mean, var = _moments(x)
    return mean * mean + var


def weighted_grid_sum(X):
    terms = [[X[i, j] * (i + j + 1) for j in range(X.shape[1])]
             for i in range(X.shape[0])]
    return sum(np.sin(sum(row)) for row in terms)


def two_outputs_as_list(x):
    outputs = [np.sin(x), x ** 2]
    return np.sum(outputs[0]) + np.sum(outputs[1])


def paired_products(x, y):
    xs = [x, 2.0 * x, x ** 2]
    ys = [y, y ** 2, np.sin(y)]
    return sum(np.sum(a * b) for a, b in zip(xs, ys))


def apply_weight_list(x, weights):
    for W in weights:
        x = np.tanh(x @ W)
    return np.sum(x)


def chunk_energies(x):
    chunks = [x[i:i + 2] for i in range(0, x.shape[0], 2)]
    return np.sum(chunks[-1]) * len(chunks) + sum(np.sum(c ** 2) for c in chunks)


def fibonacci_mix(a, b, n):
    for _ in range(n):
        a, b = b, a + 0.5 * np.tanh(b)
    return np.sum(a * b)


def enumerate_pairs(x):
    pairs = [(x[0], 1.0), (x[1], 2.0), (x[2], 3.0)]
    total = 0.0
    for i, (value, weight) in enumerate(pairs):
        total = total + (i + 1) * weight * value ** 2
    return total


def concatenated_feature_list(x):
    features = [x] + [x ** 2] * 2 + [np.sin(x)]
    F = np.stack(features)
    return np.sum(F * np.arange(1.0, 5.0)[:, None])


def dict_comprehension_norms(W1, W2):
    params = {"w1": W1, "w2": W2}
    norms = {name: np.sum(p ** 2) for name, p in params.items()}
    return norms["w1"] + 2.0 * norms["w2"]


def array_from_scalars(x):
    v = np.array([x[0] * x[1], x[1] - x[2], np.sin(x[2])])
    return np.sum(v ** 2)


def sum_of_list(x):
    terms = [np.sum(x), np.sum(x ** 2), np.sum(np.sin(x))]
    return sum(terms)


def reverse_through_layers(W1, W2, W3, x):
    weights = [W1, W2, W3]
    h = x
    for W in weights:
        h = np.tanh(h @ W)
    for W in reversed(weights):
        h = np.tanh(h @ W.T)
    return np.sum(h ** 2)


def tuple_of_results(x, y):
    pair = (np.sin(x) * y, np.cos(y) * x)
    left, right = pair
    results = (left, right * 2.0, pair[0] + pair[1])
    return np.sum(results[0]) + np.sum(results[1]) + np.sum(results[2])


def appended_without_loop(x, w):
    features = [x]
    features.append(np.sin(x))
    features.append(x * w)
    F = np.stack(features)
    return np.sum(F ** 2) + len(features)


# ------------------------------------------------------------------ cases

def _x(n):
    def make(rng):
        return (rng.standard_normal(n),)
    return make


def _xy(rng):
    return rng.standard_normal(4), rng.standard_normal(4)


def _weights_args(rng):
    return rng.standard_normal((2, 3)), [0.5 * rng.standard_normal((3, 3)),
                                         0.5 * rng.standard_normal((3, 2))]


def _reverse_args(rng):
    return (0.5 * rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((4, 4)),
            0.5 * rng.standard_normal((4, 2)), rng.standard_normal((2, 3)))


CASES = [
    Case(stacked_harmonics, lambda r: (r.standard_normal(4), r.standard_normal(3)),
         (0, 1), {'for_range', 'append', 'list'}, order=2),
    Case(list_index_slice_len, lambda r: (0.7, -1.2, 0.4), (0, 1, 2),
         {'list', 'tuple'}, order=2),
    Case(starred_split, _x(6), 0, {'starred', 'list'}),
    Case(weighted_dict_norms, _xy, (0, 1), {'dict', 'for_list'}, order=2),
    Case(dict_views, _x(4), 0, {'dict', 'genexp', 'list'}, order=2),
    Case(dict_set_and_overwrite, _xy, (0, 1), {'dict'}, order=2),
    Case(moments_from_tuple, _x(5), 0, {'tuple', 'helper'}, order=2),
    Case(weighted_grid_sum, lambda r: (r.standard_normal((3, 2)),), 0,
         {'comprehension', 'genexp', 'list'}),
    Case(two_outputs_as_list, _x(3), 0, {'list'}, order=2),
    Case(paired_products, _xy, (0, 1), {'list', 'genexp'}, order=2),
    Case(apply_weight_list, _weights_args, 0, {'for_list', 'list'}),
    Case(chunk_energies, _x(6), 0, {'comprehension', 'genexp', 'list'}),
    Case(fibonacci_mix, lambda r: (r.standard_normal(3), r.standard_normal(3), 6),
         (0, 1), {'for_range', 'tuple'}, order=2),
    Case(enumerate_pairs, _x(3), 0, {'enumerate', 'list', 'tuple'}, order=2),
    Case(concatenated_feature_list, _x(3), 0, {'list'}, order=2),
    Case(dict_comprehension_norms, _xy, (0, 1), {'dict', 'comprehension'}),
    Case(array_from_scalars, _x(3), 0, {'list'}, order=2),
    Case(sum_of_list, _x(4), 0, {'list'}, order=2),
    Case(reverse_through_layers, _reverse_args, (0, 1, 2, 3),
         {'for_list', 'reversed', 'list'}, float32=True),
    Case(tuple_of_results, _xy, (0, 1), {'tuple'}, order=2),
    Case(appended_without_loop, _xy, (0, 1), {'append', 'list'}, order=2),
]
