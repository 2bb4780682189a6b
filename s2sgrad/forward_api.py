"""Forward mode: `jvp(f, primals, tangents) -> (out, tangent_out)` and the generated
function behind it (`jvp_function(f)`: `.source`, `.graph`, `.export(path)`)."""
import inspect
import weakref

import numpy as np

from . import compiler
from .api import GraphFunction, annotate, graph


class JvpFunction(GraphFunction):
    """The forward mode of a function as generated source:
    `jvp_f(x, ..., dx, ...) -> (f(x, ...), J dx + ...)`, one tangent argument per
    argument of f, after them, of the same structure (a dict of arrays for a dict).

    `.source` is its code, `.graph` its IR, `.export(path)` a standalone module:
    the code with every argument given a tangent.  An argument whose tangent is
    None is a constant; `source_for(primals, tangents)` is the code of such a call.
    Calling it with `(primals, tangents)` is `jvp`.
    """

    def __init__(self, target, active=None):
        self.target = target if isinstance(target, GraphFunction) else graph(target)
        # (a JvpFunction's own forward mode, a third derivative, takes what its code takes)
        self.signature = getattr(self.target, 'code_signature', self.target.signature)
        self.__name__ = self.__qualname__ = 'jvp_' + self.target.__name__.replace('<', '') \
            .replace('>', '')
        self.__doc__ = None
        self.__module__ = self.target.__module__
        self.python_function = None
        self.active = active            # which arguments have a tangent (None: all)
        self._compiled = None
        self._guards = None
        self._by_active = {}

    def _compile(self):
        return compiler.transform_jvp(self.target.graph, self.__name__, self.active)

    @property
    def code_signature(self):
        """The parameters of the generated code (every argument given a tangent): the
        primals, then a tangent for each."""
        params = [p.replace(default=p.empty, kind=p.POSITIONAL_OR_KEYWORD)
                  for p in self.signature.parameters.values()]
        return inspect.Signature(params + [p.replace(name='d' + p.name) for p in params])

    def _forget(self):
        self._compiled = None
        self._by_active = {}

    def _completed(self, primals, tangents):
        """The primals with the defaults of the parameters not given, and a tangent
        for each (None for those)."""
        primals, tangents = tuple(primals), tuple(tangents)
        if len(primals) != len(tangents):
            raise ValueError(f'jvp: {len(primals)} primals but {len(tangents)} tangents: '
                             f'give one tangent per primal, of the same structure')
        params = list(self.signature.parameters.values())
        given = len(primals)
        if given > len(params) or any(p.default is p.empty for p in params[given:]):
            raise TypeError(f'jvp: {self.target.__name__} takes {len(params)} arguments, '
                            f'{given} primals given')
        primals += tuple(p.default for p in params[given:])
        return primals, tangents + (None,) * (len(params) - given)

    def for_tangents(self, primals, tangents):
        """The function for a call whose tangents are these (None: no tangent)."""
        primals, tangents = self._completed(primals, tangents)
        active = tuple(_has_tangent(p, t, k) for k, (p, t) in enumerate(zip(primals, tangents)))
        if all(active):
            return self
        made = self._by_active.get(active)
        if made is None:
            made = self._by_active[active] = JvpFunction(self.target, active)
        return made

    def source_for(self, primals, tangents):
        return self.for_tangents(primals, tangents).source

    def __call__(self, primals, tangents):
        primals, tangents = self._completed(primals, tangents)
        same = self.for_tangents(primals, tangents)
        compiled = same.compiled
        given = [t for t, on in zip(tangents, same.active or [True] * len(tangents)) if on]
        try:
            return compiled.function(*primals, *given)
        except Exception as exc:
            annotate(exc, compiled)
            raise

    def __repr__(self):
        return f'<s2sgrad.JvpFunction {self.__name__}>'


def _has_tangent(primal, tangent, k):
    """Does argument k vary?  A None tangent: no.  An integer or boolean argument is
    a constant: its tangent must be None or zeros."""
    if tangent is None:
        return False
    if _is_complex(primal) or _is_complex(tangent):
        raise TypeError(f'jvp: argument {k} is complex: forward mode takes real arguments '
                        f'(yet)')
    if isinstance(primal, (bool, int, np.integer, np.bool_)) or \
            isinstance(primal, np.ndarray) and primal.dtype.kind in 'biu':
        if np.any(np.asarray(tangent) != 0):
            raise TypeError(f'jvp: argument {k} is an integer or boolean value: a constant, '
                            f'whose tangent must be None or zeros')
        return False
    return True


def _is_complex(tree):
    if isinstance(tree, dict):
        return any(_is_complex(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return any(_is_complex(v) for v in tree)
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


def jvp(f, primals, tangents):
    """`(f(*primals), J(primals) @ tangents)`: forward mode, one pass.

    `primals` and `tangents` are tuples with one entry per argument of f; a
    tangent has its primal's structure (an array for an array, a dict of
    arrays for a dict), or is None for an argument held constant.  The
    generated code is `jvp_function(f).source` (`.source_for(primals,
    tangents)` for a call with None tangents).
    """
    return jvp_function(f)(primals, tangents)
