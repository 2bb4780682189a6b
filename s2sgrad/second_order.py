"""Transforms of a function's gradient: `hessian` and `hvp`, forward over reverse.

Each is made from f's gradient (api.GradFunction) with respect to one
parameter x, and is a gradient function itself (`.source`, `source_for(*args)`,
`.export(path)`, a specialisation per call):

* hvp(f, wrt)(*args, v): forward mode over the gradient's code, x's tangent v
  (compiler.transform_hvp): one pass, the gradient's code with each line's
  tangent after it, never a Hessian;
* hessian(f, wrt): jacfwd of the gradient (jacfwd.transform_jacfwd): one such
  pass per element of x, seeded with its one-hot tangent, in a loop of the
  generated code.  With respect to a container or object, JAX's nesting: each
  float leaf an argument of its own (as in jacrev), H[i][j] of shape
  leaf_i.shape + leaf_j.shape (jacfwd.transform_jacfwd's `hessian`).

Where forward mode cannot follow f (errors.NoTangentRule: a function without a
tangent rule), both fall back to reverse over reverse: the vjp of the
gradient with cotangent v (H is symmetric), its jacrev.
"""
from .analyses.leaves import Leaf
from .api import grad
from .arguments import bind_arguments, defined_at
from .compiler import transform_hvp
from .errors import NoTangentRule
from .jacfwd import transform_jacfwd
from .specialisation import GENERAL, Specialisation
from .transforms import (JacobianFunction, VjpFunction, _check_seed, _container_leaves,
                         _float_keys)


class _OfGradient:
    """A transform of f's gradient w.r.t. one parameter (hessian, hvp): made from f
    (or, for the classes of a call's objects, from that gradient itself)."""

    def __init__(self, target, wrt, of_gradient=False):
        if isinstance(wrt, (tuple, list)):
            raise TypeError(f's2sgrad.{self.prefix.rstrip("_")}: wrt must be one parameter '
                            f'(an int or a name) for now, not a tuple')
        super().__init__(target if of_gradient else grad(target, wrt), wrt)
        self.__name__ = self.__qualname__ = self.prefix + self.target.__name__[len('grad_'):]

    def _with_classes(self, key):
        return type(self)(self.target.for_classes(key), self.indices, of_gradient=True)


class HessianFunction(_OfGradient, JacobianFunction):
    """`hessian(f, wrt)`: the Jacobian of f's gradient by forward mode (jacfwd of the
    gradient: forward over reverse), shape x.shape + x.shape.  Where forward mode
    cannot follow f (a function without a tangent rule, a keyword-only
    parameter), the Jacobian of the gradient by reverse mode (jacrev: reverse
    over reverse)."""

    prefix = 'hessian_'
    dict_refusal = None     # (a container is taken: JAX's nested blocks)

    def _compile(self, specialisation=GENERAL):
        gradient = self.target
        self._guards = gradient.target.graph.guards
        compiled = gradient._compile(specialisation)
        why = 'f has a keyword-only parameter'
        if all(p.kind is p.POSITIONAL_OR_KEYWORD for p in gradient.signature.parameters.values()):
            try:
                return transform_jacfwd(compiled.graph, self.indices, self.__name__,
                                        specialisation, hessian=True)
            except NoTangentRule as exc:
                why = str(exc).split(': it lies')[0]
        params = compiled.graph.params
        x = params[self.indices].value
        bound = specialisation.bound([p.value for p in params])
        if _container_leaves(x, bound) is not None or _float_keys(x, bound) is not None:
            # (jacrev of the gradient, a container, is not taken)
            fn = gradient.target
            raise TypeError(f'hessian: argument {params[self.indices].name!r} of '
                            f'{fn.__name__} ({defined_at(fn.python_function)}) is a '
                            f'container or an object: its Hessian is forward over reverse '
                            f'only, not supported where forward mode cannot follow f ({why})')
        return super()._compile(specialisation)       # (jacrev of the gradient)


def hessian(fn, wrt=0):
    """The Hessian of fn (a scalar function) w.r.t. the parameter wrt, shape
    x.shape + x.shape: jacfwd of its gradient (forward over reverse: x.size
    forward-mode passes over the gradient's code, each about two gradients)."""
    return HessianFunction(fn, wrt)


class HvpFunction(_OfGradient, VjpFunction):
    """`hvp(f, wrt)(*args, v)`: H v, the tangent of f's gradient along v (forward over
    reverse: one forward-mode pass over the gradient's code).  Where f calls a
    function without a tangent rule, the vjp of the gradient with cotangent v
    (reverse over reverse; H is symmetric).  v is positional where f's parameters
    are all positional without defaults, else keyword-only."""

    seed_name = 'v'
    what = 'Hessian-vector product'
    prefix = 'hvp_'

    def _compile(self, specialisation=GENERAL):
        gradient = self.target
        self._guards = gradient.target.graph.guards
        count = len(gradient.signature.parameters)     # (the seed's position follows)
        compiled = gradient._compile(_of_arguments(specialisation, count))
        kind = 'positional' if self.seed.kind is self.seed.POSITIONAL_OR_KEYWORD \
            else 'keyword_only'
        try:
            return transform_hvp(compiled.graph, self.indices, (self.seed.name, kind),
                                 self.__name__, gradient.target.__name__, specialisation,
                                 compiled.sizes_used)
        except NoTangentRule:
            return super()._compile(specialisation)     # (the vjp of the gradient)

    def _seed(self, signature):
        seed = super()._seed(signature)
        if all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
               for p in signature.parameters.values()):
            seed = seed.replace(kind=seed.POSITIONAL_OR_KEYWORD)
        return seed

    def _call(self, args, kwargs):
        args, kwargs = self._seed_by_name(args, kwargs)
        bound = bind_arguments(self.signature, self.__name__, defined_at(
            self.target.target.python_function), args, kwargs)
        x = list(self.signature.parameters)[self.indices]
        if x in bound.arguments and self.seed.name in bound.arguments:
            _check_seed(bound.arguments[self.seed.name], bound.arguments[x],
                         f'{self.__name__}(..., {self.seed.name})', f'argument {x!r}')
        return super()._call(args, kwargs)

    def source_for(self, *args, **kwargs):
        args, kwargs = self._seed_by_name(args, kwargs)
        return super().source_for(*args, **kwargs)

    def _seed_by_name(self, args, kwargs):
        """`hvp(f)(*args, v)`: v, the last positional argument, passed by name where
        the generated code takes it keyword-only."""
        if self.seed.kind is self.seed.KEYWORD_ONLY and args and self.seed.name not in kwargs:
            return args[:-1], dict(kwargs, **{self.seed.name: args[-1]})
        return args, kwargs


def _of_arguments(specialisation, count):
    """A specialisation of a call keyed by argument position, without what it says of
    the arguments from position `count` on (the seed of an hvp)."""
    def kept(key):
        return (key.root if isinstance(key, Leaf) else key) < count
    if specialisation.shapes is None:
        return specialisation
    return Specialisation(specialisation.floats,
                          {k: v for k, v in specialisation.shapes.items() if kept(k)},
                          None if specialisation.samples is None else
                          {k: v for k, v in specialisation.samples.items() if kept(k)})


def hvp(fn, wrt=0):
    """`hvp(fn, wrt)(*args, v)`: the Hessian of fn w.r.t. wrt times v, as the tangent
    of fn's gradient along v (forward over reverse: one forward-mode pass over the
    gradient's code, about the cost of two gradients)."""
    return HvpFunction(fn, wrt)


__all__ = ['hessian', 'hvp', 'HessianFunction', 'HvpFunction']
