"""The usual transforms built on reverse mode: `vjp` and `jacrev` (= `jacobian`).

Each is a gradient function (api.GradFunction: its specialisations per call,
`.source`, `source_for(*args)`, `.export(path)`) whose adjoint is not the
plain gradient (compiler.transform_grad's `adjoint`):

* vjp: the output's cotangent is a keyword-only parameter `cotangent`, the
  seed of the adjoint (`grad_ys`);
* jacrev: the forward computed once, then one adjoint per element of the
  output, seeded with that element's one-hot cotangent, in a loop of the
  generated code (`_jacobian_rows`, lowered into the graph like user code):
  the adjoint reads the forward's values, so only the adjoint is repeated.
  An (m,) output costs one forward and m adjoint passes, whatever wrt holds
  (each pass gives a row of every argument's Jacobian; the float leaves of a
  container or object argument are arguments of their own, its Jacobian in
  its structure).

(`hessian` and `hvp`, transforms of a gradient, are second_order.py's.)
"""
import inspect
import types

import numpy as np

from .ad import site
from .ad.interface import gradients
from .analyses.leaves import DEPTH, FIELD, ITEM, MOST_ITEMS, Container, Leaf, parts
from .api import GradFunction, _takes_extras, annotate, entry
from .arguments import defined_at
from .bound import is_bound_method
from .compiler import transform_grad
from .errors import TransformError
from .frontend.lowering import FunctionLowering
from .frontend.source import capture
from .frontend.inlining import LocalFunction
from .ir import clone, prims
from .ir.nodes import Block, Const, If, Loop, Pack, map_operand, walk
from .runtime import containers, gradients_of
from .runtime.objects import _sg_is_object
from .specialisation import GENERAL


def _jacobian_rows(y, xs, again, forward, args):
    """The Jacobians of y w.r.t. each of the xs, shapes y.shape + x.shape: row k is
    the gradient of y's k-th element (the adjoint seeded with that one-hot
    cotangent), of every x at once.  `again`: y computed again for each seed
    (`forward(*args)`, f inlined), for an adjoint that empties what the forward
    saved (a loop with a branch: the branch's tapes are popped).  A template:
    lowered into the transformed graph (the comprehensions over xs unrolled), so
    the loop is generated code."""
    n = np.size(y)
    seeds = np.reshape(np.eye(n, dtype=np.result_type(y)), (n,) + np.shape(y))
    if len(xs) == 1:
        jacobian = np.zeros((n,) + np.shape(xs[0]), dtype=np.result_type(xs[0]))
        for k in range(n):
            jacobian[k] = gradients(forward(*args) if again else y, xs[0], grad_ys=seeds[k],
                                    unconnected_gradients='zero')[0]
        return [np.reshape(jacobian, np.shape(y) + np.shape(xs[0]))]
    sizes = [np.size(x) for x in xs]
    starts = np.cumsum([0] + sizes)
    jacobian = np.zeros((n, starts[-1]), dtype=np.result_type(*xs))
    for k in range(n):
        rows = gradients(forward(*args) if again else y, xs, grad_ys=seeds[k],
                         unconnected_gradients='zero')
        jacobian[k] = np.concatenate([np.ravel(row) for row in rows])
    return [np.reshape(jacobian[:, starts[i]:starts[i + 1]], np.shape(y) + np.shape(xs[i]))
            for i in range(len(xs))]


class _Adjoint:
    """What compiler.transform_grad differentiates in place of the gradient."""

    what = 'Gradient'   # the docstring's first word

    def params(self, params):
        """(name, kind) of each parameter the generated function takes after `params`,
        the target's."""
        return ()

    def differentiate(self, lowering, ys, xs, extra, differentiate, target, specialisation):
        """The gradients' operands, one per x, appended to `lowering.builder`;
        `differentiate` is reverse.differentiate with the gradient's settings."""
        raise NotImplementedError


class _Cotangent(_Adjoint):
    """vjp, hvp: the adjoint seeded with a parameter of the generated function (an
    `inspect.Parameter`: VjpFunction.seed)."""

    def __init__(self, seed, what):
        self.seed, self.what = seed, what

    def params(self, params):
        kind = 'positional' if self.seed.kind is self.seed.POSITIONAL_OR_KEYWORD \
            else 'keyword_only'
        return ((self.seed.name, kind),)

    def differentiate(self, lowering, ys, xs, extra, differentiate, target, specialisation):
        return differentiate(lowering, ys, xs, grad_ys=extra,
                             name=f'{self.what.lower()} of {target.name}')


