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

The package's own rules live in family modules that register them when they
are imported, which `import s2sgrad` does not do: the rules package hands this
registry its loaders (`load_families_with`), a lookup that misses loads the
families not loaded yet before it answers, and what lists every rule loads
them all.  (The families import this module, so it cannot import them.)
"""
import dataclasses
import functools
import inspect

_REQUIRED = inspect.Parameter.empty


@dataclasses.dataclass
class Rule:
    prim: object
    fn: object
    broadcasts: bool        # elementwise over broadcast inputs: unbroadcast centrally
    multi_output: bool      # dy and y are sequences, one entry per output
    unsupported: dict       # static argument -> the only value the rule accepts
    static: tuple           # parameters without a default that are static all the same
    with_gradient: tuple    # parameters with a default that take a gradient all the same

    @functools.cached_property
    def params(self):
        """[(name, default or _REQUIRED, differentiable, keyword_only)] of the primal's
        parameters, read from the rule's signature when the rule is first used."""
        fn = self.fn
        parameters = list(inspect.signature(fn).parameters.values())
        if len(parameters) < 2:
            raise TypeError(f'gradient rule {fn.__name__} must take (dy, y, *inputs)')
        params = []
        for p in parameters[2:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f'gradient rule {fn.__name__}: *args/**kwargs are not supported')
            diff = (p.default is _REQUIRED and p.kind != p.KEYWORD_ONLY
                    and p.name not in self.static) or p.name in self.with_gradient
            params.append((p.name, p.default, diff, p.kind == p.KEYWORD_ONLY))
        return params

    @property
    def differentiable(self):
        return [name for name, _, diff, _ in self.params if diff]


_rules = {}
_constants = {}


def _nothing_to_load():
    pass


_load_families = _load_every_family = _nothing_to_load


def load_families_with(pending, every):
    """Install the rules package's loaders: `pending()` imports the families not
    loaded yet that may hold a rule now (their library is imported), `every()`
    imports them all."""
    global _load_families, _load_every_family
    _load_families, _load_every_family = pending, every


def _is_family_rule(fn):
    return (getattr(fn, '__module__', None) or '').startswith(__name__.rpartition('.')[0] + '.')


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
        rule = Rule(prim, fn, broadcasts, multi_output, dict(unsupported or {}),
                    tuple(static), tuple(differentiable))
        if not _is_family_rule(fn):
            _check_user_rule(rule)
            _load_families()    # the families' rules first: the user's rule replaces theirs
        for each in prim if isinstance(prim, tuple) else (prim,):
            _rules[_key(each)] = dataclasses.replace(rule, prim=each)
        return fn
    return decorate


def _check_user_rule(rule):
    """A user's rule is checked when it is registered: its signature, and its source,
    which must be readable since a rule is a template.  (The package's own are read
    when first used, and tested.)"""
    from ..frontend.source import capture
    from ..errors import TransformError
    rule.params             # reading them checks the signature
    try:
        capture(rule.fn)
    except TransformError as exc:
        raise TypeError(f'gradient rule {rule.fn.__name__!r} has no source to inline '
                        f'(define it in a file or notebook cell): {exc.msg}') from None


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
    """The `Rule` of `prim`, or None: loads the families not loaded yet before saying None."""
    key = _key(prim)
    rule = _rules.get(key)
    if rule is None:
        _load_families()        # (or waits for another thread loading them)
        rule = _rules.get(key)
    return rule


def is_constant(prim):
    key = _key(prim)
    if key not in _constants:
        _load_families()
    return key in _constants


# ---- tangent rules (forward mode: ad/forward.py) --------------------------------------

TANGENT_KINDS = ('template', 'linear', 'multilinear', 'diagonal', 'reduction')


