"""Runtime helpers of forward mode (ad/forward.py).  They need only `np` and other
`_sg_` helpers.

A tangent has its value's structure (a dict for a dict, an object of the class
for an object): the code reads and writes tangents as the function reads and
writes its values (`_sg_field`, `_sg_with_attribute`, subscripts), unlike a
gradient, whose containers and objects are dicts (helpers._sg_GradDict).
"""
import numpy as np

from .objects import _sg_is_object


def _sg_zero_tangent(x):
    """The tangent of a value that does not vary: zeros in its structure; an integer
    or boolean leaf 0 of its type; a leaf that is not a number (a string, None)
    itself, which no tangent computes with."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, (bool, int, float, complex, np.number, np.bool_)):
        return type(x)(0)
    if isinstance(x, dict):
        return {key: _sg_zero_tangent(item) for key, item in x.items()}
    if isinstance(x, tuple) and hasattr(x, '_fields'):
        return type(x)(*(_sg_zero_tangent(item) for item in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_sg_zero_tangent(item) for item in x)
    if _sg_is_object(x):
        made = object.__new__(type(x))          # (as the gradient of an object is made)
        made.__dict__.update({k: _sg_zero_tangent(v) for k, v in vars(x).items()})
        return made
    return x
