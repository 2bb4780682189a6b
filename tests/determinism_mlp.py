"""An MLP classifier loss and its gradients, for tests/test_determinism.py.

Imported in fresh processes whose generated sources are compared byte for
byte.  Several values have many uses, so any dependence of the generated
code on set or dict iteration order (and so on the hash seed) shows.
"""
import numpy as np

import s2sgrad as sg


def softmax_cross_entropy(logits, t):
    z = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(t * log_probs, axis=1))


def mlp_loss(W1, b1, W2, b2, x, t):
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    penalty = np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(h * h)
    return softmax_cross_entropy(logits, t) + 1e-3 * penalty


graph_loss = sg.graph(mlp_loss)
grad_loss = sg.grad(mlp_loss, wrt=(0, 1, 2, 3))
value_and_grad_loss = sg.value_and_grad(mlp_loss, wrt=("W1", "W2"))


@sg.graph
def training_step(W1, b1, W2, b2, x, t):
    loss = mlp_loss(W1, b1, W2, b2, x, t)
    dW1, db1, dW2, db2 = sg.gradients(loss, [W1, b1, W2, b2])
    return loss, W1 - 0.1 * dW1, b1 - 0.1 * db1, W2 - 0.1 * dW2, b2 - 0.1 * db2


GENERATED = (graph_loss, grad_loss, value_and_grad_loss, training_step)
