"""The public entry points: `graph`, `grad`, `value_and_grad` and what they return."""
import functools
import inspect
import math
import operator

import numpy as np

from . import compiler, entry
from .bound import BoundGradient, is_bound_method
from .analyses import leaves
from .classes import ByClasses, NeedsClasses, made_for
from .analyses.dtypes import sample_of
from .arguments import (bind_arguments, check_differentiable, check_unshared, defined_at,
                        holds_methods_of, resolve_wrt)
from .codegen import literal
from .frontend.lowering import NO_EXTRAS
from .frontend.marks import CheckpointHelper, GradientHelper, GraphHelper
from .specialisation import FLOATS, GENERAL, Specialisation


class GraphFunction(ByClasses, GraphHelper):
    """A Python function in static-graph form, compiled to generated source once.

    Calling it runs the generated code.  `.source` is that code, `.graph` the
    static graph it came from, `.export(path)` writes it as a standalone module.
    Compilation happens on first use (call, `.source`, ...), so helpers defined
    later in the module are found, and again whenever a global, closure cell or
    attribute that the transformation read has changed since (frontend.guards),
    so the code run is always the code for the world as it is.
    """

    def __init__(self, fn, name=None):
        if isinstance(fn, GraphFunction):
            fn = fn.python_function
        if not callable(fn) or not hasattr(fn, '__code__'):
            raise TypeError(f's2sgrad.graph expects a Python function, got {fn!r}')
        if _takes_extras(fn) and not isinstance(self, WithExtras):
            raise TypeError(f'{fn.__name__} takes *args or **kwargs: make its GraphFunction '
                            f'with s2sgrad.graph')
        self.python_function = fn
        self.__name__ = _function_name(fn, name)
        self.__qualname__ = self.__name__
        self.__doc__ = fn.__doc__
        self.__module__ = fn.__module__
        self.__wrapped__ = fn
        self.signature = inspect.signature(fn)
        self._compiled = None
        self._guards = None         # what the transformation read from outside the function

    def _compile(self):
        return compiler.transform(self.python_function, self.__name__, classes=self.classes)

    def _with_classes(self, key):
        return type(self)(self.python_function, self.__name__)

    @property
    def compiled(self):
        compiled = self._compiled
        if compiled is None or not compiled.graph.guards.hold():
            self._forget()
            compiled = self._compiled = self._compile()
            self._guards = compiled.graph.guards
        return compiled

    def _forget(self):
        """Drop what was compiled: a global or closure it read has changed."""
        self._compiled = None

    @property
    def source(self):
        """The generated Python source of the transformed function."""
        return self.compiled.generated.source

    @property
    def graph(self):
        """The static graph: `str(fn.graph)` prints one op per line with its origin."""
        return self.compiled.graph

    def export(self, path):
        """Write a standalone module (NumPy only) defining this function."""
        from .export import export
        export(self.compiled, path)

    def __call__(self, *args, **kwargs):
        if self.by_classes:
            return self.for_arguments(args, kwargs)(*args, **kwargs)
        compiled = self._compiled
        if compiled is None or not self._guards.check():
            try:
                compiled = self.compiled
            except NeedsClasses:
                if not self.needs_classes():
                    raise
                compiled = None
            if compiled is None:
                return self(*args, **kwargs)    # (outside the except: no chained error)
        if holds_methods_of(compiled.graph.value_methods, args, kwargs) and \
                self.needs_classes():
            return self(*args, **kwargs)
        if compiled.graph.writes_containers:
            check_unshared(args, kwargs, self.python_function)
        try:
            return compiled.function(*args, **kwargs)
        except Exception as exc:
            annotate(exc, compiled)
            raise

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self):
        return f'<s2sgrad.GraphFunction {self.__name__}>'


