"""What a call's arguments tell the transformation of a gradient: one value,
carried from the API through the AD and the passes to codegen.

`sg.grad` compiles a gradient for the arguments a call passes (api.GradFunction):
all Python floats (no broadcasting can happen, so no gradient is summed back
to a shape, and floats' math functions are math's), or arrays of known shapes
and dtypes (gradients summed back to a shape only where a broadcast happened,
results written into dead operands of their shape and dtype).  The general
gradient has no specialisation (`GENERAL`).
"""
import dataclasses
import types

from .analyses.leaves import Leaf


@dataclasses.dataclass(frozen=True)
class Specialisation:
    """The arguments' float-ness, shapes and dtype samples (analyses.dtypes.sample_of).

    `shapes` and `samples` are keyed by argument position as the API makes them,
    and by parameter value once `bound` to a graph's parameters (`params`); a
    sample is left out where it is not known.  They hold the leaves of container
    and object arguments too, under `analyses.leaves.Leaf(argument, path)` keys
    (and `Sequence` shapes for the lists and tuples on the paths).
    """

    floats: bool = False            # every argument is a Python float
    shapes: types.MappingProxyType = None   # argument -> its shape (`()` for a scalar)
    samples: types.MappingProxyType = None  # argument -> a sample of its dtype
    params: tuple = ()              # once bound: the parameters' values, in order

    def __post_init__(self):
        for field in ('shapes', 'samples'):
            mapping = getattr(self, field)
            if mapping is not None:
                object.__setattr__(self, field, types.MappingProxyType(dict(mapping)))

    def bound(self, values):
        """The same specialisation keyed by `values` (the parameters' values, in
        argument order) instead of argument positions."""
        def key(k):
            return Leaf(values[k.root], k.path) if isinstance(k, Leaf) else values[k]
        shapes = None if self.shapes is None else \
            {key(k): shape for k, shape in self.shapes.items()}
        samples = None if self.samples is None else \
            {key(k): s for k, s in self.samples.items() if s is not None}
        return Specialisation(self.floats, shapes, samples, tuple(values))

    @property
    def scalars(self):
        """The parameters' values known to be Python floats."""
        return self.params if self.floats else ()


GENERAL = Specialisation()
FLOATS = Specialisation(floats=True)
