"""The corpus of real programs (tests/corpus/): control flow, mutation,
containers, calls and forward-only statements, differentiated by s2sgrad.

For every case, ``test_program``: the forward value of ``sg.graph(fn)``
equals ``fn``; ``check_grads`` against central differences in float64; where
autograd can run the same source, ``sg.grad`` agrees with autograd (rtol
1e-8).  ``test_program_second_order``: the order-2 cases, first and second
derivatives against central differences.  ``test_program_float32``: float32
arguments get float32 gradients equal to the float64 ones (rtol 1e-3).

Cases that use a feature s2sgrad does not handle yet (a tag in
``UNSUPPORTED``) are strict xfails, so each one turns into a failure the moment
the feature starts working and the tag must be taken out of the set.  Cases
that fail although all their features are supported are bugs: strict xfails
listed in ``BUGS`` (and ``SECOND_ORDER_BUGS``, ``FLOAT32_BUGS``) with a
one-line reason; fixing one makes its test XPASS, and the entry goes.

The tags of every case are checked against its source (and the source of the
corpus helpers it calls), so that a case cannot use a feature it does not
declare.
"""
import ast
import builtins
import collections
import importlib.util
import inspect
import math
import pathlib
import sys
import textwrap
import types

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

HERE = pathlib.Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"

# Every tag whose feature s2sgrad does not handle yet: a one-case probe of the
# feature fails and no case carrying the tag passes.  (A tag whose simple
# probe works but some of whose cases fail is supported; those cases are
# bugs below.)  Take a tag out when the feature lands: its cases then XPASS
# (strict), which fails the run until the set is updated.
UNSUPPORTED = set()

# Cases that fail although every tag they carry is supported: bugs, by case
# id, with a one-line reason.  BUGS mark every test of a case;
# SECOND_ORDER_BUGS and FLOAT32_BUGS only its second-order or float32 test.

BUGS = {
}
SECOND_ORDER_BUGS = {
}
FLOAT32_BUGS = {}


# ------------------------------------------------------------------ loading