class GradFunction(GraphFunction, GradientHelper):
    """The result of `grad` / `value_and_grad`: a generated gradient function."""

    # A call goes straight into the instance's entry (s2sgrad/entry.py), made for
    # its signature: a method would cost a frame, a tuple and a dict more on every
    # call, as much as a scalar gradient's own arithmetic.
    __call__ = property(operator.attrgetter('_entry'),
                        doc='The function a call of this gradient runs (s2sgrad/entry.py).')

    has_aux = False             # AuxGradFunction: the target returns (loss, aux)

    def __init__(self, target, wrt, with_value):
        if isinstance(target, GraphFunction):
            self.target = target
        elif callable(target) and hasattr(target, '__code__'):
            self.target = graph(target)
        else:
            raise TypeError(f's2sgrad.grad expects a Python function, got {target!r}')
        self.signature = self.__signature__ = self.target.signature
        self.indices = resolve_wrt(wrt, self.signature, self.target.__name__)
        self.with_value = with_value
        prefix = 'value_and_grad_' if with_value else 'grad_'
        self.__name__ = self.__qualname__ = prefix + (
            'lambda' if self.target.__name__ == _LAMBDA else self.target.__name__)
        self.__doc__ = None
        self.__module__ = self.target.__module__
        self.python_function = None
        self._compiled = None
        self._for_floats = None
        self._for_floats_function = None
        self._for_shapes = {}
        self._by_exact = {}
        self._guards = None         # the target's: every specialisation depends on them
        self._entry = self._entry_version = None
        self._make_entry()

    def _compile(self, specialisation=GENERAL):
        target = self.target.graph
        self._guards = target.guards
        return compiler.transform_grad(target, self.indices, self.with_value,
                                       self.__name__, specialisation, self.has_aux,
                                       _sums_outputs(self.target))

    def _with_classes(self, key):
        return type(self)(self.target.for_classes(key), self.indices, self.with_value)

    def _forget(self):
        self._compiled = self._for_floats = self._for_floats_function = self._guards = None
        self._for_shapes = {}
        self._by_exact = {}
        self.target._forget()
        self._make_entry()

    def _make_entry(self):
        """The entry for what is compiled now: the float code's, once there is float
        code and the parameters are all positional (and no aux to pass through);
        else every call to `_call`."""
        floats, guards = self._for_floats_function, self._guards
        if floats is None or guards is None or self.has_aux or not all(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                for p in self.signature.parameters.values()):
            self._entry, self._entry_version = entry.general(self._call), None
            return
        self._entry = entry.generated(
            self.__name__, len(self.signature.parameters), self.indices, self.with_value,
            floats, guards, call=self._call,
            raised=self._float_code_raised, numpy_code=self._numpy_code,
            scalars=self._scalars_result)
        self._entry_version = guards.version

    def compiled_for(self, args):
        """The gradient specialised for these arguments: a gradient is summed back to
        an argument's shape only where it broadcast.  All Python floats: the float
        specialisation.  Arrays: one specialisation serves every call whose arrays
        have the same dtypes, ranks and unit dimensions (`_signature`), unless a
        decision in it held for these exact sizes only (Compiled.sizes_used): then
        it serves those sizes.  A new signature's arguments are checked once."""
        key = _signature(args)
        compiled = self._for_shapes.get(key)
        if compiled is not None:
            return compiled
        exact = (_EXACT, _exact_signature(args))
        compiled = self._for_shapes.pop(exact, None)
        if compiled is None:
            self._check_arguments(args)
            if args and all(t is float for t in key):
                compiled = self.compiled_for_floats
            else:
                # the arguments, and the arrays and numbers the call leaves to their
                # defaults (guarded by the frontend: a rebound default means a new
                # transformation)
                known = dict(enumerate(args))
                known.update(_defaults_left(self.target.graph.params, len(args)))
                shapes = {i: _shape_of(a) for i, a in known.items()
                          if _shape_of(a) is not None}
                samples = {i: sample_of(a) for i, a in known.items()}
                leaves.add_leaves(known, shapes, samples, _shape_of, sample_of)
                compiled = self._compile(Specialisation(shapes=shapes, samples=samples))
            if len(self._for_shapes) >= _SPECIALISATIONS:
                del self._for_shapes[next(iter(self._for_shapes))]     # the oldest
        self._for_shapes[exact if compiled.sizes_used else key] = compiled
        return compiled

    def export(self, path, like=None):
        """Write a standalone module (NumPy only) defining this gradient.  With `like`
        (example arguments), the code a call with such arguments runs
        (`source_for(*like)`), checking its arguments against them."""
        if like is None:
            return super().export(path)
        from .export import export
        like = tuple(like)
        export(self._compiled_for_call(like), path, like)

    def source_for(self, *args, **kwargs):
        """The source a call with these arguments runs: the float code (Python floats,
        float64 NumPy scalars and 0-d arrays), a specialisation for their shapes
        and dtypes, or the general code (`.source`, also what keywords get)."""
        self._check_guards()
        return self._compiled_for_call(args, kwargs).generated.source

    def _compiled_for_call(self, args, kwargs=None):
        """The Compiled a call with these arguments runs (the one choice `__call__`,
        `source_for` and `export(like=...)` share): that of the gradient lowered for
        their classes where a method of an object is called (s2sgrad/classes.py)."""
        if self.by_classes:
            same = self.for_arguments(args, kwargs)
            same._check_guards()
            return same._compiled_for_call(args, kwargs)
        try:
            target = self.target.compiled.graph
            if target.writes_containers:
                check_unshared(args, kwargs, self.target.python_function)
            if holds_methods_of(target.value_methods, args, kwargs):
                raise NeedsClasses('a method named as an array method of')
            return self._compiled_for_call_here(args, kwargs)
        except NeedsClasses:
            if not self.needs_classes():
                raise
        return self._compiled_for_call(args, kwargs)     # (outside: no chained error)

    def _compiled_for_call_here(self, args, kwargs):
        if kwargs:
            self._check_arguments(args, kwargs)     # (before compiling, as for positionals)
            return self.compiled
        # the exact shapes and dtypes first: cheaper to make than `_signature` (this
        # is paid on every call), and they find a specialisation for exact sizes too
        exact = _exact_signature(args)
        compiled = self._by_exact.get(exact)
        if compiled is not None:
            return compiled
        if _numpy_scalars(args):
            self._check_arguments(args)
            return self.compiled_for_floats
        compiled = self._for_shapes.get(_signature(args)) or self.compiled_for(args)
        if len(self._by_exact) >= _SPECIALISATIONS:
            self._by_exact.clear()
        self._by_exact[exact] = compiled
        return compiled

    def _check_arguments(self, args, kwargs=None):
        """The checks a call's arguments pass before any code runs: Python's own for
        their number and names (as calling the original function), and that each
        differentiated one is floats, wherever it comes from (position, keyword,
        default)."""
        at = defined_at(self.target.python_function)
        bound = bind_arguments(self.signature, self.target.__name__, at, args, kwargs or {})
        where = f'{self.target.__name__} ({at})'
        names = list(self.signature.parameters)
        for i in self.indices if isinstance(self.indices, tuple) else (self.indices,):
            param = self.signature.parameters[names[i]]
            arg = bound.arguments.get(param.name, param.default)
            check_differentiable(arg, param.name, where)
        for name, arg in bound.arguments.items():
            if isinstance(arg, np.matrix):
                raise TypeError(f'grad: argument {name!r} of {where} is an '
                                f'np.matrix, whose * is a matrix product: not supported; '
                                f'pass np.asarray(...) of it')

    @property
    def compiled_for_floats(self):
        """The same gradient specialised for calls whose arguments are all Python floats:
        nothing can broadcast, so nothing is summed back to a shape."""
        if self._for_floats is None:
            self._for_floats = self._compile(FLOATS)
            self._for_floats_function = self._for_floats.function
            self._make_entry()
        return self._for_floats

    def _check_guards(self):
        guards = self._guards
        if guards is not None and not guards.check() and not guards.hold():
            self._forget()          # a global or closure it read has changed

    def _call(self, args, kwargs):
        """A call its entry did not run: the guards checked (a transformation again
        if the world changed), then `_call_checked`."""
        self._check_guards()
        guards = self._guards
        if guards is not None and self._entry_version not in (None, guards.version):
            self._make_entry()      # the same world, other objects: new identity tests
        return self._call_checked(args, kwargs)

    def _call_checked(self, args, kwargs):
        """A call whose guards held: the code its arguments choose."""
        function = self._for_floats_function
        if function is not None and not kwargs:
            for arg in args:
                if type(arg) is not float:
                    break
            else:
                try:
                    return function(*args)
                except Exception as exc:
                    return self._float_code_raised(exc, args)
        if not kwargs and _numpy_scalars(args):
            return self._call_scalars(args)
        return self._call_compiled(self._compiled_for_call(args, kwargs), args, kwargs)

    def _float_code_raised(self, exc, args):
        """The float code raised on Python floats: NumPy's semantics if Python's float
        arithmetic raised where NumPy's does not, else the error, with its note."""
        if isinstance(exc, _PYTHON_FLOAT_ERRORS):
            return self._call_numpy_floats(args, {})
        annotate(exc, self._for_floats)
        raise exc

    def _call_compiled(self, compiled, args, kwargs):
        try:
            return compiled.function(*args, **kwargs)
        except Exception as exc:
            if isinstance(exc, _PYTHON_FLOAT_ERRORS) and \
                    (float in map(type, args) or float in map(type, kwargs.values())):
                return self._call_numpy_floats(args, kwargs)
            annotate(exc, compiled)
            raise

    def _call_scalars(self, args):
        """Float64 NumPy scalars and 0-d arrays (beside Python floats): the float code
        on their values, each gradient returned as its argument's type (np.float64,
        a 0-d array) and the value as np.float64, as NumPy's arithmetic gives them.
        Where the float code raises or anything comes out inf or nan, the call
        runs the shape specialisation instead: NumPy's own semantics for those
        (on 0-d arrays they differ from its scalars': (-inf) ** 0.5 is nan)."""
        function = self._for_floats_function
        if function is None:
            self._check_arguments(args)
            function = self.compiled_for_floats.function
        try:
            result = function(*[float(a) for a in args])
        except Exception:
            return self._numpy_code(args)   # NumPy's semantics, or the call's own error
        return self._scalars_result(args, result)

    def _scalars_result(self, args, result):
        """`_call_scalars` once the float code gave `result`."""
        if self.with_value:
            value, grads = result
            if _all_finite(value):
                grads = self._scalar_gradients(args, grads)
                if grads is not None:
                    return _as_float64(value), grads
        else:
            grads = self._scalar_gradients(args, result)
            if grads is not None:
                return grads
        return self._numpy_code(args)

    def _numpy_code(self, args):
        """Float64 NumPy scalars and 0-d arrays where the float code raised or gave inf
        or nan: the shape specialisation, NumPy's own semantics."""
        return self._call_compiled(self.compiled_for(args), args, {})

    def _scalar_gradients(self, args, grads, isfinite=math.isfinite):
        """The float code's gradients as their arguments' types; None if one is inf or nan."""
        if type(self.indices) is int:
            if type(grads) is float and not isfinite(grads):
                return None
            return _AS_SCALAR[type(args[self.indices])](grads)
        converted = []
        for i, g in zip(self.indices, grads):
            if type(g) is float and not isfinite(g):
                return None
            converted.append(_AS_SCALAR[type(args[i])](g))
        return tuple(converted)

    def _map_gradients(self, result, convert):
        """The call's result with `convert(argument index, gradient)` in place of each
        gradient."""
        if self.with_value:
            return result[0], self._each_gradient(result[1], convert)
        return self._each_gradient(result, convert)

    def _each_gradient(self, grads, convert):
        if isinstance(self.indices, tuple):
            return tuple(convert(i, g) for i, g in zip(self.indices, grads))
        return convert(self.indices, grads)

    def _call_numpy_floats(self, args, kwargs):
        """A call with Python floats whose arithmetic raised (1.0 / 0.0, math.sqrt(-1.0),
        a complex number from (-1.0) ** 0.5 where a float was expected), where NumPy
        gives inf or nan: the call again with np.float64 in their place, so that the
        code computes with NumPy's semantics (or raises the same error), their
        gradients returned as Python floats.  (Only then: np.float64 would change
        the dtype a float32 array combined with them gets.)"""
        floats = {i for i, a in enumerate(args) if type(a) is float}
        floats.update(i for i, name in enumerate(self.signature.parameters)
                      if type(kwargs.get(name)) is float)
        args = tuple(np.float64(a) if type(a) is float else a for a in args)
        kwargs = {k: np.float64(a) if type(a) is float else a for k, a in kwargs.items()}
        return self._map_gradients(self(*args, **kwargs),
                                   lambda i, g: _float_of(g) if i in floats else g)

    def __repr__(self):
        return f'<s2sgrad.GradFunction {self.__name__}>'