class _OneHotSeeds(_Adjoint):
    """jacrev: `_jacobian_rows` of the xs, after the forward code.  A container or
    object argument (in a call's specialisation, which knows its structure) is
    differentiated leaf by leaf: its Jacobian is a dict of them for a flat dict,
    else `_sg_jacobian_like` of them (None for its integer leaves either way)."""

    what = 'Jacobian'

    def differentiate(self, lowering, ys, xs, extra, differentiate, target, specialisation):
        if len(ys) != 1 or isinstance(ys[0], Pack) or isinstance(target.result, Pack):
            raise TransformError(f'jacrev: {target.name} returns a container: a Jacobian of '
                                 f'an array or float output only, for now',
                                 target.return_origin or target.origin)
        leaves, keys_of, trees = [], [], []
        for x in xs:
            keys = _float_keys(x, specialisation)
            tree = _container_leaves(x, specialisation)
            keys_of.append(keys)
            trees.append(tree)
            if tree is not None:
                # a container or object (its structure the specialisation's): its float
                # leaves are arguments of their own, read along their paths
                reads = _read_leaves(lowering.builder, x, tree, target.origin)
                leaves.extend(reads)
                lowering.ctx.parameters = lowering.ctx.parameters | {x}
                lowering.ctx.container_leaves = lowering.ctx.container_leaves | set(reads)
                continue
            if keys is None:
                leaves.append(x)
                continue
            leaves.extend(lowering.builder.emit(
                prims.GETITEM, [x, Const(key)], {}, target.origin,
                f'{x.hint}_{key}' if key.isidentifier() else f'{x.hint}_item',
                style=('subscript',)) for key, is_float in keys.items() if is_float)
            # (a read of a parameter: its gradient is the parameter's at the key, site.py)
            lowering.ctx.parameters = lowering.ctx.parameters | {x}
        again = forward_again(lowering)
        jacobians = iter(FunctionLowering(
            lowering.ctx, lowering.builder, capture(_jacobian_rows),
            {'y': ys[0], 'xs': Pack('tuple', leaves), 'again': Const(again),
             'forward': Const(InlinedGraph(target)),
             'args': Pack('tuple', list(specialisation.params))},
            gradients_site=site.gradients_site).lower_body().items)
        return [_jacobian_like(lowering.builder, x, tree, [next(jacobians) for _, is_float
                                                           in tree if is_float],
                               target.origin) if tree is not None else
                next(jacobians) if keys is None else
                Pack('dict', [next(jacobians) if keys[key] else Const(None) for key in keys],
                     list(keys))
                for x, keys, tree in zip(xs, keys_of, trees)]


def forward_again(lowering):
    """Must a seed loop compute the forward again for each seed?  Where the adjoint
    empties what the forward saved: a loop with a branch (the branch's tapes are
    popped)."""
    return any(isinstance(op, If) or getattr(op, 'prim', None) is prims.TAPE_POP
               for loop in walk(lowering.builder.stack[0]) if isinstance(loop, Loop)
               for op in walk(loop.body))


class InlinedGraph(LocalFunction):
    """A graph called from a template (`jacfwd`'s forward mode, jacrev's forward
    computed again): copied in where it is called, its parameters bound to the
    arguments.  A dict literal passed in is read from directly (`dp['W']` is the
    item, not a dict's item)."""

    def __init__(self, graph):
        self.graph = graph
        self.__name__ = graph.name

    def call(self, caller, args, kwargs, node):
        block = caller.builder.block
        start = len(block.ops)
        result = clone.inline_graph(self.graph, args, caller.builder, caller.origin(node),
                                    lists=caller.ctx.lists, tape_copies=caller.ctx.tape_copies)
        copied = Block(block.ops[start:])
        items = {}
        for op in walk(copied):
            packed = op.args[0] if getattr(op, 'prim', None) is prims.GETITEM else None
            if isinstance(packed, Pack) and packed.kind == 'dict' and \
                    isinstance(op.args[1], Const) and op.args[1].value in packed.keys:
                items[op.outputs[0]] = packed.items[packed.keys.index(op.args[1].value)]
        for op in walk(copied):     # (the reads left are dead code: passes.simplify)
            op.replace_inputs(lambda v: items.get(v, v))
        return map_operand(result, lambda v: items.get(v, v))


