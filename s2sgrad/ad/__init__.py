"""Automatic differentiation over the IR (reverse mode).

    interface   the names user code calls: gradients, stop_gradient, their options
    lowering    what the AD needs from the lowering it runs inside (a Protocol the
                frontend satisfies; the AD never imports the frontend)
    site        the `gradients(...)` call in a @graph function: its arguments checked
    reverse     `differentiate`: seeds at the ys, the sweep, the gradients of the xs
    activity    which values depend on an x and which the ys depend on
    sweep       the reverse sweep of straight-line code: each op's rule template
    control     the adjoints of an if and a loop, rules of their own by region type
    tape        what a loop saves for its reverse loop
    terms       gradient terms of a value: summed once, named after it
    invariance  values whose gradient is zero by construction (a softmax's max shift)

Each depends on `ir`, `rules`, `analyses` and `runtime`, never on the frontend
or the passes.  Forward mode goes beside reverse mode: an `ad/forward.py` whose
`differentiate` walks the ops first to last, expanding JVP rule templates
through the same `Lowering.lower_rule`, reusing `activity` (the varied half)
and `Terms` (a tangent's terms are summed and named the same way); control
flow gets forward rules beside `control.ADJOINTS`.
"""
