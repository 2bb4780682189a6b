"""`sg.grad(obj.method)`: the gradient of a bound method, as that of its function
with the object passed as the first argument (docs/programs.md, "Objects")."""
import inspect


class BoundGradient:
    """The gradient of bound method `obj.method`.  `wrt` counts the explicit
    arguments from 0 (the default: the first of them); `wrt='self'` (or the first
    parameter's own name) is the object.  Every other attribute (`source`,
    `export`, ...) is the gradient's of the method's function, which takes the
    object first."""

    def __init__(self, make, method, wrt):
        self.__self__ = method.__self__
        self.gradient = make(method.__func__, _shifted(wrt, method.__func__))
        self.__name__ = self.__qualname__ = self.gradient.__name__

    def __call__(self, *args, **kwargs):
        return self.gradient(self.__self__, *args, **kwargs)

    def source_for(self, *args, **kwargs):
        return self.gradient.source_for(self.__self__, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.gradient, name)


def is_bound_method(fn):
    """A method bound to an instance (not a class method, whose gradient w.r.t. a
    class means nothing)."""
    return inspect.ismethod(fn) and not isinstance(fn.__self__, type)


def _shifted(wrt, function):
    """`wrt` of the bound method as `wrt` of its function (the object is parameter 0)."""
    if isinstance(wrt, tuple):
        return tuple(_shifted(item, function) for item in wrt)
    if isinstance(wrt, str) and wrt == 'self':
        return 0
    if isinstance(wrt, int) and not isinstance(wrt, bool) and wrt >= 0:
        explicit = len(inspect.signature(function).parameters) - 1
        if wrt >= explicit:
            raise ValueError(f'wrt={wrt} is out of range: the bound method '
                             f'{function.__name__} has {explicit} explicit parameters '
                             f'(wrt=\'self\' is the object)')
        return wrt + 1
    return wrt          # a parameter's name, a negative index, or an error said later
