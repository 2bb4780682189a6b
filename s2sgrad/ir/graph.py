"""A whole function in static-graph form: its parameters, its body (ir/nodes.py),
its result, and what the transformation learnt about the code it came from.
`str(graph)` is its text form (ir/printer.py), what `fn.graph` shows."""
from .printer import format_graph


class Param:
    __slots__ = ('name', 'value', 'default', 'kind')

    def __init__(self, name, value, default=None, kind='positional'):
        self.name = name
        self.value = value
        self.default = default      # a Const, or None when there is no default
        self.kind = kind


class Graph:
    """A whole function in static-graph form.  Its fields are all declared: what a
    pass finds about it is a result of that pass (compiler.py), not an attribute."""

    __slots__ = ('name', 'params', 'body', 'result', 'origin', 'docstring', 'return_origin',
                 'namespaces', 'guards', 'tape_copies', 'lists', 'value_methods',
                 'writes_containers')

    def __init__(self, name, params, body, result, origin, docstring=None):
        self.name = name
        self.params = params
        self.body = body
        self.result = result        # an operand, or None when the result comes from a returning If
        self.origin = origin
        self.docstring = docstring
        self.return_origin = None   # the top-level return statement, if any
        self.namespaces = []        # globals of every user function lowered into it
        self.guards = None          # frontend.guards.Guards: what lowering read from outside
        self.tape_copies = {}       # values popped in reverse loops -> the values saved
        self.lists = set()          # values that are run-time Python lists
        # the names of array (or dict) methods called on run-time values: one of an
        # object passed in with a method of that name is not one (api: its classes)
        self.value_methods = frozenset()
        self.writes_containers = False      # into a dict or list passed in (a new version)

    def __str__(self):
        return format_graph(self)
