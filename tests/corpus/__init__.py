"""A corpus of user-style programs for s2sgrad: control flow, mutation,
containers, calls and forward-only statements (issue 4).

Every theme module (``physics``, ``recurrent``, ...) defines ``CASES``, a list
of :class:`Case`.  The functions reach NumPy only through their module's
global ``np`` (never ``from numpy import ...``, never an ``np`` function as a
default argument), so the same source runs under autograd by binding
``autograd.numpy`` to ``np`` in every module of the package
(``tests/test_corpus.py`` does that).  ``shared`` holds helpers called from
the other modules.

Feature tags (the fixed vocabulary :data:`TAGS`) say what a program
exercises, counting the helpers of this package it calls:

* branches: ``if`` (an ``if`` statement on a value computed at run time),
  ``ifexp`` (``a if c else b``), ``boolop`` (``and``/``or``/``not`` and
  chained comparisons on run-time values), ``return_in_if``;
* loops: ``for_range``, ``for_array`` (over the rows of an array),
  ``for_list`` (over a list, tuple or dict view), ``enumerate``, ``zip``,
  ``reversed``, ``while``, ``nested_loop``, ``break``, ``continue``,
  ``return_in_loop``;
* mutation: ``setitem`` (``x[i] = v``, ``x[i:j] = v``), ``augsetitem``
  (``x[i] += v``, ``x[:, k] *= v``), ``mask_setitem`` (``x[mask] = v``),
  ``augassign`` (``+=`` and friends on a local name);
* containers: ``list``, ``append``, ``tuple``, ``starred``, ``dict`` (dicts
  made, iterated or passed at run time; reading a module-level dict is
  ``constant``), ``comprehension``, ``genexp``;
* calls: ``helper`` (a module-level function of the same module),
  ``other_module`` (a function of another module of this package),
  ``nested_def``, ``closure``, ``lambda``, ``higher_order`` (a function passed
  as an argument or picked from a container), ``kwargs`` (keyword arguments
  and defaults), ``varargs`` (``*args``/``**kwargs`` parameters and
  ``*``/``**`` in calls), ``decorator`` (``functools.wraps`` decorators),
  ``math`` (the ``math`` module on scalars), ``methods`` (NumPy array methods);
* statements kept in the forward pass: ``print``, ``assert``, ``raise`` (in a
  branch not taken), ``docstring``, ``constant`` (module-level constants and
  config dicts).
"""
import dataclasses
import importlib
from typing import Callable

__all__ = ["Case", "TAGS", "MODULES", "load_cases"]

TAGS = frozenset({
    'if', 'ifexp', 'boolop', 'for_range', 'for_array', 'for_list',
    'enumerate', 'zip', 'reversed', 'while', 'nested_loop', 'break',
    'continue', 'return_in_loop', 'return_in_if', 'setitem', 'augsetitem',
    'mask_setitem', 'augassign', 'list', 'append', 'tuple', 'starred', 'dict',
    'comprehension', 'genexp', 'helper', 'other_module', 'nested_def',
    'closure', 'lambda', 'higher_order', 'kwargs', 'varargs', 'decorator',
    'math', 'methods', 'print', 'assert', 'raise', 'docstring', 'constant',
})

# The theme modules, in the order their cases are listed.
MODULES = ("physics", "recurrent", "integrators", "newton", "attention",
           "piecewise", "buffers", "layers", "configs", "containers",
           "calls", "statements")


@dataclasses.dataclass(frozen=True)
class Case:
    """One program of the corpus and how to check it.

    ``make_args(rng)`` returns the positional arguments (a tuple) from a
    ``numpy.random.Generator``; ``wrt`` is what ``sg.grad`` differentiates
    (an int, a name or a tuple of them, never a container argument);
    ``autograd_ok`` says whether autograd can run the same source (false when
    the program mutates arrays in place or calls ``math`` on a traced value);
    ``order`` is the highest derivative order checked (1 or 2); ``float32``
    asks for a second check with the float arguments cast to float32.
    """
    fn: Callable
    make_args: Callable
    wrt: object = 0
    tags: frozenset = frozenset()
    autograd_ok: bool = True
    order: int = 1
    float32: bool = False

    def __post_init__(self):
        object.__setattr__(self, "tags", frozenset(self.tags))
        unknown = self.tags - TAGS
        if unknown:
            raise ValueError(f"{self.fn.__name__}: unknown tags {sorted(unknown)}")
        if self.order not in (1, 2):
            raise ValueError(f"{self.fn.__name__}: order must be 1 or 2")


def load_cases(package=__name__):
    """``[(module_name, case), ...]`` for every case of every theme module of
    ``package`` (this package, or a copy of it loaded under another name)."""
    found = []
    for name in MODULES:
        module = importlib.import_module(f"{package}.{name}")
        found.extend((name, case) for case in module.CASES)
    return found
