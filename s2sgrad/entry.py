"""The function a gradient's call goes straight into: its entry.

A scalar function's gradient does a few hundred nanoseconds of arithmetic; a
call through a Python method, a guard check and a loop over the arguments'
types cost as much again.  So `api.GradFunction.__call__` hands each call to
the instance's entry, made here.  Once the float code exists, the entry is
generated for the function's positional parameters: where all of them are
passed, all Python floats or all float64 NumPy scalars, and the guards hold
(their tests inline, `frontend.guards.Guards.terms`), it calls the float code
itself; anything else goes to the API's general path.  For
`sg.grad(f, wrt=(0, 1))` of `f(x, y)`:

    def entry(arg0=_NOT_GIVEN, arg1=_NOT_GIVEN, /, *more, **keywords):
        if not more and not keywords:
            if type(arg0) is float and type(arg1) is float:
                try:
                    held = w0['math'] is v0
                except Exception:
                    held = False
                if held:
                    try:
                        return floats(arg0, arg1)
                    except Exception as exc:
                        return raised(exc, (arg0, arg1))
            elif type(arg0) is float64 and type(arg1) is float64:
                (the same guards)
                if held:
                    try:
                        result = floats(float(arg0), float(arg1))
                    except Exception:
                        return numpy_code((arg0, arg1))
                    (g0, g1) = result
                    if type(g0) is float and type(g1) is float and isfinite(g0) and ...:
                        return (float64(g0), float64(g1))
                    return scalars((arg0, arg1), result)
        return call((arg0, arg1) + more if arg1 is not _NOT_GIVEN else given((arg0, arg1)),
                    keywords)

The float64 case is `GradFunction._call_scalars` where the float code's
results are finite floats; `scalars` does the rest of it.  Where the guards do
not hold, `call` checks them again and transforms again if they changed.
"""
import math

import numpy as np

_NOT_GIVEN = object()       # a positional argument the call did not pass


def general(call):
    """The entry before there is float code: every call to `call(args, kwargs)`."""
    def entry(*args, **kwargs):
        return call(args, kwargs)
    return entry


def generated(name, nparams, wrt, with_value, floats, guards, **paths):
    """The entry of a gradient `name` whose function takes `nparams` positional
    parameters (and nothing else), differentiated w.r.t. `wrt` (an index or a
    tuple of them), returning its value too if `with_value`; `floats` is its float
    code, `guards` the Guards of its transformation.  `paths`, where the entry
    sends what it does not compute itself (the API's methods):

      call(args, kwargs)      the general path: the guards checked first
      raised(exc, args)       the float code raised on Python floats
      numpy_code(args)        float64 scalars: NumPy's own code
      scalars(args, result)   float64 scalars: the float code's result, in general
    """
    terms, names = guards.terms()
    params = [f'arg{i}' for i in range(nparams)]
    passed = _tuple(params)
    grads = [f'g{i}' for i in range(len(wrt) if isinstance(wrt, tuple) else 1)]
    results = grads + ['value'] * with_value
    unpacked = _tuple(grads) if isinstance(wrt, tuple) else grads[0]
    converted = _tuple([f'float64({g})' for g in grads]) if isinstance(wrt, tuple) \
        else f'float64({grads[0]})'
    if with_value:
        unpacked, converted = f'value, {unpacked}', f'float64(value), {converted}'
    # (each case tests the guards itself: an array argument must not pay for them twice)
    guarded = ['try:', f'    held = {" and ".join(terms) or "True"}',
               'except Exception:', '    held = False', 'if held:']
    floats_case = guarded + [
        '    try:',
        f'        return floats({", ".join(params)})',
        '    except Exception as exc:',
        f'        return raised(exc, {passed})']
    float64_case = guarded + [
        '    try:',
        f'        result = floats({", ".join(f"float({p})" for p in params)})',
        '    except Exception:',
        f'        return numpy_code({passed})',
        f'    {unpacked} = result',
        f'    if {_all_of(results, "float")} and '
        f'{" and ".join(f"isfinite({r})" for r in results)}:',
        f'        return {converted}',
        f'    return scalars({passed}, result)']
    source = '\n'.join([
        f'def entry({"".join(p + "=_NOT_GIVEN, " for p in params)}/, *more, **keywords):',
        '    if not more and not keywords:',
        f'        if {_all_of(params, "float")}:',
        *_indented(floats_case, 12),
        f'        elif {_all_of(params, "float64")}:',
        *_indented(float64_case, 12),
        f'    return call({passed} + more if {params[-1]} is not _NOT_GIVEN else '
        f'given({passed}), keywords)', ''])
    namespace = dict(names, _NOT_GIVEN=_NOT_GIVEN, floats=floats, float64=np.float64,
                     isfinite=math.isfinite, given=_given, **paths)
    exec(compile(source, f'<s2sgrad entry of {name}>', 'exec'), namespace)
    return namespace['entry']


def _tuple(names):
    return f'({names[0]},)' if len(names) == 1 else f'({", ".join(names)})'


def _indented(lines, by):
    return [' ' * by + line for line in lines]


def _all_of(names, kind):
    return ' and '.join(f'type({n}) is {kind}' for n in names)


def _given(args):
    """The positional arguments a call passed: those before the first not given."""
    for i, arg in enumerate(args):
        if arg is _NOT_GIVEN:
            return args[:i]
    return args
