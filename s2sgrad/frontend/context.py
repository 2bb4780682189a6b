"""State one whole transformation shares among the lowerings of its functions
(the inlining stack, run-time lists, alias records, guards), and what a name can
be bound to besides an IR operand (`DELETED`)."""
from ..analyses.aliases import Memory
from ..ir.nodes import Const
from .guards import Guards


class Context:
    """State shared by one whole transformation: the inlining stack."""

    __slots__ = ('inlining', 'loop_ids', 'tape_copies', 'lists', 'unrolled_calls',
                 'list_items', 'namespaces', 'memory', 'guards', 'parameters',
                 'whole', 'value_methods', 'writes_containers', 'classes', 'shared_objects',
                 'versions', 'written', 'lowerings', 'loop_objects',
                 'one_object', 'container_leaves')

    def __init__(self):
        self.inlining = []
        self.loop_ids = []          # numbers the flags of each loop
        self.tape_copies = {}       # a value popped from a loop's tape -> the value saved
        self.lists = set()          # values that are run-time Python lists
        self.unrolled_calls = 0     # recursive calls inlined so far (see check_recursion)
        # a run-time list -> (its first items, known; whether they are all of it)
        self.list_items = {}
        self.namespaces = []        # the globals of every user function lowered
        self.memory = Memory(self.lists)    # which values may share memory (analyses/aliases.py)
        self.guards = Guards()      # what lowering read from outside the function
        self.parameters = frozenset()   # the values of the function's parameters
        # reads of a container argument's leaves by constant steps that the call's
        # specialisation describes (jacrev's `p[0][1]`: a list's item, never an array's)
        self.container_leaves = frozenset()
        # values that are a whole dict of their own (an argument, a copy made here, a
        # version of one) -> the Python objects it may be: a write into one is a new
        # version of it (frontend/versions.py)
        self.whole = {}
        self.value_methods = set()      # array methods called on run-time values (Graph)
        self.writes_containers = False  # a write into a dict or list passed in (Graph)
        # a value -> the class tree of the object it is (s2sgrad/classes.py); None:
        # the classes of the objects passed in are not known (no call's arguments)
        self.classes = None
        self.shared_objects = False     # one object is reachable twice from the arguments
        # objects whose attributes may be assigned (frontend/objects.py): those passed
        # in, and loop variables and if results holding only such (or their versions)
        self.versions = set()
        self.written = []               # objects an attribute assignment made a version of
        # a loop variable holding an object -> the value it starts from: the same
        # Python object, which names outside the loop (a caller's) still show
        self.loop_objects = {}
        self.one_object = {}    # a loop's output -> another output of it, the same object
        # every function lowering of this transformation (the caller's, the inlined
        # helpers', the closures'): an attribute assignment rebinds the object in each
        self.lowerings = []

    @classmethod
    def continuing(cls, graph):
        """The context of a transformation of `graph`'s copy (a gradient, a jvp): what
        lowering it read and learnt carries over."""
        ctx = cls()
        ctx.namespaces = list(graph.namespaces)
        ctx.guards.extend(graph.guards)
        ctx.value_methods = set(graph.value_methods)
        ctx.writes_containers = graph.writes_containers
        return ctx          # (its tape copies: renamed as the copy is made, clone.inline_graph)

    def record_in(self, graph):
        """Hand what this transformation read and learnt to the graph it made."""
        graph.namespaces = self.namespaces
        graph.guards = self.guards
        graph.tape_copies = self.tape_copies
        graph.lists = self.lists
        graph.value_methods = frozenset(self.value_methods)
        graph.writes_containers = self.writes_containers
        return graph

    def add_namespace(self, namespace):
        if all(ns is not namespace for ns in self.namespaces):
            self.namespaces.append(namespace)


class _Deleted:
    def __repr__(self):
        return '<deleted>'


DELETED = Const(_Deleted())       # the value of a name after `del name`


def hint_of(name):
    """The value name of a variable (a caller's, held under a hidden name: `.x`)."""
    return name.lstrip('.')


def item_hint(name, keys, k):
    if keys is not None and isinstance(keys[k], str) and keys[k].isidentifier():
        return f'{name}_{keys[k]}'
    return f'{name}_{k}'
