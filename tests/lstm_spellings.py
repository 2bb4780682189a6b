"""ADBench's stacked LSTM objective, written the ways NumPy users write it.

Every spelling computes the same number from the same parameters as
``torch_rows`` (ADBench's PyTorch version, in NumPy): ``main`` holds a
weight row and a bias row per layer ((2 * layers, 4 * b)), ``extra`` the
input scale, output scale and output bias ((3, b)), ``state`` a hidden and a
cell row per layer ((2 * layers, b)), ``sequence`` one row per character
((c, b)).  ``ARGUMENTS[name](main, extra, state, sequence)`` gives a
spelling's arguments from those, ``WRT[name]`` the parameters it
differentiates (the weights), and ``canonical_grad[name](grads)`` maps its
gradients back onto (d main, d extra), so all spellings can be compared.

The module reads NumPy only through ``np``, so tests run it under autograd as
well (``autograd_twin``) where a spelling uses only what autograd supports.
"""
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_model(weight, bias, hidden, cell, inp):
    gates = np.concatenate((inp, hidden, inp, hidden)) * weight + bias
    hsize = hidden.shape[0]
    forget = sigmoid(gates[0:hsize])
    ingate = sigmoid(gates[hsize:2 * hsize])
    outgate = sigmoid(gates[2 * hsize:3 * hsize])
    change = np.tanh(gates[3 * hsize:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def log_loss(ypred, ygold):
    ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2)
    return np.sum(ygold * ynorm)


# -- ADBench's PyTorch version: rows written into a copy of the state, every state kept

def predict_rows(w, w2, s, x):
    s2 = s.copy()
    x = x * w2[0]
    for i in range(0, len(s), 2):
        s2[i], s2[i + 1] = lstm_model(w[i], w[i + 1], s[i], s[i + 1], x)
        x = s2[i]
    return x * w2[1] + w2[2], s2


def torch_rows(main_params, extra_params, state, sequence):
    total = 0.0
    count = 0
    inp = sequence[0]
    all_states = [state]
    for t in range(len(sequence) - 1):
        ypred, new_state = predict_rows(main_params, extra_params, all_states[t], inp)
        all_states.append(new_state)
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        inp = ygold
    return -total / count


# -- ADBench's TensorFlow version: a new state list appended to and stacked

def predict_stacked(w, w2, state, x):
    new_state = []
    x = x * w2[0]
    for i in range(0, state.shape[0], 2):
        hidden, cell = lstm_model(w[i], w[i + 1], state[i], state[i + 1], x)
        x = hidden
        new_state.append(hidden)
        new_state.append(cell)
    new_state = np.stack(new_state, 0)
    return x * w2[1] + w2[2], new_state


def tf_stacked(main_params, extra_params, state, sequence):
    total = 0.0
    count = 0
    inp = sequence[0]
    all_states = [state]
    for t in range(sequence.shape[0] - 1):
        ypred, new_state = predict_stacked(main_params, extra_params, all_states[t], inp)
        all_states.append(new_state)
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        inp = ygold
    return -total / count


def tf_carried(main_params, extra_params, state, sequence):
    """The TensorFlow version with the state carried, not kept."""
    total = 0.0
    count = 0
    inp = sequence[0]
    for t in range(sequence.shape[0] - 1):
        ypred, state = predict_stacked(main_params, extra_params, state, inp)
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        inp = ygold
    return -total / count


# -- lists of per-layer arrays passed in

def layer_lists(weights, biases, extra_params, hidden, cell, sequence):
    hidden = list(hidden)
    cell = list(cell)
    total = 0.0
    inp = sequence[0]
    for t in range(len(sequence) - 1):
        x = inp * extra_params[0]
        for i in range(len(hidden)):
            h = hidden[i]
            hidden[i], cell[i] = lstm_model(weights[i], biases[i], h, cell[i], x)
            x = hidden[i]
        ypred = x * extra_params[1] + extra_params[2]
        total += log_loss(ypred, sequence[t + 1])
        inp = sequence[t + 1]
    return -total / ((len(sequence) - 1) * sequence.shape[1])


def layer_tuples(layers, extra_params, states, sequence):
    """layers: a list of (W, b) tuples; states: a list of [h, c] lists."""
    states = [list(s) for s in states]
    total = 0.0
    count = 0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for l in range(len(layers)):
            W, b = layers[l]
            h, c = lstm_model(W, b, states[l][0], states[l][1], x)
            states[l] = [h, c]
            x = h
        total = total + log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
        count = count + len(sequence[t + 1])
    return -total / count


def layer_dicts(layers, extra_params, state, sequence):
    """layers: a list of {'W': ..., 'b': ...}; the state a list of (h, c) tuples rebuilt
    each step."""
    total = 0.0
    inp = sequence[0]
    for t in range(1, len(sequence)):
        x = inp * extra_params[0]
        new_state = []
        for l in range(len(layers)):
            h, c = lstm_model(layers[l]['W'], layers[l]['b'], state[l][0], state[l][1], x)
            new_state.append((h, c))
            x = h
        state = new_state
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t])
        inp = sequence[t]
    return -total / ((len(sequence) - 1) * sequence.shape[1])


