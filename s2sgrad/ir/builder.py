"""The op builder: where lowering and the AD append new IR ops (the innermost
open block), and what every op emitted at this point shares (the adjoint it
belongs to, the origin a rule's ops take, the alias records they update)."""
from . import prims
from .nodes import Block, Op, Value


class Builder:
    """Where new ops go: the innermost open block.  `adjoint` marks adjoint code."""

    __slots__ = ('stack', 'adjoint', 'origin_override', 'memory', 'shape_facts')

    def __init__(self):
        self.stack = [Block()]
        self.adjoint = None          # the GradBlock being generated, if any
        self.origin_override = None  # rule expansion: every op gets the primal op's origin
        self.memory = None           # analyses.aliases.Memory: views the user's code makes
        # rule expansion in a specialisation: the AD's shape facts, so that a rule
        # template may ask static_ndim(x) / np.shape(x) (frontend/templates.py)
        self.shape_facts = None

    @property
    def block(self):
        return self.stack[-1]

    def emit(self, prim, args, kwargs, origin, hint, style='call', n_out=1, temp=True):
        if self.origin_override is not None:
            # inside a rule template: the rule's locals are compiler temporaries
            origin, temp = self.origin_override, True
            hint = '_' + (hint or 't').lstrip('_')
        outputs = [Value(hint, origin, temp) for _ in range(n_out)]
        self.block.append(Op(prim, args, kwargs, outputs, origin, style, self.adjoint))
        if self.memory is not None and self.origin_override is None:
            for out in outputs:
                self.memory.note(out, prim, args, kwargs, style)
            if prim is prims.LIST_NEW or prim is prims.LIST_APPEND or \
                    prim is prims.SETITEM and args[0] in self.memory.lists:
                # (a run-time list written at an index holds what it held and the item)
                self.memory.note_list(outputs[0], [args[0], args[2]] if prim is prims.SETITEM
                                      else list(args[:2]))
        return outputs[0] if n_out == 1 else outputs

    def append(self, region):
        region.adjoint = self.adjoint
        self.block.append(region)

    def visible_ops(self):
        """The ops that precede the current point, outermost block first."""
        ops = []
        for block in self.stack:
            ops.extend(block.ops)
        return ops
