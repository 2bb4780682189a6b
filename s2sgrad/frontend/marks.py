"""Marks of what s2sgrad's decorators make, so that lowering recognises a
decorated helper called from a transformed function without importing the api
(the api imports the compiler, which imports lowering)."""


class GraphHelper:
    """Made by sg.graph: lowered from its `python_function`, with arguments of its
    own (its writes into them stay in it)."""


class GradientHelper:
    """Made by sg.grad / sg.value_and_grad: its IR (`graph`) is copied in, the
    arguments bound through its `signature`."""


class CheckpointHelper:
    """Made by sg.checkpoint: inlined from its `python_function`, its ops marked so
    that the reverse pass computes them again instead of keeping their values."""