class AuxGradFunction(GradFunction):
    """`grad(f, has_aux=True)` / `value_and_grad(f, has_aux=True)`, as in JAX: `f`
    returns `(loss, aux)`; the call returns `(gradient, aux)`, or `((loss, aux),
    gradient)`.  aux is not differentiated: it is what the forward computed."""

    has_aux = True

    def _map_gradients(self, result, convert):
        if self.with_value:         # ((loss, aux), gradient)
            return super()._map_gradients(result, convert)
        return self._each_gradient(result[0], convert), result[1]

    def _compiled_for_call(self, args, kwargs=None):
        # NumPy scalars and 0-d arrays run a shape specialisation, which computes and
        # returns their types itself (GradFunction's float code converts gradients
        # in a result whose every part it knows to be a float)
        if not kwargs and _numpy_scalars(args):
            return self.compiled_for(args)
        return super()._compiled_for_call(args, kwargs)

    def _call_scalars(self, args):
        return self._call_compiled(self._compiled_for_call(args), args, {})


class WithExtras:
    """A function with *args or **kwargs (mixed into GraphFunction and the gradients):
    compiled for each call's extras, how many extra positional arguments and
    which extra keywords (frontend.lowering: `len(args)`, `args[0]`, `kwargs['lr']`
    are known when transforming), by a function of its class made for them.
    `.source`, `.graph` and `export(path)` are the code for a call with none;
    `source_for(*args, **kwargs)` and `export(path, like=args)` that for such a
    call.  A call runs the general code (no float or shape specialisation: the
    call's positions do not all name parameters)."""

    extras = NO_EXTRAS

    def needs_classes(self):
        return False        # (methods of objects in a function with *args: not yet)

    def for_extras(self, extras):
        return made_for(self, '_by_extras', 'extras', extras, self._with_extras)

    def for_call(self, args, kwargs):
        """The function of this class for a call with these arguments (or operands)."""
        return self.for_extras(_extras_of(self.signature, args, kwargs))

    def export(self, path, like=None, like_kwargs=None):
        """`like` and `like_kwargs`: the positional and keyword arguments of a call
        whose extras the exported code is for."""
        same = self if like is None and like_kwargs is None else \
            self.for_call(tuple(like or ()), dict(like_kwargs or {}))
        GraphFunction.export(same, path)