def enumerate_zip(weights, biases, extra_params, hidden, cell, sequence):
    hidden = list(hidden)
    cell = list(cell)
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for l, (W, b) in enumerate(zip(weights, biases)):
            h, c = lstm_model(W, b, hidden[l], cell[l], x)
            hidden[l] = h
            cell[l] = c
            x = hidden[l]
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / ((len(sequence) - 1) * sequence.shape[1])


def history(main_params, extra_params, state, sequence):
    """Every layer's states kept per step in a list of lists, read back at -1 and at
    computed indices 2 * l, 2 * l + 1."""
    states = [[state[k] for k in range(len(state))]]
    layers = len(state) // 2
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        step = []
        for l in range(layers):
            h, c = lstm_model(main_params[2 * l], main_params[2 * l + 1],
                              states[-1][2 * l], states[t][2 * l + 1], x)
            step.append(h)
            step.append(c)
            x = step[-2]
        states.append(step)
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / ((len(sequence) - 1) * sequence.shape[1])


def sequence_list(main_params, extra_params, state, chars):
    """The sequence a list of arrays; the state rows written into a fresh array."""
    total = 0.0
    for t in range(len(chars) - 1):
        x = chars[t] * extra_params[0]
        new_state = np.zeros_like(state)
        for l in range(0, len(state), 2):
            h, c = lstm_model(main_params[l], main_params[l + 1], state[l], state[l + 1], x)
            new_state[l] = h
            new_state[l + 1] = c
            x = h
        state = new_state
        total += log_loss(x * extra_params[1] + extra_params[2], chars[t + 1])
    return -total / ((len(chars) - 1) * len(chars[0]))


def predictions(main_params, extra_params, state, sequence):
    """Predictions appended in one loop, the loss summed over them in another."""
    hidden = [state[i] for i in range(0, len(state), 2)]
    cell = [state[i] for i in range(1, len(state), 2)]
    preds = []
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for l in range(len(hidden)):
            hidden[l], cell[l] = lstm_model(main_params[2 * l], main_params[2 * l + 1],
                                            hidden[l], cell[l], x)
            x = hidden[l]
        preds.append(x * extra_params[1] + extra_params[2])
    total = 0.0
    for t in range(len(preds)):
        total += log_loss(preds[t], sequence[t + 1])
    return -total / (len(preds) * sequence.shape[1])


def while_time(main_params, extra_params, state, sequence):
    """A while loop over time; the state a list of rows rebuilt from a list of layers."""
    s = [state[i] for i in range(len(state))]
    total = 0.0
    t = 0
    while t < len(sequence) - 1:
        x = sequence[t] * extra_params[0]
        i = 0
        while i < len(s):
            s[i], s[i + 1] = lstm_model(main_params[i], main_params[i + 1], s[i], s[i + 1], x)
            x = s[i]
            i += 2
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
        t += 1
    return -total / (t * sequence.shape[1])


LAYERS = 2


def fixed_layers(main_params, extra_params, hidden, cell, sequence):
    """The issue's spelling: a layer count known when transforming, the state tuples
    of rows indexed by the layer (`h = hidden[i]` in `for i in range(2)`)."""
    hidden = list(hidden)
    cell = list(cell)
    total = 0.0
    for t in range(sequence.shape[0] - 1):
        x = sequence[t] * extra_params[0]
        for i in range(LAYERS):
            h = hidden[i]
            hidden[i], cell[i] = lstm_model(main_params[2 * i], main_params[2 * i + 1], h,
                                            cell[i], x)
            x = hidden[i]
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / ((sequence.shape[0] - 1) * sequence.shape[1])


