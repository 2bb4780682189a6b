"""NumPy-only helpers that generated code calls.

Each helper is self-contained (it needs nothing but `np` and other `_sg_`
helpers), so `export` can copy the source of the ones a module uses into
that module.  Helpers live by family; HELPERS gathers them by name.
"""
from . import (construction, containers, fft, gradients_of, helpers, linalg, loops, objects,
               online, products, revolve, sparse, special, statistics, tangents)


def _gather():
    found = {}
    for module in (helpers, products, linalg, fft, special, construction, loops, statistics,
                   containers, objects, gradients_of, revolve, online, tangents, sparse):
        for name, fn in vars(module).items():
            if name.startswith('_sg_') and callable(fn):
                if name in found and found[name] is not fn:
                    raise ImportError(f'two runtime helpers are named {name}')
                found[name] = fn
    return found


HELPERS = _gather()