class ExtrasGraphFunction(WithExtras, GraphFunction):
    """`graph(fn)` of a function with *args or **kwargs (WithExtras)."""

    def _with_extras(self, extras):
        return ExtrasGraphFunction(self.python_function, self.__name__)

    def _compile(self):
        return compiler.transform(self.python_function, self.__name__, self.extras)

    def __call__(self, *args, **kwargs):
        return GraphFunction.__call__(self.for_call(args, kwargs), *args, **kwargs)


class _ExtrasGradient(WithExtras):
    """A gradient of a function with *args or **kwargs (WithExtras).  `wrt` names
    them by name or index: the gradient of *args is a tuple, one per extra
    positional argument; that of **kwargs a dict, one per extra keyword (a dict
    argument: the body's `kwargs['lr']` reads it, frontend.lowering)."""

    def _with_extras(self, extras):
        return type(self)(self.target.for_extras(extras), self.indices, self.with_value)

    def _compiled_for_call(self, args, kwargs=None):
        self._check_arguments(args, kwargs)
        return self.compiled

    compiled_for = _compiled_for_call

    def __call__(self, *args, **kwargs):
        same = self.for_call(args, kwargs)
        same._check_guards()
        return same._call_compiled(same._compiled_for_call(args, kwargs), args, kwargs)

    def source_for(self, *args, **kwargs):
        return GradFunction.source_for(self.for_call(args, kwargs), *args, **kwargs)

    def _call_numpy_floats(self, args, kwargs):
        # (GradFunction's, with a gradient of *args a tuple: floats where its items were)
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        args = tuple(np.float64(a) if type(a) is float else a for a in args)
        kwargs = {k: np.float64(a) if type(a) is float else a for k, a in kwargs.items()}
        names = list(self.signature.parameters)
        return self._map_gradients(self(*args, **kwargs),
                                   lambda i, g: _like_floats(g, bound.arguments[names[i]]))


