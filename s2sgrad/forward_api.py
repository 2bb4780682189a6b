"""Forward mode: `jvp(f, primals, tangents) -> (out, tangent_out)` and the generated
function behind it (`jvp_function(f)`: `.source`, `.graph`, `.export(path)`)."""
import inspect
import weakref

import numpy as np

from . import compiler
from .api import GraphFunction, WithExtras, annotate, graph
from .arguments import bind_arguments, check_unshared, defined_at, holds_methods_of
from .classes import NeedsClasses
from .runtime.objects import _sg_is_object
from .runtime.tangents import _sg_zero_tangent


class JvpFunction(GraphFunction):
    """The forward mode of a function as generated source:
    `jvp_f(x, ..., dx, ...) -> (f(x, ...), J dx + ...)`, one tangent argument per
    parameter of f, after them, of the same structure (a dict of arrays for a dict).
    Every parameter is positional there: a keyword-only one too, `*args` a tuple,
    `**kwargs` a dict.

    `.source` is its code, `.graph` its IR, `.export(path)` a standalone module:
    the code with every argument given a tangent.  An argument whose tangent is
    None is a constant; `source_for(primals, tangents)` is the code of such a call.
    Calling it with `(primals, tangents)` is `jvp`.
    """

    def __init__(self, target, active=None, complex_values=False):
        self.target = target if isinstance(target, GraphFunction) else graph(target)
        # (a JvpFunction's own forward mode, a third derivative, takes what its code takes)
        self.signature = getattr(self.target, 'code_signature', self.target.signature)
        self.__name__ = self.__qualname__ = 'jvp_' + self.target.__name__.replace('<', '') \
            .replace('>', '')
        self.__doc__ = None
        self.__module__ = self.target.__module__
        self.python_function = None
        self.active = active            # which parameters have a tangent (None: all)
        self.complex_values = complex_values    # a call passes complex values
        self._compiled = None
        self._guards = None
        self._variants = {}

    def _compile(self):
        return compiler.transform_jvp(self.target.graph, self.__name__, self.active,
                                      self.complex_values)

    @property
    def code_signature(self):
        """The parameters of the generated code (every argument given a tangent): the
        primals, then a tangent for each."""
        params = [p.replace(default=p.empty, kind=p.POSITIONAL_OR_KEYWORD)
                  for p in self.signature.parameters.values()]
        return inspect.Signature(params + [p.replace(name='d' + p.name) for p in params])

    def _forget(self):
        self._compiled = None
        self._variants = {}

    def _bound(self, primals, tangents, kwargs, kwarg_tangents):
        """(the target for this call, the value of each of its parameters, the tangent
        of each: None where it has none), as `f(*primals, **kwargs)` binds them."""
        primals, tangents = tuple(primals), tuple(tangents)
        kwargs, kwarg_tangents = dict(kwargs or {}), dict(kwarg_tangents or {})
        if len(primals) != len(tangents):
            raise ValueError(f'jvp: {len(primals)} primals but {len(tangents)} tangents: '
                             f'give one tangent per primal, of the same structure')
        if set(kwarg_tangents) - set(kwargs):
            raise ValueError(f'jvp: tangents of keyword arguments not passed: '
                             f'{sorted(set(kwarg_tangents) - set(kwargs))}')
        target = _target_for_call(self.target, primals, kwargs)
        at = defined_at(getattr(self.target, 'python_function', None))
        bound = bind_arguments(self.signature, self.target.__name__, at, primals, kwargs)
        bound.apply_defaults()
        moved = self.signature.bind_partial(*tangents, **kwarg_tangents).arguments
        values, directions = [], []
        for param in target.graph.params:
            value = bound.arguments[param.name]
            direction = moved.get(param.name)
            if param.kind == 'var_positional' and direction is not None:
                direction = tuple(direction) + (None,) * (len(value) - len(direction))
            elif param.kind == 'var_keyword' and direction is not None:
                direction = {key: direction.get(key) for key in value}
            values.append(value)
            directions.append(_tangent_like(value, direction, param.name))
        return target, values, directions

    def _completed(self, primals, tangents):
        """The value of each parameter (defaults for those not given) and a tangent
        for each (None for those)."""
        return self._bound(primals, tangents, None, None)[1:]

    def for_tangents(self, primals, tangents, kwargs=None, kwarg_tangents=None):
        """The function for a call with these arguments and tangents (None: no tangent)."""
        return self._for_bound(*self._bound(primals, tangents, kwargs, kwarg_tangents))

    def _for_bound(self, target, values, tangents):
        active = tuple(t is not None for t in tangents)
        key = (target, active if not all(active) else None,
               self.complex_values or _holds_complex(values) or _holds_complex(tangents))
        if key == (self.target, self.active, self.complex_values):
            return self
        made = self._variants.get(key)
        if made is None:
            made = self._variants[key] = JvpFunction(*key)
        return made

    def source_for(self, primals, tangents, kwargs=None, kwarg_tangents=None):
        return self.for_tangents(primals, tangents, kwargs, kwarg_tangents).source

    def __call__(self, primals, tangents, kwargs=None, kwarg_tangents=None):
        target, values, tangents = self._bound(primals, tangents, kwargs, kwarg_tangents)
        if target.graph.writes_containers:      # (as a gradient's call is checked)
            check_unshared(values, None, target.python_function)
        same = self._for_bound(target, values, tangents)
        compiled = same.compiled
        given = [t for t in tangents if t is not None]
        try:
            return compiled.function(*values, *given)
        except Exception as exc:
            annotate(exc, compiled)
            raise

    def __repr__(self):
        return f'<s2sgrad.JvpFunction {self.__name__}>'