def _norm(sequence):
    return (len(sequence) - 1) * len(sequence[0])


def literal_lists(main_params, extra_params, state, sequence):
    """Lists written out (`[state[0], state[2]]`), then rewritten at the layer index."""
    hidden = [state[0], state[2]]
    cell = [state[1], state[3]]
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for i in range(len(hidden)):
            hidden[i], cell[i] = lstm_model(main_params[2 * i], main_params[2 * i + 1],
                                            hidden[i], cell[i], x)
            x = hidden[i]
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / _norm(sequence)


def appended_plus(main_params, extra_params, state, sequence):
    """The newest state read back at -1; the new one built with `+=`."""
    all_states = [state]
    total = 0.0
    for t in range(len(sequence) - 1):
        s = all_states[-1]
        x = sequence[t] * extra_params[0]
        new = []
        for i in range(0, len(s), 2):
            h, c = lstm_model(main_params[i], main_params[i + 1], s[i], s[i + 1], x)
            new += [h, c]
            x = h
        all_states.append(np.stack(new))
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / _norm(sequence)


def layer_objects(layers, extra_params, hidden, cell, sequence):
    """`for l, layer in enumerate(layers)` over dicts, lists of states indexed by l."""
    hidden = list(hidden)
    cell = list(cell)
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for l, layer in enumerate(layers):
            hidden[l], cell[l] = lstm_model(layer['W'], layer['b'], hidden[l], cell[l], x)
            x = hidden[l]
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / _norm(sequence)


def zip_rebuilt(layers, extra_params, hidden, cell, sequence):
    """New lists of states each step, zipped with the layers."""
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        new_hidden, new_cell = [], []
        for h, c, (W, b) in zip(hidden, cell, layers):
            h, c = lstm_model(W, b, h, c, x)
            new_hidden.append(h)
            new_cell.append(c)
            x = h
        hidden, cell = new_hidden, new_cell
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / _norm(sequence)


def comprehension(main_params, extra_params, state, sequence):
    """States split by comprehensions, copied by one each step."""
    hidden = [state[i] for i in range(0, len(state), 2)]
    cell = [state[i + 1] for i in range(0, len(state), 2)]
    total = 0.0
    for t in range(len(sequence) - 1):
        hidden = [h * 1.0 for h in hidden]
        x = sequence[t] * extra_params[0]
        for l in range(len(hidden)):
            hidden[l], cell[l] = lstm_model(main_params[2 * l], main_params[2 * l + 1],
                                            hidden[l], cell[l], x)
            x = hidden[l]
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / _norm(sequence)


def zip_sequence(main_params, extra_params, state, sequence):
    """`zip(sequence[:-1], sequence[1:])`, the losses in a list, summed by sum()."""
    s = state.copy()
    losses = []
    for x_in, y in zip(sequence[:-1], sequence[1:]):
        x = x_in * extra_params[0]
        for i in range(0, len(s), 2):
            s[i], s[i + 1] = lstm_model(main_params[i], main_params[i + 1], s[i], s[i + 1], x)
            x = s[i]
        losses.append(log_loss(x * extra_params[1] + extra_params[2], y))
    return -sum(losses) / _norm(sequence)


def closure_step(main_params, extra_params, state, sequence):
    """A nested step function returning a new list of states."""
    def step(s, x):
        out = []
        for i in range(0, len(s), 2):
            h, c = lstm_model(main_params[i], main_params[i + 1], s[i], s[i + 1], x)
            out.append(h)
            out.append(c)
            x = h
        return out, x
    s = list(state)
    total = 0.0
    for t in range(len(sequence) - 1):
        s, x = step(s, sequence[t] * extra_params[0])
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / _norm(sequence)


def grown_lists(main_params, extra_params, state, sequence):
    """A list of lists per layer, grown by `hist[l] = hist[l] + [h, c]`, read at -2, -1."""
    hist = [[state[0], state[1]], [state[2], state[3]]]
    total = 0.0
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        for l in range(len(hist)):
            h, c = lstm_model(main_params[2 * l], main_params[2 * l + 1], hist[l][-2],
                              hist[l][-1], x)
            hist[l] = hist[l] + [h, c]
            x = h
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
    return -total / _norm(sequence)