class ExtrasGradFunction(_ExtrasGradient, GradFunction):
    """`grad` / `value_and_grad` of a function with *args or **kwargs."""


class ExtrasAuxGradFunction(_ExtrasGradient, AuxGradFunction):
    """`grad` / `value_and_grad` with has_aux of a function with *args or **kwargs."""


def _extras_of(signature, args, kwargs):
    """What a call gives the *args and **kwargs of a function of this signature
    (frontend.lowering.NO_EXTRAS when it has none)."""
    params = signature.parameters
    kinds = {p.kind for p in params.values()}
    count = 0
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        count = max(0, len(args) - sum(p.kind in _POSITIONAL for p in params.values()))
    keys = ()
    if inspect.Parameter.VAR_KEYWORD in kinds:
        keys = tuple(sorted(k for k in kwargs if k not in params or
                            params[k].kind is inspect.Parameter.POSITIONAL_ONLY))
    return count, keys


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _takes_extras(fn):
    """Has this function (or GraphFunction) *args or **kwargs?  (A functools.wraps
    wrapper's signature is the wrapped function's.)"""
    signature = getattr(fn, 'signature', None)
    if signature is None:
        if not (callable(fn) and hasattr(fn, '__code__')):
            return False        # refused by the class
        signature = inspect.signature(fn)
    return any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values())