def _target_for_call(target, args, kwargs):
    """The function a call of `target` with these arguments runs: lowered for its
    extras (*args, **kwargs) and for the classes of the objects whose methods it
    calls, as the gradient's call picks them (api.py)."""
    if isinstance(target, WithExtras):
        target = target.for_call(args, kwargs)
    if target.by_classes:
        return target.for_arguments(args, kwargs)
    try:
        methods = target.graph.value_methods
    except NeedsClasses:
        if not target.needs_classes():
            raise
        return target.for_arguments(args, kwargs)
    if holds_methods_of(methods, args, kwargs) and target.needs_classes():
        return target.for_arguments(args, kwargs)
    return target


def _tangent_like(primal, tangent, name):
    """The tangent of one parameter as the generated code takes it: None for a
    constant (no tangent given, or only zeros of integers), else of the primal's
    structure, with zeros for the leaves given none (None) and for integer leaves
    (constants: their tangent must be None or zeros)."""
    if tangent is None:
        return None
    if _is_constant_leaf(primal):
        if np.any(np.asarray(tangent) != 0):
            raise TypeError(f'jvp: argument {name!r} is an integer or boolean value: a '
                            f'constant, whose tangent must be None or zeros')
        return None
    filled = _filled(primal, tangent, name)
    return None if filled is _CONSTANT else filled


_CONSTANT = object()        # a container whose leaves are all constants


def _filled(primal, tangent, path):
    if isinstance(primal, dict) or isinstance(primal, (list, tuple)) or _sg_is_object(primal):
        items = _parts(primal, path)
        moved = {} if tangent is None else _parts(tangent, path, like=primal)
        step = '.{}' if _sg_is_object(primal) else '[{!r}]'
        filled = {key: _filled(value, moved.get(key), path + step.format(key))
                  for key, value in items.items()}
        if all(v is _CONSTANT for v in filled.values()) and filled:
            return _CONSTANT
        filled = {k: (_sg_zero_tangent(items[k]) if v is _CONSTANT else v) for k, v in filled.items()}
        return _rebuilt(primal, filled)
    if _is_constant_leaf(primal):
        # (an object or NamedTuple made as a tangent repeats its configuration: 2 steps)
        if not (tangent is None or _equal(tangent, primal) or _equal(tangent, 0)):
            raise TypeError(f'jvp: {path} is an integer, boolean or other constant leaf, '
                            f'whose tangent must be None, zeros or the value itself')
        return _CONSTANT
    if tangent is None:
        return _sg_zero_tangent(primal)
    if np.iscomplexobj(tangent) and not np.iscomplexobj(primal):
        raise TypeError(f'jvp: the tangent of {path} is complex but the value is real: a '
                        f'real value moves along the real axis only')
    if np.shape(tangent) != np.shape(primal):
        raise ValueError(f'jvp: the tangent of {path} has shape {np.shape(tangent)}, its '
                         f'value {np.shape(primal)}')
    return tangent