def _container_leaves(x, specialisation):
    """[(path, is a float leaf)] of a container or object argument x other than a flat
    dict (`_float_keys`) that the specialisation describes, depth first in its order
    (a path's steps are (ITEM, key or index) or (FIELD, name), analyses/leaves.py);
    None for another x.  A part the specialisation does not describe (too deep,
    too long: JacobianFunction._check_arguments refuses it first) is a
    TransformError."""
    shapes, samples = specialisation.shapes or {}, specialisation.samples or {}
    described = shapes.get(Leaf(x, ()))
    if not isinstance(described, Container) or _float_keys(x, specialisation) is not None:
        return None
    found = []

    def visit(path, fact):
        if isinstance(fact, Container):
            if fact.kind is dict:
                steps = [(ITEM, key) for key in fact.labels]
            elif issubclass(fact.kind, (list, tuple)):
                steps = [(ITEM, i) for i in range(fact.length)]
            else:
                steps = [(FIELD, name) for name in fact.labels]
            for step in steps:
                visit(path + (step,), shapes.get(Leaf(x, path + (step,)),
                                                 samples.get(Leaf(x, path + (step,)))))
            return
        sample = samples.get(Leaf(x, path))
        if sample is None:
            if fact is None and path:
                found.append((path, False))     # (None, a string: no sample, constant)
                return
            raise TransformError(f'the part {_spelled(x, path)} of argument {x.hint} is '
                                 f'not described (too deep or too long): a Jacobian with '
                                 f'respect to it is not supported', None)
        found.append((path, np.issubdtype(np.result_type(sample), np.inexact)))

    visit((), described)
    return found


def _spelled(x, path):
    return x.hint + ''.join(f'.{key}' if step == FIELD else f'[{key!r}]' for step, key in path)


def _read_leaves(builder, x, leaves, origin):
    """The reads of x's float leaves along their paths (a prefix read once), named
    after them."""
    reads, out = {(): x}, []
    for path, is_float in leaves:
        if not is_float:
            continue
        for depth in range(1, len(path) + 1):
            if path[:depth] in reads:
                continue
            step, key = path[depth - 1]
            base = reads[path[:depth - 1]]
            name = f'{x.hint}_' + '_'.join(str(k) for _, k in path[:depth])
            name = name if name.isidentifier() else f'{x.hint}_item'
            reads[path[:depth]] = builder.emit(
                prims.GETITEM, [base, Const(key)], {}, origin, name, style=('subscript',)) \
                if step == ITEM else builder.emit(containers._sg_field, [base, Const(key)],
                                                  {}, origin, name)
        out.append(reads[path])
    return out


def _jacobian_like(builder, x, leaves, jacobians, origin):
    """The Jacobian w.r.t. container argument x: `_sg_jacobian_like`, its float leaves'
    Jacobians in x's structure."""
    paths = tuple(tuple((step == FIELD, key) for step, key in path)
                  for path, is_float in leaves if is_float)
    return builder.emit(gradients_of._sg_jacobian_like,
                        [x, Const(paths), Pack('tuple', list(jacobians))], {}, origin,
                        f'd_{x.hint}')


def _float_keys(x, specialisation):
    """{key: is a float leaf} of a dict argument x of numbers and arrays that the
    specialisation describes; None for another x."""
    described = (specialisation.shapes or {}).get(Leaf(x, ()))
    if not (isinstance(described, Container) and described.kind is dict):
        return None
    samples = specialisation.samples or {}
    items = [samples.get(Leaf(x, ((ITEM, key),))) for key in described.labels]
    if any(item is None or isinstance(item, Container) for item in items):
        return None     # (nested, or a leaf without a sample: `_container_leaves`)
    return {key: np.issubdtype(np.result_type(item), np.inexact)
            for key, item in zip(described.labels, items)}