def _like_floats(gradient, arg):
    """The gradient as a Python float where its argument was one (items of a tuple
    or a dict too: *args, **kwargs)."""
    if type(arg) is tuple and type(gradient) is tuple:
        return tuple(_like_floats(g, a) for g, a in zip(gradient, arg))
    if type(arg) is dict and type(gradient) is dict:
        return {k: _like_floats(g, arg[k]) for k, g in gradient.items()}
    return _float_of(gradient) if type(arg) is float else gradient


def _sums_outputs(target):
    """Are a tuple output's items summed?  Where the target is a gradient (of
    several arguments, or a value and a gradient): `sg.grad(sg.grad(f, wrt=(0, 1)))`
    differentiates the sum of the gradients.  Not those of a function's own
    `return a, b` (an error naming has_aux), nor a gradient's aux."""
    return isinstance(target, GradFunction) and not target.has_aux


def _float_of(gradient):
    return gradient if gradient is None else float(gradient)


def _numpy_scalars(args, float64=np.float64, ndarray=np.ndarray,
                   dtype=np.dtype(np.float64)):
    """Is every argument a float64 NumPy scalar, a float64 0-d array or a Python float,
    not all the last?  (The float code computes them alike; float32 it would round
    otherwise.)"""
    numpy = False
    for arg in args:
        kind = type(arg)
        if kind is float:
            continue
        if kind is not float64 and (kind is not ndarray or arg.dtype is not dtype or arg.shape):
            return False
        numpy = True
    return numpy


def _all_finite(result):
    """Is every float in a float call's result finite (arrays: NumPy computed them)?"""
    if isinstance(result, (tuple, list)):
        return all(_all_finite(item) for item in result)
    return not isinstance(result, float) or math.isfinite(result)


def _as_float64(value):
    """A float code's value as NumPy gives it for float64 scalars and 0-d arrays."""
    if type(value) is float:
        return np.float64(value)
    if type(value) in (tuple, list):
        return type(value)(_as_float64(item) for item in value)
    return value


def _keep(gradient):
    return gradient


def _as_zero_d(gradient):
    return gradient if gradient is None else np.array(gradient)


def _as_numpy_scalar(gradient):
    return gradient if gradient is None else np.float64(gradient)


# A float code's gradient for an argument of each type _numpy_scalars admits.
_AS_SCALAR = {float: _keep, np.float64: _as_numpy_scalar, np.ndarray: _as_zero_d}


# What Python's float arithmetic raises where NumPy's gives inf or nan (TypeError:
# a complex number where a float is expected).
_PYTHON_FLOAT_ERRORS = (ArithmeticError, ValueError, TypeError)

# Specialisations kept per gradient, the oldest dropped first (one made for exact
# sizes: the least recently used); in practice few, as one serves every size
# with the same ranks, dtypes and unit dimensions.
_SPECIALISATIONS = 64


def _function_name(fn, name):
    """The name of the generated function: `name=` when given, which must be an
    identifier (ValueError otherwise), else the function's own `__name__` made
    one (characters an identifier cannot hold become `_`)."""
    if name is None:
        return _LAMBDA if fn.__name__ == '<lambda>' else literal.identifier(fn.__name__)
    if not isinstance(name, str) or not literal.is_identifier(str.__str__(name)):
        shown = literal.string(name) if isinstance(name, str) else type(name).__name__
        raise ValueError(f'sg.graph(name=...): the name of the generated function must be '
                         f'a Python identifier (not a keyword), got {shown}')
    return str.__str__(name)


# The name of a lambda's generated function (a keyword, with PEP 8's underscore);
# its gradient's is grad_lambda.
_LAMBDA = 'lambda_'

# The scalars whose shape a specialisation records as `()`.
_SHAPED_SCALARS = (float, int, np.float64, np.float32)


def _shape_of(a):
    """The shape a specialisation records for an argument or leaf: an array's, `()` for
    a scalar of `_SHAPED_SCALARS`, else None."""
    if type(a) is np.ndarray:
        return a.shape
    return () if type(a) in _SHAPED_SCALARS else None


