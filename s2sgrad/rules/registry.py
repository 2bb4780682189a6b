"""The rule registry: which callables have adjoints, and which are constant.

A rule is a plain Python function written like the adjoint a person would
write by hand:

    @register_gradient(np.tanh)
    def tanh_grad(dy, y, x):
        return dy * (1.0 - y * y)

Its first two parameters are the upstream gradient and the primal output
(for an op with several outputs: sequences of them).  The rest mirror the
primal's parameters in the primal's order, so that a user's call binds to
them as it binds to the primal.  Parameters without a default are the
differentiable inputs; those with a default (axis, keepdims, ...) are static
options, taken from the user's call or from the rule's default (`static=`
marks a required parameter static too).  The rule returns one gradient per
differentiable input (a bare value when there is one), `None` where an input
gets no gradient.

Rules are also templates: `template.expand` parses each rule once and inlines
its body into the generated code, so rule bodies may use only operations that
themselves have rules (then gradients of gradients work) and `if` tests that
are decided at transform time (on static arguments such as `axis is None`).
"""
import dataclasses
import inspect

_REQUIRED = inspect.Parameter.empty


@dataclasses.dataclass
class Rule:
    prim: object
    fn: object
    params: list            # [(name, default or _REQUIRED, differentiable, keyword_only)]
    broadcasts: bool        # elementwise over broadcast inputs: unbroadcast centrally
    multi_output: bool      # dy and y are sequences, one entry per output
    unsupported: dict       # static argument -> the only value the rule accepts

    @property
    def differentiable(self):
        return [name for name, _, diff, _ in self.params if diff]


_rules = {}
_constants = {}


class ByIdentity:
    """An unhashable callable (a ctypes function) as an op: the compiler keeps
    facts about ops in sets and dicts, so it is wrapped in this, hashed by
    identity, which calls it.  Its rule, if one is registered, is the callable's."""

    _made = {}

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = getattr(fn, '__name__', None) or type(fn).__name__

    @classmethod
    def of(cls, fn):
        made = cls._made.get(id(fn))
        if made is None or made.fn is not fn:
            made = cls._made[id(fn)] = cls(fn)
        return made

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __repr__(self):
        return repr(self.fn)


def _key(prim):
    if type(prim) is ByIdentity:
        return ('id', id(prim.fn))
    try:
        hash(prim)
        return prim
    except TypeError:
        return ('id', id(prim))


def register_gradient(prim, *, broadcasts=False, multi_output=False, unsupported=None,
                      static=(), differentiable=()):
    """Define the adjoint of `prim` (a NumPy function, ufunc, helper or user function).

    `broadcasts=True` for elementwise functions of several inputs: the AD pass
    sums each input's gradient back to that input's shape, so the rule never
    has to.  `unsupported` maps a static argument to the one value the rule
    handles (e.g. `{'out': None}`); any other value is refused clearly.
    `differentiable` names parameters that have a default but still take a
    gradient (np.select's `default`): when the user leaves them out, the
    default is a constant and its gradient is dropped.
    """
    def decorate(fn):
        from ..frontend.source import capture
        from ..errors import TransformError
        try:
            capture(fn)         # a rule is a template: its source must be readable
        except TransformError as exc:
            raise TypeError(f'gradient rule {fn.__name__!r} has no source to inline '
                            f'(define it in a file or notebook cell): {exc.msg}') from None
        sig = inspect.signature(fn)
        names = list(sig.parameters)
        if len(names) < 2:
            raise TypeError(f'gradient rule {fn.__name__} must take (dy, y, *inputs)')
        params = []
        for p in list(sig.parameters.values())[2:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f'gradient rule {fn.__name__}: *args/**kwargs are not supported')
            diff = (p.default is _REQUIRED and p.kind != p.KEYWORD_ONLY
                    and p.name not in static) or p.name in differentiable
            params.append((p.name, p.default, diff, p.kind == p.KEYWORD_ONLY))
        rule = Rule(prim, fn, params, broadcasts, multi_output, dict(unsupported or {}))
        for each in prim if isinstance(prim, tuple) else (prim,):
            _rules[_key(each)] = dataclasses.replace(rule, prim=each)
        return fn
    return decorate


def register_constant(*prims):
    """Mark callables whose results are constants: no gradient flows through them."""
    for prim in prims:
        _constants[_key(prim)] = prim


_transform_time = set()


def transform_time(fn):
    """Mark a pure Python helper of rule templates that runs when the rule is expanded.

    Called with constant arguments (axes, shapes known at transform time) it
    is folded into its result; with a run-time argument the rule is refused.
    """
    _transform_time.add(fn)
    return fn


def constant(x):
    """In a rule: the value of `x` when it is a transform-time constant, else `NotImplemented`.

    Lets a rule specialise (`if constant(p) == 2:`) without ever branching at run time.
    """
    return x


def static_ndim(x):
    """In a rule: the number of dimensions of `x` when the specialisation being
    compiled knows it (its arguments' shapes are known), else NotImplemented."""
    return NotImplemented


def same(a, b):
    """In a rule: True when two inputs are one and the same value (x * x), decided
    when the rule is expanded."""
    return a is b


def is_transform_time(fn):
    try:
        return fn in _transform_time
    except TypeError:
        return False


def lookup(prim):
    return _rules.get(_key(prim))


def is_constant(prim):
    return _key(prim) in _constants


def all_rules():
    return list(_rules.values())


def all_constants():
    return list(_constants.values())
