"""Values whose gradient is zero by construction: the max shift of a softmax.

The stable softmax and log-softmax subtract the row maximum first:

    m = np.max(z, axis=1, keepdims=True)
    z1 = z - m
    logp = z1 - np.log(np.sum(np.exp(z1), axis=1, keepdims=True))   # or
    p = np.exp(z1) / np.sum(np.exp(z1), axis=1, keepdims=True)

Both results are the same for any shift m, so the gradient through m is
exactly zero; computed, it is a sum of terms that cancel to rounding, through
an argmax mask that costs several passes.  JAX's log_softmax stops the
gradient at the max for this reason.  When m is read only by the
subtraction, and z1 only by such a softmax over the same axis, m is treated
as a constant (as if the user had written stop_gradient).
"""
import numpy as np

from ..ir.nodes import Const, Op, Value, values_in
from ..ir.primitives import info


def zero_gradient_shifts(ops, ys, xs):
    """The values m (as above) in these straight-line ops whose gradient is zero."""
    readers, producer = {}, {}
    for op in ops:
        if not isinstance(op, Op):
            for v in op.inputs():
                readers.setdefault(v, []).append(None)      # read by a region
            continue
        for v in op.inputs():
            readers.setdefault(v, []).append(op)
        for out in op.outputs:
            producer[out] = op
    for y in ys:
        for v in values_in(y):
            readers.setdefault(v, []).append(None)          # an output: read by the caller
    wanted = {x for x in xs if isinstance(x, Value)}
    found = set()
    for op in ops:
        if isinstance(op, Op) and info(op.prim).family == 'max' and op.output not in wanted:
            axis = _keepdims_axis(op)
            shifted = _only_reader(readers, op.output)
            if axis is not None and shifted is not None and shifted.prim is np.subtract \
                    and shifted.args == [op.args[0], op.output] and \
                    _softmax_only(shifted.output, axis, readers, wanted):
                found.add(op.output)
    return found


def _keepdims_axis(op):
    """The axis of `np.max(z, axis=a, keepdims=True)` / `np.sum(...)`, else None."""
    if len(op.args) != 1 or set(op.kwargs) != {'axis', 'keepdims'}:
        return None
    axis, keep = op.kwargs['axis'], op.kwargs['keepdims']
    if not (isinstance(axis, Const) and isinstance(keep, Const) and keep.value is True):
        return None
    return axis.value if type(axis.value) is int else None


def _only_reader(readers, value):
    found = readers.get(value, [])
    return found[0] if len(found) == 1 else None


def _softmax_only(z1, axis, readers, wanted):
    """z1 is read only as exp(z1) whose row sums s (over `axis`) give exp(z1) / s,
    or z1 - log(s): results that do not change when z1 is shifted along axis."""
    if z1 in wanted:
        return False
    users = readers.get(z1, [])
    exps = [u for u in users if u is not None and u.prim is np.exp]
    if len(exps) != 1 or exps[0].output in wanted:
        return False
    e = exps[0].output
    sums = [u for u in readers.get(e, []) if u is not None and u.prim is np.sum]
    if len(sums) != 1 or _keepdims_axis(sums[0]) != axis or sums[0].args != [e]:
        return False
    s = sums[0].output
    s_readers = readers.get(s, [])
    if s in wanted or len(s_readers) != 1 or s_readers[0] is None:
        return False
    last = s_readers[0]
    if last.prim is np.divide and last.args == [e, s]:           # softmax
        return users == [exps[0]] and readers.get(e) in ([sums[0], last], [last, sums[0]])
    if last.prim is np.log:                                      # log-softmax
        log = last.output
        final = _only_reader(readers, log)
        return log not in wanted and readers.get(e) == [sums[0]] and final is not None \
            and final.prim is np.subtract and final.args == [z1, log] and \
            sorted(map(id, users)) == sorted(map(id, [exps[0], final]))
    return False