def _defaults_left(params, passed):
    """position -> default, for the parameters (a graph's: the defaults its code
    binds) after the `passed` positional arguments whose default is an array or a
    number."""
    return {i: p.default.value for i, p in enumerate(params)
            if i >= passed and p.default is not None and
            type(p.default.value) in (np.ndarray,) + _SHAPED_SCALARS}


def _signature(args, ndarray=np.ndarray, depth=0):
    """What a specialisation depends on: each array's dtype and rank, and which of its
    dimensions are 1 (broadcasting) or 0, not their sizes; whether it is big
    (compiler.BIG_BYTES: what is worth writing into or releasing); other
    arguments' types (a list's or tuple's: with its items', so that a list of
    integers is checked)."""
    return tuple([
        (a.dtype, a.ndim if 1 not in a.shape and 0 not in a.shape else
         tuple([n if n < 2 else 2 for n in a.shape]), a.nbytes >= _BIG_BYTES)
        if type(a) is ndarray else
        (type(a), _signature(a, depth=depth + 1))
        if type(a) in (list, tuple) and depth <= leaves.DEPTH else
        leaves.signature(a, _signature, depth) for a in args])


def _exact_signature(args, ndarray=np.ndarray, depth=0):
    """The arguments' exact shapes and dtypes, for a specialisation that depends on them."""
    return tuple([(a.shape, a.dtype) if type(a) is ndarray else
                  (type(a), _exact_signature(a, depth=depth + 1))
                  if type(a) in (list, tuple) and depth <= leaves.DEPTH else
                  leaves.signature(a, _exact_signature, depth) for a in args])


_EXACT = 'exact sizes'       # the key of a specialisation for exact sizes starts with it
_BIG_BYTES = compiler.BIG_BYTES


def annotate(exc, compiled):
    """Add a note naming the user's line that the failing generated statement came from."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == compiled.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    origin = compiled.generated.line_origins.get(line) if line else None
    if origin is None:
        return
    note = f'while running the generated code of {origin.long}: {origin.text.strip()}'
    if note not in getattr(exc, '__notes__', ()):
        exc.add_note(note)


def graph(fn=None, *, name=None):
    """`@graph` or `@graph(name=...)`: the function in static-graph form."""
    if fn is None:
        return lambda f: graph(f, name=name)
    fn = _uncheckpointed(fn)
    return (ExtrasGraphFunction if _takes_extras(fn) else GraphFunction)(fn, name)


def grad(fn, wrt=0, has_aux=False):
    """The gradient of `fn` (its output's elements summed) w.r.t. the parameters in
    `wrt`.  `has_aux=True`: `fn` returns `(loss, aux)`, the gradient is loss's, and
    the call returns `(gradient, aux)`.  A bound method `obj.method`: w.r.t. its
    explicit arguments, and the object as `wrt='self'` (bound.py)."""
    if is_bound_method(fn):
        return BoundGradient(lambda f, w: grad(f, w, has_aux), fn, wrt)
    fn = _uncheckpointed(fn)
    return _grad_function(has_aux, fn)(fn, wrt, with_value=False)


def _uncheckpointed(fn):
    """An sg.checkpoint function transformed on its own is its plain function: there
    is no caller for whose reverse pass to keep less."""
    return fn.python_function if isinstance(fn, CheckpointHelper) else fn


def value_and_grad(fn, wrt=0, has_aux=False):
    """Like `grad`, returning `(fn's value, gradients)`; `has_aux=True`: `fn`
    returns `(loss, aux)` and the call `((loss, aux), gradients)`."""
    if is_bound_method(fn):
        return BoundGradient(lambda f, w: value_and_grad(f, w, has_aux), fn, wrt)
    fn = _uncheckpointed(fn)
    return _grad_function(has_aux, fn)(fn, wrt, with_value=True)


def _grad_function(has_aux, fn):
    """The class of fn's gradient."""
    if not isinstance(has_aux, bool):
        raise TypeError(f'has_aux must be True or False, got {has_aux!r}')
    if _takes_extras(fn):
        return ExtrasAuxGradFunction if has_aux else ExtrasGradFunction
    return AuxGradFunction if has_aux else GradFunction


__all__ = ['GraphFunction', 'GradFunction', 'AuxGradFunction', 'graph', 'grad', 'value_and_grad']