class _Transformed(GradFunction):
    """A gradient function with another adjoint.  It runs the code made for its
    arguments' shapes (or the general code): no float code, whose results would
    be floats where these are arrays."""

    adjoint = _Adjoint()
    prefix = 'grad_'

    def __init__(self, target, wrt):
        if _takes_extras(target) or is_bound_method(target):
            raise TypeError(f's2sgrad.{self.prefix.rstrip("_")}: a function with *args or '
                            f'**kwargs, or a bound method, is not supported yet; wrap it in '
                            f'a function of named parameters')
        super().__init__(target, wrt, with_value=False)
        self.__name__ = self.__qualname__ = self.prefix + self.__name__[len('grad_'):]

    def _compile(self, specialisation=GENERAL):
        target = self.target.graph
        self._guards = target.guards
        return transform_grad(target, self.indices, False, self.__name__, specialisation,
                              sums_outputs=isinstance(self.target, GradFunction),
                              adjoint=self.adjoint)

    def _with_classes(self, key):
        return type(self)(self.target.for_classes(key), self.indices)

    def _make_entry(self):
        self._entry, self._entry_version = entry.general(self._call), None

    @property
    def compiled_for_floats(self):
        return self.compiled

    def _call_checked(self, args, kwargs):
        return self._call_compiled(self._compiled_for_call(args, kwargs), args, kwargs)

    def _call_compiled(self, compiled, args, kwargs):
        try:
            return compiled.function(*args, **kwargs)
        except Exception as exc:
            annotate(exc, compiled)
            raise

    def __repr__(self):
        return f'<s2sgrad.{type(self).__name__} {self.__name__}>'


class JacobianFunction(_Transformed):
    """`jacrev(f, wrt)`: the Jacobian, shape out.shape + x.shape (a tuple of them
    for a tuple wrt)."""

    adjoint = _OneHotSeeds()
    prefix = 'jacrev_'
    dict_refusal = None     # (a container is taken: the Jacobians in its structure)

    def _call(self, args, kwargs):
        return super()._call(*_by_position(self.signature, args, kwargs))

    def source_for(self, *args, **kwargs):
        args, kwargs = _by_position(self.signature, args, kwargs)
        return super().source_for(*args, **kwargs)

    def _check_arguments(self, args, kwargs=None):
        """Each differentiated argument is an array or a float, or a container or object
        of them (and of integers) passed by position (the code made for its
        structure: a call's arguments passed by name are passed by position,
        `_by_position`)."""
        super()._check_arguments(args, kwargs)
        bound = self.signature.bind(*args, **(kwargs or {}))
        names = list(self.signature.parameters)
        for i in self.indices if isinstance(self.indices, tuple) else (self.indices,):
            arg = bound.arguments.get(names[i])
            if arg is None or isinstance(arg, (float, np.inexact, np.ndarray)):
                continue
            described = _described(arg)
            if described and self.dict_refusal is None and names[i] not in (kwargs or {}):
                continue
            fn = self.target
            while isinstance(fn, GradFunction):
                fn = fn.target
            raise TypeError(
                f'{self.prefix.rstrip("_")}: argument {names[i]!r} of {fn.__name__} '
                f'({defined_at(fn.python_function)}) is a {type(arg).__name__}' +
                (self.dict_refusal if self.dict_refusal is not None else
                 ': a Jacobian w.r.t. a container needs it passed by position (here a '
                 'keyword-only argument)' if described
                 else f': a Jacobian with respect to a container or an object nested deeper '
                      f'than {DEPTH} levels, or a dict or object of more than {MOST_ITEMS} '
                      f'items, is not supported yet; pass its arrays as arguments of their '
                      f'own'))


def _described(value, depth=0):
    """Does a call's specialisation describe every container and object in `value` (a
    container or object itself), down to its leaves (analyses/leaves.py: `parts`,
    at most DEPTH levels deep)?"""
    described = parts(value) if depth <= DEPTH else None
    if described is None:
        return False
    return all(_described(item, depth + 1) for item in described[1]
               if parts(item) is not None or isinstance(item, (list, tuple, dict)) or
               _sg_is_object(item))


def _by_position(signature, args, kwargs):
    """(args, kwargs) of a call with the arguments of f's positional parameters passed by
    position (defaults filled in): the specialisation of a call describes the
    containers passed by position."""
    if not kwargs:
        return args, kwargs
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return args, kwargs         # (reported where the call is checked)
    bound.apply_defaults()
    return bound.args, bound.kwargs


