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
or the passes (tests/test_ad_layering.py).

Forward mode goes beside reverse mode, as Tangent has forward_ad.py beside
reverse_ad.py: an `ad/forward.py` whose `differentiate` walks the ops first to
last, expanding tangent rule templates (registered beside the gradient rules)
through the same `Lowering.lower_rule`; it reuses `activity` (the varied half)
and `Terms` (a value's tangent terms are summed and named the same way), and
ifs and loops get forward rules of their own beside `control.ADJOINTS`.
"""