def _load_package(name):
    """The corpus package imported under ``name`` (with its modules)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, CORPUS_DIR / "__init__.py",
        submodule_search_locations=[str(CORPUS_DIR)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


PACKAGE = "_s2sgrad_corpus"
corpus = _load_package(PACKAGE)
ALL = corpus.load_cases(PACKAGE)


def _case_ids(cases):
    seen = collections.Counter()
    ids = []
    for module, case in cases:
        base = f"{module}.{case.fn.__name__}"
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


IDS = _case_ids(ALL)
BY_ID = dict(zip(IDS, ALL))


def _autograd_twin():
    """The corpus package loaded a second time with ``autograd.numpy`` bound
    to ``np`` in every module: the same source, differentiable by autograd."""
    anp = pytest.importorskip("autograd.numpy")
    name = "_s2sgrad_corpus_autograd"
    if name not in sys.modules:
        _load_package(name)
        for module in corpus.MODULES:
            importlib.import_module(f"{name}.{module}")
        for key, module in list(sys.modules.items()):
            if (key == name or key.startswith(name + ".")) and \
                    getattr(module, "np", None) is np:
                module.np = anp
    return name


def _twin_function(module, case):
    twin = sys.modules[f"{_autograd_twin()}.{module}"]
    return getattr(twin, case.fn.__name__)


def _load_module(name, path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _autograd_grad(f, wrt=0):
    """autograd.grad with the calling convention of sg.grad (outputs summed,
    a Python float argument gets a float)."""
    reference = _load_module("_s2sgrad_tests_autograd_reference",
                             HERE / "autograd_reference.py")
    return reference.autograd_grad(f, wrt=wrt)


# ----------------------------------------------------------------- checking

def _args(case, seed=0):
    return case.make_args(np.random.default_rng(seed))


def _wrt_indices(case, args):
    items = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
    names = list(inspect.signature(case.fn).parameters)
    return [names.index(w) if isinstance(w, str) else w % len(args)
            for w in items]


def _as_tuple(case, grads):
    return grads if isinstance(case.wrt, tuple) else (grads,)


def _assert_same_output(actual, expected, what):
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and \
            len(actual) == len(expected), f"{what}: {actual!r} vs {expected!r}"
        for a, e in zip(actual, expected):
            _assert_same_output(a, e, what)
        return
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=1e-10, atol=1e-12, err_msg=what)


def _float32_args(args):
    def cast(a):
        if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating):
            return a.astype(np.float32)
        if isinstance(a, np.floating):
            return np.float32(a)
        return a
    return tuple(cast(a) for a in args)


def _marks(kind, case_id, case):
    needs = sorted(case.tags & UNSUPPORTED)
    if needs:
        return [pytest.mark.xfail(strict=True,
                                  reason="needs: " + ", ".join(needs))]
    extra = {"second": SECOND_ORDER_BUGS, "float32": FLOAT32_BUGS}.get(kind, {})
    for bugs in (BUGS, extra):
        if case_id in bugs:
            return [pytest.mark.xfail(strict=True, reason="bug: " + bugs[case_id])]
    return []


def _params(kind, keep=lambda case: True):
    return [pytest.param(case_id, marks=_marks(kind, case_id, case), id=case_id)
            for case_id, (_, case) in zip(IDS, ALL) if keep(case)]


@pytest.mark.parametrize("case_id", _params("first"))
def test_program(case_id):
    """Forward value, first derivatives against central differences and
    (where it runs the source) against autograd."""
    module, case = BY_ID[case_id]
    args = _args(case)

    # the forward pass of the static-graph form computes what Python does
    expected = case.fn(*args)
    _assert_same_output(sg.graph(case.fn)(*args), expected,
                        f"forward value of sg.graph({case.fn.__name__})")

    # gradients against central differences (float64)
    check_grads(case.fn, *args, wrt=case.wrt, order=1)

    # gradients against autograd running the same source
    if case.autograd_ok:
        ours = _as_tuple(case, sg.grad(case.fn, wrt=case.wrt)(*args))
        theirs = _as_tuple(case, _autograd_grad(_twin_function(module, case),
                                                wrt=case.wrt)(*args))
        for i, g, h in zip(_wrt_indices(case, args), ours, theirs):
            h = np.asarray(h, dtype=np.float64)
            np.testing.assert_allclose(
                g, h, rtol=1e-8, atol=1e-12 * (1.0 + np.max(np.abs(h))),
                err_msg=f"gradient for argument {i}: s2sgrad vs autograd")


@pytest.mark.parametrize("case_id",
                         _params("second", lambda case: case.order == 2))
def test_program_second_order(case_id):
    """First and second derivatives against central differences."""
    _, case = BY_ID[case_id]
    check_grads(case.fn, *_args(case), wrt=case.wrt, order=2)


@pytest.mark.parametrize("case_id", _params("float32", lambda case: case.float32))
def test_program_float32(case_id):
    """float32 arguments get float32 gradients, equal to the float64 ones to
    rtol 1e-3 (atol 1e-3 of the largest entry, for entries near zero)."""
    _, case = BY_ID[case_id]
    args = _args(case)
    args32 = _float32_args(args)
    g32 = _as_tuple(case, sg.grad(case.fn, wrt=case.wrt)(*args32))
    g64 = _as_tuple(case, sg.grad(case.fn, wrt=case.wrt)(*args))
    checked = 0
    for i, a, b in zip(_wrt_indices(case, args), g32, g64):
        if isinstance(args32[i], (np.ndarray, np.floating)) and \
                args32[i].dtype == np.float32:
            assert np.asarray(a).dtype == np.float32, \
                f"gradient for float32 argument {i} is {np.asarray(a).dtype}"
            assert np.shape(a) == np.shape(args32[i])
            checked += 1
        b = np.asarray(b, dtype=np.float64)
        np.testing.assert_allclose(
            np.asarray(a, dtype=np.float64), b, rtol=1e-3,
            atol=1e-3 * np.max(np.abs(b)),
            err_msg=f"float32 gradient for argument {i} vs float64")
    assert checked, "a float32 case must differentiate a float32 argument"


# --------------------------------------------------- the corpus as a whole

def test_corpus_size_and_coverage():
    functions = {(m, c.fn.__name__) for m, c in ALL}
    assert len(functions) >= 110
    used = set().union(*(c.tags for _, c in ALL))
    assert used == corpus.TAGS, f"tags never used: {sorted(corpus.TAGS - used)}"
    assert sum(c.float32 for _, c in ALL) >= 15
    assert any(c.order == 2 for _, c in ALL)
    assert set(BUGS) | set(SECOND_ORDER_BUGS) | set(FLOAT32_BUGS) <= set(IDS)
    assert not set(BUGS) & (set(SECOND_ORDER_BUGS) | set(FLOAT32_BUGS))
    for _, case in ALL:
        assert case.wrt is not None


# -------------------------------------------------- tags against the source
#
# Tags are found in the AST of the program and of every function of the
# corpus package it reaches (called by name, through a module of the package,
# or passed as an argument).  Those in STRICT_TAGS must be declared exactly
# when found; those in FOUND_IMPLIES_DECLARED must be declared when found
# (they can also hold where the source does not show it: a dict argument, a
# constant reached through a helper's default); the rest are declared by hand.

LOOP_TAGS = {'for_range', 'for_array', 'for_list', 'enumerate', 'zip',
             'reversed'}
STRICT_TAGS = {'if', 'ifexp', 'boolop', 'while', 'nested_loop', 'break',
               'continue', 'return_in_loop', 'return_in_if', 'augassign',
               'append', 'starred', 'comprehension', 'genexp', 'nested_def',
               'lambda', 'varargs', 'decorator', 'math', 'print', 'assert',
               'raise', 'docstring', 'helper', 'other_module', 'for_range',
               'enumerate', 'zip', 'reversed', 'kwargs'}
FOUND_IMPLIES_DECLARED = {'dict', 'constant', 'methods'}

ARRAY_METHODS = {'sum', 'mean', 'prod', 'max', 'min', 'var', 'std', 'cumsum',
                 'cumprod', 'dot', 'reshape', 'transpose', 'squeeze', 'ravel',
                 'flatten', 'astype', 'copy', 'clip', 'swapaxes', 'repeat',
                 'trace', 'diagonal', 'argmax', 'argmin', 'all', 'any',
                 'round', 'sort', 'argsort'}


def _in_corpus(obj):
    module = getattr(obj, "__module__", "") or ""
    return isinstance(obj, types.FunctionType) and \
        (module == PACKAGE or module.startswith(PACKAGE + "."))


def _tree(fn):
    source = textwrap.dedent(inspect.getsource(fn))
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef), fn
    return node


class _Finder(ast.NodeVisitor):
    """Tags of one function's AST; collects the corpus functions it reaches."""

    def __init__(self, fn):
        self.fn = fn
        self.globals = fn.__globals__
        self.tags = set()
        self.reached = []           # (function, called inside a loop)
        self.errors = []
        self.loop_depth = 0
        self.if_depth = 0
        self.def_depth = 0
        self.local = set()          # every name bound anywhere in fn

    def visit_root(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self.local.add(node.id)
            elif isinstance(node, ast.arg):
                self.local.add(node.arg)
            elif isinstance(node, ast.FunctionDef) and node is not tree:
                self.local.add(node.name)
        self.visit(tree)

    def resolve(self, node):
        if isinstance(node, ast.Name):
            if node.id in self.local:
                return None
            if node.id in self.globals:
                return self.globals[node.id]
            return getattr(builtins, node.id, None)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if isinstance(base, types.ModuleType):
                return getattr(base, node.attr, None)
        return None

    def reach(self, obj, call=None):
        if call is not None and _in_corpus(obj):
            # keyword arguments, or defaults filled in
            params = [p for p in inspect.signature(obj).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            starred = any(isinstance(a, ast.Starred) for a in call.args) or \
                any(k.arg is None for k in call.keywords)
            if call.keywords or (not starred and
                                 len(call.args) < len(params)):
                self.tags.add('kwargs')
        if _in_corpus(obj):
            target = inspect.unwrap(obj)
            if target.__module__ == self.fn.__module__:
                self.tags.add('helper')
            else:
                self.tags.add('other_module')
            if obj is not target:
                self.tags.add('decorator')
            self.reached.append((target, self.loop_depth > 0))

    # -- statements
    def visit_FunctionDef(self, node):
        if self.def_depth:
            self.tags.add('nested_def')
        a = node.args
        if a.vararg or a.kwarg:
            self.tags.add('varargs')
        if ast.get_docstring(node) is not None:
            self.tags.add('docstring')
        self.def_depth += 1
        loop, cond = self.loop_depth, self.if_depth
        self.loop_depth = self.if_depth = 0
        for stmt in node.body:
            self.visit(stmt)
        self.loop_depth, self.if_depth = loop, cond
        self.def_depth -= 1

    def visit_Lambda(self, node):
        self.tags.add('lambda')
        self.generic_visit(node)

    def loop(self, node):
        self.loop_depth += 1
        if self.loop_depth > 1:
            self.tags.add('nested_loop')
        for stmt in node.body + node.orelse:
            self.visit(stmt)
        self.loop_depth -= 1

    def visit_For(self, node):
        it = node.iter
        kind = None
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
                it.func.id in ('range', 'enumerate', 'zip', 'reversed'):
            kind = 'for_range' if it.func.id == 'range' else it.func.id
            if it.func.id == 'reversed' and it.args and \
                    isinstance(it.args[0], ast.Call) and \
                    getattr(it.args[0].func, 'id', None) == 'range':
                self.tags.add('for_range')
        if kind:
            self.tags.add(kind)
        else:
            self.tags.add('_for_other')
        self.visit(node.target)
        self.visit(node.iter)
        self.loop(node)

    def visit_While(self, node):
        self.tags.add('while')
        self.visit(node.test)
        self.loop(node)

    def static(self, expr):
        """True for a condition known before the program runs: it reads
        only module constants and literals (``if VERBOSE:``)."""
        return all(n.id not in self.local and
                   (n.id in self.globals or hasattr(builtins, n.id))
                   for n in ast.walk(expr) if isinstance(n, ast.Name))

    def visit_If(self, node):
        if not self.static(node.test):
            self.tags.add('if')
        self.visit(node.test)
        self.if_depth += 1
        for stmt in node.body + node.orelse:
            self.visit(stmt)
        self.if_depth -= 1

    def visit_Break(self, node):
        self.tags.add('break')

    def visit_Continue(self, node):
        self.tags.add('continue')

    def visit_Return(self, node):
        if self.loop_depth:
            self.tags.add('return_in_loop')
        elif self.if_depth:
            self.tags.add('return_in_if')
        self.generic_visit(node)

    def visit_Assign(self, node):
        for target in node.targets:
            self.target(target, 'setitem')
        self.visit(node.value)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name):
            self.tags.add('augassign')
        self.target(node.target, 'augsetitem')
        self.visit(node.value)

    def target(self, target, kind):
        if isinstance(target, ast.Subscript):
            self.tags.add('_' + kind)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                if isinstance(elt, ast.Starred):
                    self.tags.add('starred')
                    elt = elt.value
                self.target(elt, kind)
        self.visit(target)

    def visit_Assert(self, node):
        self.tags.add('assert')
        self.generic_visit(node)

    def visit_Raise(self, node):
        self.tags.add('raise')
        self.generic_visit(node)

    # -- expressions
    def visit_IfExp(self, node):
        if not self.static(node.test):
            self.tags.add('ifexp')
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        self.tags.add('boolop')
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.Not):
            self.tags.add('boolop')
        self.generic_visit(node)

    def visit_Compare(self, node):
        if len(node.ops) > 1:
            self.tags.add('boolop')
        self.generic_visit(node)

    def visit_ListComp(self, node):
        self.tags.add('comprehension')
        self.generic_visit(node)

    visit_SetComp = visit_ListComp

    def visit_DictComp(self, node):
        self.tags.update({'comprehension', 'dict'})
        self.generic_visit(node)

    def visit_GeneratorExp(self, node):
        self.tags.add('genexp')
        self.generic_visit(node)

    def visit_Dict(self, node):
        self.tags.add('dict')
        self.generic_visit(node)

    def visit_Starred(self, node):
        self.tags.add('starred')
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.globals \
                and node.id not in self.local:
            value = self.globals[node.id]
            if not callable(value) and not isinstance(value, types.ModuleType):
                self.tags.add('constant')
            self.reach(value)       # a function named, called or not

    def visit_Attribute(self, node):
        base = self.resolve(node.value)
        if isinstance(base, types.ModuleType) and \
                base.__name__.startswith(PACKAGE):
            value = getattr(base, node.attr, None)
            if not callable(value) and not isinstance(value, types.ModuleType):
                self.tags.add('constant')
            self.reach(value)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        target = self.resolve(func)
        if target is print:
            self.tags.add('print')
        if isinstance(func, ast.Attribute):
            base = self.resolve(func.value)
            if base is math:
                self.tags.add('math')
            elif not isinstance(base, types.ModuleType):
                if func.attr == 'append':
                    self.tags.add('append')
                elif func.attr in ('items', 'keys', 'values'):
                    self.tags.add('dict')
                elif func.attr in ARRAY_METHODS:
                    self.tags.add('methods')
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.tags.add('varargs')
                self.visit(arg.value)
            else:
                self.visit(arg)
        for kw in node.keywords:
            if kw.arg is None:
                self.tags.add('varargs')
            self.visit(kw.value)
        self.reach(target, node)
        self.visit(func)