class VjpFunction(_Transformed):
    """The generated code behind `vjp(f, *primals)`: `vjp_f(*primals, cotangent=u)`
    returns the tuple of u^T J, one per primal.  Its signature is f's and the
    seed's parameter (`seed`)."""

    seed_name = 'cotangent'
    what = 'Vector-Jacobian product'
    prefix = 'vjp_'

    def __init__(self, target, wrt):
        super().__init__(target, wrt)
        self.seed = self._seed(self.signature)
        self.adjoint = _Cotangent(self.seed, self.what)
        self.signature = self.__signature__ = self.signature.replace(
            parameters=list(self.signature.parameters.values()) + [self.seed])

    def _seed(self, signature):
        """The seed's parameter: keyword-only, named `seed_name` (with `_` added where
        f has a parameter of that name)."""
        name = self.seed_name
        while name in signature.parameters:
            name += '_'
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY)


class Vjp:
    """`vjp_fn` of `out, vjp_fn = sg.vjp(f, *primals)`: `vjp_fn(u)` is the tuple of
    the u^T J of each primal (one forward and one reverse pass per call).  Its
    code is `.function` (a VjpFunction): `.source`, `source_for()`, `export()`."""

    def __init__(self, function, primals, out):
        self.function = function
        self.primals = primals
        self.out = out
        self.__name__ = function.__name__

    def __call__(self, cotangent):
        _check_seed(cotangent, self.out, 'vjp_fn(cotangent)', 'the output of '
                     f'{self.function.target.__name__}')
        found = self.function(*self.primals, **{self.function.seed.name: cotangent})
        varied = dict(zip(self.function.indices, found))
        return tuple(varied.get(i) for i in range(len(self.primals)))

    @property
    def source(self):
        return self.function.source

    def source_for(self, cotangent):
        return self.function.source_for(*self.primals, **{self.function.seed.name: cotangent})

    def export(self, path):
        return self.function.export(path)

    def __repr__(self):
        return f'<s2sgrad.Vjp {self.__name__}>'


def vjp(fn, *primals):
    """`out, vjp_fn = vjp(fn, *primals)`, as JAX: out is fn(*primals), and
    vjp_fn(u) the tuple (u^T dout/dprimal_i for each primal): None for a primal
    that is not differentiable (an integer, bool or string, an integer array,
    None, a function), which the generated code takes as a constant."""
    if not primals:
        raise TypeError('s2sgrad.vjp needs at least one primal argument')
    varied = tuple(i for i, p in enumerate(primals) if not _constant(p))
    if not varied:
        raise TypeError(f'vjp: no primal of {getattr(fn, "__name__", fn)!s} is a float, an '
                        f'array of floats or a container of them: nothing to differentiate')
    function = VjpFunction(fn, varied)
    out = function.target(*primals)
    if not isinstance(out, (float, np.number, np.ndarray)):
        target = function.target.python_function
        raise TypeError(f'vjp: {target.__name__} ({defined_at(target)}) returned a '
                        f'{type(out).__name__}: a vjp of an array or float output only, for now')
    return out, Vjp(function, primals, out)


def _constant(primal):
    """Is a primal one that vjp does not differentiate (its cotangent is None)?"""
    if isinstance(primal, np.ndarray):
        return not np.issubdtype(primal.dtype, np.inexact)
    return primal is None or isinstance(primal, (bool, int, np.integer, np.bool_, str, bytes,
                                                 types.FunctionType, types.BuiltinFunctionType,
                                                 np.ufunc))


def _check_seed(seed, like, what, of):
    """A seed (a cotangent, hvp's v) has the shape of what it stands beside (an array or
    float; containers are matched leaf by leaf by the code): a ValueError, not a
    broadcast that would compute another product.  An object (a dataclass) as a
    seed is refused: the code reads a seed's leaves by key or index."""
    if _sg_is_object(seed):
        raise TypeError(f'{what}: a seed that is an object ({type(seed).__name__}) is not '
                        f'supported yet; pass a dict, list, tuple or NamedTuple, or arrays')
    leaf = (float, int, np.number, np.ndarray)
    if isinstance(like, leaf) and isinstance(seed, leaf) and np.shape(seed) != np.shape(like):
        raise ValueError(f'{what}: got shape {np.shape(seed)}, but {of} has shape '
                         f'{np.shape(like)}: they must be equal')


def jacrev(fn, wrt=0):
    """The Jacobian of fn w.r.t. the parameters in wrt, by reverse mode: shape
    out.shape + x.shape; a tuple of them for a tuple wrt."""
    return JacobianFunction(fn, wrt)


jacobian = jacrev


__all__ = ['vjp', 'jacrev', 'jacobian', 'JacobianFunction', 'VjpFunction', 'Vjp']