def while_states(main_params, extra_params, state, sequence):
    """While loops over time and layers, every state kept and read at t."""
    states = [state]
    t = 0
    total = 0.0
    while t + 1 < len(sequence):
        prev = states[t]
        x = sequence[t] * extra_params[0]
        rows = []
        i = 0
        while i < len(prev):
            h, c = lstm_model(main_params[i], main_params[i + 1], prev[i], prev[i + 1], x)
            rows.append(h)
            rows.append(c)
            x = h
            i += 2
        states.append(np.stack(rows))
        total += log_loss(x * extra_params[1] + extra_params[2], sequence[t + 1])
        t += 1
    return -total / _norm(sequence)


# -- each spelling's arguments from the canonical ones, and its gradients mapped back

def _pairs(a):
    return [a[i] for i in range(0, len(a), 2)], [a[i] for i in range(1, len(a), 2)]


def _layer_args(main, extra, state, seq):
    (W, b), (h, c) = _pairs(main), _pairs(state)
    return W, b, extra, h, c, seq


ARGUMENTS = {
    'torch_rows': lambda m, e, s, q: (m, e, s, q),
    'tf_stacked': lambda m, e, s, q: (m, e, s, q),
    'tf_carried': lambda m, e, s, q: (m, e, s, q),
    'layer_lists': _layer_args,
    'layer_tuples': lambda m, e, s, q: (list(zip(*_pairs(m))), e,
                                        [list(p) for p in zip(*_pairs(s))], q),
    'layer_dicts': lambda m, e, s, q: ([{'W': W, 'b': b} for W, b in zip(*_pairs(m))], e,
                                       list(zip(*_pairs(s))), q),
    'enumerate_zip': _layer_args,
    'history': lambda m, e, s, q: (m, e, s, q),
    'sequence_list': lambda m, e, s, q: (m, e, s, list(q)),
    'predictions': lambda m, e, s, q: (m, e, s, q),
    'while_time': lambda m, e, s, q: (m, e, s, q),
    'fixed_layers': lambda m, e, s, q: (m, e, tuple(_pairs(s)[0]), tuple(_pairs(s)[1]), q),
    'literal_lists': lambda m, e, s, q: (m, e, s, q),
    'appended_plus': lambda m, e, s, q: (m, e, s, q),
    'layer_objects': lambda m, e, s, q: ([{'W': W, 'b': b} for W, b in zip(*_pairs(m))], e,
                                         *_pairs(s), q),
    'zip_rebuilt': lambda m, e, s, q: (list(zip(*_pairs(m))), e, *_pairs(s), q),
    'comprehension': lambda m, e, s, q: (m, e, s, q),
    'zip_sequence': lambda m, e, s, q: (m, e, s, q),
    'closure_step': lambda m, e, s, q: (m, e, s, q),
    'grown_lists': lambda m, e, s, q: (m, e, s, q),
    'while_states': lambda m, e, s, q: (m, e, s, q),
}

SPELLINGS = {name: globals()[name] for name in ARGUMENTS}

WRT = {name: (0, 1) for name in ARGUMENTS}
WRT.update({'layer_lists': (0, 1, 2), 'enumerate_zip': (0, 1, 2)})


def _interleave(W, b):
    return np.stack([row for pair in zip(W, b) for row in pair])


def canonical_grad(name, grads):
    """(d main, d extra) from a spelling's gradients w.r.t. WRT[name]."""
    if name in ('layer_lists', 'enumerate_zip'):
        dW, db, dextra = grads
        return _interleave(dW, db), dextra
    if name in ('layer_tuples', 'zip_rebuilt'):
        layers, dextra = grads
        return _interleave([W for W, _ in layers], [b for _, b in layers]), dextra
    if name in ('layer_dicts', 'layer_objects'):
        layers, dextra = grads
        return _interleave([d['W'] for d in layers], [d['b'] for d in layers]), dextra
    return grads


def inputs(rng, layers=2, b=14, c=4):
    """ADBench's shapes: main (2 layers, 4 b), extra (3, b), state (2 layers, b),
    sequence (c, b)."""
    return (rng.standard_normal((2 * layers, 4 * b)) * 0.5,
            rng.standard_normal((3, b)) * 0.5,
            rng.standard_normal((2 * layers, b)) * 0.5,
            rng.standard_normal((c, b)))