def _found_tags(fn):
    """Tags found in ``fn`` and every corpus function it reaches."""
    tags = set()
    seen = set()
    has_loop = {}
    todo = [(fn, False)]
    calls_in_loops = []
    if inspect.unwrap(fn) is not fn:
        tags.add('decorator')
        fn = inspect.unwrap(fn)
        todo = [(fn, False)]
    while todo:
        f, in_loop = todo.pop()
        if in_loop:
            calls_in_loops.append(f)
        if f in seen:
            continue
        seen.add(f)
        finder = _Finder(f)
        finder.visit_root(_tree(f))
        has_loop[f] = bool(finder.tags & (LOOP_TAGS | {'_for_other', 'while'}))
        tags |= finder.tags
        todo.extend(finder.reached)
    # a loop in a helper called inside a loop is a nested loop
    if any(has_loop.get(f, False) for f in calls_in_loops):
        tags.add('nested_loop')
    return tags


@pytest.mark.parametrize("case_id", IDS)
def test_tags_match_source(case_id):
    _, case = BY_ID[case_id]
    found = _found_tags(case.fn)
    declared = set(case.tags)
    problems = []
    for tag in sorted(STRICT_TAGS):
        if (tag in found) != (tag in declared):
            problems.append(f"{tag}: {'found' if tag in found else 'declared'}"
                            f" but not {'declared' if tag in found else 'found'}")
    for tag in sorted(FOUND_IMPLIES_DECLARED):
        if tag in found and tag not in declared:
            problems.append(f"{tag}: found but not declared")
    if '_for_other' in found and not declared & {'for_array', 'for_list'}:
        problems.append("a for loop over an array or list: declare "
                        "for_array or for_list")
    if declared & {'for_array', 'for_list'} and '_for_other' not in found:
        problems.append("for_array/for_list declared but no such loop found")
    if '_setitem' in found and not declared & {'setitem', 'mask_setitem', 'dict'}:
        problems.append("assignment into a subscript: declare setitem, "
                        "mask_setitem or dict")
    if '_augsetitem' in found and \
            not declared & {'augsetitem', 'mask_setitem', 'dict'}:
        problems.append("augmented assignment into a subscript: declare "
                        "augsetitem, mask_setitem or dict")
    if declared & {'setitem', 'augsetitem', 'mask_setitem'} and \
            not found & {'_setitem', '_augsetitem'}:
        problems.append("item assignment declared but not found")
    if 'closure' in declared and not declared & {'nested_def', 'lambda'}:
        problems.append("closure needs nested_def or lambda")
    assert not problems, "\n".join(problems)
