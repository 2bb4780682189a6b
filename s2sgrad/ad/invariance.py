"""Values whose gradient is zero by construction: the max shift of a softmax.

The stable softmax and log-softmax subtract the row maximum first:

    m = np.max(z, axis=1, keepdims=True)
    z1 = z - m
    logp = z1 - np.log(np.sum(np.exp(z1), axis=1, keepdims=True))   # or
    p = np.exp(z1) / np.sum(np.exp(z1), axis=1, keepdims=True)

or the log-sum-exp written out, `m + np.log(np.sum(np.exp(z - m), axis=1,
keepdims=True))`.  Each result is the same for any shift m, so the gradient
through m is exactly zero; computed, it is a sum of terms that cancel to rounding, through
an argmax mask that costs several passes.  JAX's log_softmax stops the
gradient at the max for this reason.  When m is read only by the
subtraction (and by the log-sum-exp's addition), and z1 only by such a softmax
over the same axis, m is treated as a constant (as if the user had written
stop_gradient).  Other spellings (`z.max(axis=1)[:, None]`, `np.max(z, -1)`)
take this form in a shape specialisation first (passes/canonical.py).
"""
import numpy as np

from ..ir.nodes import Const, Op, Value, values_in
from ..ir.primitives import axis_operand, info


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
            if _invariant_shift(op, readers, wanted):
                found.add(op.output)
    return found


def _invariant_shift(op, readers, wanted):
    """Is `m = op` (a max over one axis, kept) read only as the shift of a softmax or
    log-softmax (`z - m`), or of a log-sum-exp written out (`m + log(sum(exp(z - m)))`)?"""
    axis, m = _keepdims_axis(op), op.output
    users = readers.get(m, [])
    shifts = [u for u in users if u is not None and u.prim is np.subtract and
              u.args == [op.args[0], m]]
    if axis is None or len(shifts) != 1:
        return False
    shifted = shifts[0].output
    if users == shifts:
        return _softmax_only(shifted, axis, readers, wanted)
    others = [u for u in users if u is not shifts[0]]
    return len(others) == 1 and _log_sum_exp_of(others[0], m, shifted, axis, readers, wanted)


def _keepdims_axis(op):
    """The axis of `np.max(z, axis=a, keepdims=True)` / `np.sum(...)` (the axis
    passed by name or by position), else None."""
    if not 1 <= len(op.args) <= 2 or set(op.kwargs) - {'axis'} != {'keepdims'}:
        return None
    axis, keep = axis_operand(op), op.kwargs['keepdims']
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


def _log_sum_exp_of(add, m, z1, axis, readers, wanted):
    """`add` is `m + log(s)` (either order), s the row sums (over `axis`) of exp(z1),
    each of z1, exp(z1), s and log(s) read only on that way: the log-sum-exp of z,
    the same for any m."""
    if add is None or add.prim is not np.add or len(add.args) != 2 or m not in add.args:
        return False
    log = add.args[1] if add.args[0] is m else add.args[0]
    chain = [z1]
    for prim in (np.exp, np.sum, np.log):
        reader = _only_reader(readers, chain[-1])
        if reader is None or reader.prim is not prim or reader.args != [chain[-1]] or \
                (prim is np.sum and _keepdims_axis(reader) != axis) or \
                (prim is not np.sum and reader.kwargs):
            return False
        chain.append(reader.output)
    return chain[-1] is log and _only_reader(readers, log) is add and \
        not wanted.intersection(chain)