def _parts(x, path, like=None):
    """key -> item of a dict, list, tuple (NamedTuple) or object; a tangent (`like`
    its value) must be of the same kind and size."""
    if like is None or _same_kind(x, like):
        if isinstance(x, dict):
            return dict(x)
        if isinstance(x, (list, tuple)):
            return dict(enumerate(x))
        if _sg_is_object(x):
            return dict(vars(x))
    raise TypeError(f'jvp: the tangent of {path} must have the structure of its value '
                    f'(a {type(like).__name__}{_size(like)}), got a {type(x).__name__}'
                    f'{_size(x)}')


def _equal(a, b):
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return False


def _same_kind(x, like):
    if isinstance(like, dict):
        return isinstance(x, dict)
    if isinstance(like, (list, tuple)):
        return isinstance(x, (list, tuple)) and len(x) == len(like)
    return _sg_is_object(x)


def _size(x):
    return f' of {len(x)}' if isinstance(x, (list, tuple, dict)) else ''


def _rebuilt(primal, items):
    kind = type(primal)
    if isinstance(primal, dict):
        return {key: items[key] for key in primal}
    if isinstance(primal, tuple) and hasattr(primal, '_fields'):
        return kind(*(items[i] for i in range(len(primal))))
    if isinstance(primal, (list, tuple)):
        return kind(items[i] for i in range(len(primal)))
    made = object.__new__(kind)         # (the gradient of an object is one of its class)
    made.__dict__.update(items)
    return made


def _is_constant_leaf(x):
    if isinstance(x, (dict, list, tuple)) or _sg_is_object(x):
        return False
    if isinstance(x, (float, complex, np.inexact)):
        return False
    return not (isinstance(x, np.ndarray) and x.dtype.kind in 'fc')


def _holds_complex(tree):
    if isinstance(tree, dict):
        return any(_holds_complex(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return any(_holds_complex(v) for v in tree)
    if _sg_is_object(tree):
        return any(_holds_complex(v) for v in vars(tree).values())
    return isinstance(tree, (complex, np.complexfloating)) or \
        isinstance(tree, np.ndarray) and tree.dtype.kind == 'c'


_made = weakref.WeakKeyDictionary()


def jvp_function(f):
    """The generated forward-mode function of `f` (made once per function)."""
    try:
        made = _made.get(f)
    except TypeError:
        made = None
    if made is None:
        made = JvpFunction(f)
        try:
            _made[f] = made
        except TypeError:
            pass
    return made


def jvp(f, primals, tangents, kwargs=None, kwarg_tangents=None):
    """`(f(*primals, **kwargs), J @ tangents)`: forward mode, one pass.

    `primals` and `tangents` are tuples with one entry per positional argument
    of f (those of *args too); `kwargs` and `kwarg_tangents` dicts of keyword
    arguments (keyword-only parameters, **kwargs) and their tangents.  A
    tangent has its primal's structure (an array for an array, a dict of arrays
    for a dict, an object of the class for an object), or is None for an
    argument held constant (None leaves too).  Complex arguments take complex
    tangents.  The generated code is `jvp_function(f).source`
    (`.source_for(primals, tangents, kwargs, kwarg_tangents)` for a call).
    """
    return jvp_function(f)(primals, tangents, kwargs, kwarg_tangents)