@dataclasses.dataclass
class TangentRule:
    """How forward mode gets the tangent of `prim`'s output(s).

    `template`: `fn(dx, y, *inputs)`, written like a gradient rule but the other
    way round: dx is the tangent of the differentiable input (a tuple of them,
    one per differentiable input in order, when there are several; None where
    an input has none), the result the tangent of the output (a tuple, one per
    output, for `multi_output`).  The other kinds need no body; they read which
    inputs are differentiable from the gradient rule of `prim`:
    `linear`: the op is linear in its differentiable inputs taken together (a
    reshape, a sum, concatenate): its tangent is the op of their tangents;
    `multilinear`: linear in each one separately (a product: matmul, einsum):
    the sum over the inputs with a tangent of the op with that one replaced;
    `diagonal`: elementwise (its Jacobian in each input is diagonal, so equal to
    its transpose): the gradient rule applied to the input's tangent is the
    tangent.  `shape_only`: inputs the gradient rule lists whose values the
    function reads only for their shapes (a gradient helper's `a` in
    `_sg_matmul_lhs_grad(dy, a, b)`): they take no tangent, varying or not.
    """
    prim: object
    kind: str
    fn: object = None
    multi_output: bool = False
    constant: tuple = ()    # inputs the gradient rule lists that take no derivative
    skips_nan: bool = False     # a reduction over the elements that are not NaN
    full_shape: bool = False    # a template whose tangent has the output's shape always
    options: object = None  # a reduction's template for its other differentiable inputs
    shape_only: tuple = ()      # inputs read for their shapes only: no tangent
    unsupported = {}        # (the gradient rule's are checked: template.bind)

    @functools.cached_property
    def params(self):
        """The primal's parameters, as `Rule.params` reads them (template rules)."""
        return Rule(self.prim, self.fn, False, self.multi_output, {}, (), ()).params


_tangents = {}


def register_tangent(*prims, kind='template', multi_output=False, constant=(),
                     skips_nan=False, full_shape=False, options=None, shape_only=()):
    """Define the tangent (forward-mode derivative) of each of `prims`.

    As a decorator (`kind='template'`, the default) on `fn(dx, y, *inputs)`;
    called with another kind (`register_tangent(np.sum, kind='linear')`) it
    declares a derivation from the gradient rule (see `TangentRule`).
    `constant`: inputs the gradient rule counts as differentiable that take
    no derivative (np.select's conditions); `skips_nan`: a reduction that
    leaves NaNs out (np.nanmax), whose NaN elements' tangents are left out too;
    `full_shape`: the template's tangent always has the output's shape (it reads
    every input: x1 * dx2), else where some input has no tangent the forward
    pass broadcasts it to the output's shape.  `options` (a reduction): a template
    `fn(doptions, y, *inputs)` of the tangent the reduction's other differentiable
    inputs add (initial=, weights=), `doptions` their tangents in the gradient
    rule's order (None where one has none); without it, one that varies is refused.
    `shape_only`: inputs the gradient rule counts as differentiable whose values
    are read for their shapes only.
    """
    if kind not in TANGENT_KINDS:
        raise ValueError(f'register_tangent: kind must be one of {TANGENT_KINDS}')

    def store(fn):
        for prim in prims:
            _tangents[_key(prim)] = TangentRule(prim, kind, fn, multi_output, tuple(constant),
                                                skips_nan, full_shape, options,
                                                tuple(shape_only))
        return fn
    if kind == 'template':
        return store
    store(None)
    return None


def lookup_tangent(prim):
    """The `TangentRule` of `prim`, or None (loads the families not loaded yet first)."""
    key = _key(prim)
    rule = _tangents.get(key)
    if rule is None:
        _load_families()
        rule = _tangents.get(key)
    return rule


def all_tangents():
    _load_every_family()
    return list(_tangents.values())


def all_rules():
    """Every rule: of every family (all loaded first, SciPy's too when it is
    installed), and the users'."""
    _load_every_family()
    return list(_rules.values())


def all_constants():
    _load_every_family()
    return list(_constants.values())
