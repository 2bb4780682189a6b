"""Run one generated program through Python and through s2sgrad, and class it.

The oracle is Python itself: the original function, run on deep copies of the
arguments, gives the value; central differences of it in float64 give the
gradient along a random direction.  s2sgrad is asked for

* ``sg.value_and_grad(program, wrt=...)``: the value and the gradient;
* ``sg.graph(program)``: the value again, from the forward code alone;
* ``sg.graph(program_grads)`` when the module defines it: the gradient again,
  through ``sg.gradients`` inside a graph body;
* each called as the program's caller does (``Program.keywords``: the last
  parameters by keyword);
* for the programs whose second order is checked (``sg.grad`` of ``sg.grad``),
  ``sg.hvp`` along ones (forward over reverse) against that second-order gradient;
* the same ``value_and_grad`` again with arrays of other sizes (``SECOND_SIZES``:
  the same ranks and unit dimensions), where Python runs the program at those
  sizes: the specialisation made for the first call must serve them too;
* after the module's globals are rebound (``Program.rebind``), the value and
  gradient once more from the same transformed functions: Python reads the
  new values, so s2sgrad must too (or refuse).

Each program gets one class:

right     every value and gradient agrees, the arguments are untouched, each
          gradient has the structure, shape and dtype of its argument.
refused   s2sgrad raised TransformError, LookupError, ValueError or TypeError
          naming the program's file and one of its lines, in the message or
          (for a SyntaxError) in filename/lineno, or in a note.  A note added
          while generated code ran ("while running the generated code of ...")
          counts only when s2sgrad itself raised the error: a NumPy or Python
          error from inside generated code, on a program that Python runs, is
          a crash whatever its note says.  KeyError and IndexError are
          LookupErrors but are what a failed lookup raises: always crashes.
wrong     a value or gradient disagrees, an argument was modified, a
          gradient's structure, shape or dtype differs from its argument's, or
          a gradient was given for a function that returned None or a string
          (its forward value must match Python's; its gradient be refused).
crashed   any other exception, or the time limit was hit.
invalid   Python itself failed on the program: a bug of the generator.

A gradient is called wrong only when central differences at two step sizes
agree with each other and both disagree with it; when the two disagree with
each other the point is too close to a kink to judge and the check passes
(counted as ``inconclusive`` in the outcome's notes).
"""
import copy
import dataclasses
import importlib.util
import os
import re
import signal
import sys
import traceback
import types

import numpy as np

import s2sgrad as sg

from .generator import SECOND_SIZES

DOCUMENTED = (sg.TransformError, LookupError, ValueError, TypeError)
INTERNAL = (KeyError, IndexError)      # LookupErrors, but what a failed dict or list lookup raises
VALUE_RTOL = 1e-9
GRAD_RTOL = 1e-6
RUNTIME_NOTE = 'while running the generated code of '
S2SGRAD_DIR = os.path.dirname(os.path.abspath(sg.__file__))


@dataclasses.dataclass
class Outcome:
    seed: int
    features: tuple
    cls: str                  # right / refused / wrong / crashed / invalid
    reason: str = ''
    path: str = ''
    inconclusive: bool = False
    second_size: str = ''     # the call at SECOND_SIZES: 'reused' a specialisation, made
                              # 'new code', or '' not made (Python fails at those sizes)
    second_order: str = ''    # sg.grad(sg.grad(...)): 'right', 'refused' or '' not asked
    detail: str = ''          # a traceback, for replays


class Wrong(Exception):
    """A disagreement with the oracle."""


class Timeout(Exception):
    pass


# -- loading ---------------------------------------------------------------------

def load(program, path, name):
    """Write the program into `path` and import it as a fresh module `name`."""
    with open(path, 'w') as f:
        f.write(program.source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# -- pytrees -----------------------------------------------------------------------

def is_float(x):
    """A leaf that is differentiated: a float or an array of floats (not a bool)."""
    return (isinstance(x, (float, np.floating)) and not isinstance(x, bool)) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating))


def is_object(x):
    """An instance of a class of the program (a dataclass or a plain object)."""
    return hasattr(x, '__dict__') and not isinstance(
        x, (np.ndarray, np.generic, type, types.FunctionType, types.MethodType))


def children(tree):
    """(key, child) of a container or object; () for a leaf."""
    if isinstance(tree, dict):
        return list(tree.items())
    if isinstance(tree, (list, tuple)):
        return list(enumerate(tree))
    if is_object(tree):
        return list(vars(tree).items())
    return []


def child(tree, key):
    if tree is None:
        return None
    return getattr(tree, key) if is_object(tree) else tree[key]


def leaves(tree):
    """The float leaves of an argument, in a fixed order (constants left out)."""
    if is_float(tree):
        return [tree]
    return [leaf for _, item in children(tree) for leaf in leaves(item)]


def paired(grad, arg):
    """The leaves of `grad` where `arg` has its float leaves (None where it has none)."""
    if is_float(arg):
        return [grad]
    return [leaf for key, item in children(arg) for leaf in paired(child(grad, key), item)]


def rebuild(tree, values):
    """`tree` with its float leaves replaced by `values` (consumed in order)."""
    if is_float(tree):
        value = values.pop(0)
        if isinstance(tree, np.ndarray):
            return np.asarray(value, dtype=tree.dtype).reshape(tree.shape)
        if isinstance(tree, np.generic):
            return type(tree)(value)
        return float(value)
    if isinstance(tree, dict):
        return {k: rebuild(v, values) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, '_fields'):
        return type(tree)(*(rebuild(v, values) for v in tree))
    if isinstance(tree, (list, tuple)):
        return type(tree)(rebuild(v, values) for v in tree)
    if is_object(tree):
        new = copy.copy(tree)
        for key, item in vars(tree).items():
            object.__setattr__(new, key, rebuild(item, values))
        return new
    return tree


def same_tree(a, b):
    """Equal structure and bit-equal leaves (the argument-modified check)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_tree(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)
    if is_object(a):
        return same_tree(vars(a), vars(b))
    return a == b


def check_structure(grad, arg, name):
    """The gradient of `arg` has its structure, shapes and dtypes; a constant leaf
    (an int, a string, None) gets None, or itself in an object's gradient."""
    if isinstance(arg, dict):
        if not isinstance(grad, dict) or list(grad) != list(arg):
            raise Wrong(f'gradient of {name} is {type(grad).__name__}, '
                        f'not a dict with keys {list(arg)}')
        for k in arg:
            check_structure(grad[k], arg[k], f'{name}[{k!r}]')
    elif isinstance(arg, (list, tuple)):
        if type(grad) is not type(arg) or len(grad) != len(arg):
            raise Wrong(f'gradient of {name} is {type(grad).__name__} of '
                        f'{len(grad) if hasattr(grad, "__len__") else "?"}, '
                        f'not {type(arg).__name__} of {len(arg)}')
        for i, (g, a) in enumerate(zip(grad, arg)):
            check_structure(g, a, f'{name}[{i}]')
    elif is_object(arg):
        if type(grad) is not type(arg) or list(vars(grad)) != list(vars(arg)):
            raise Wrong(f'gradient of {name} is {type(grad).__name__} with '
                        f'{list(getattr(grad, "__dict__", ()))}, not {type(arg).__name__} '
                        f'with {list(vars(arg))}')
        for k in vars(arg):
            check_structure(getattr(grad, k), getattr(arg, k), f'{name}.{k}')
    elif isinstance(arg, np.ndarray) and is_float(arg):
        if not isinstance(grad, (np.ndarray, np.generic)) or np.shape(grad) != arg.shape \
                or grad.dtype != arg.dtype:
            raise Wrong(f'gradient of {name} is {type(grad).__name__} '
                        f'{np.shape(grad)} {getattr(grad, "dtype", "")}, argument is '
                        f'ndarray {arg.shape} {arg.dtype}')
    elif is_float(arg):
        if not isinstance(grad, float):
            raise Wrong(f'gradient of {name} is {type(grad).__name__}, argument is '
                        f'{type(arg).__name__}')
    elif grad is not None and not same_tree(grad, arg):
        raise Wrong(f'gradient of the constant {name} = {arg!r} is {grad!r}, not None')


# -- comparisons -------------------------------------------------------------------

def close(a, b, rtol):
    return abs(a - b) <= rtol * max(1.0, abs(a), abs(b))


def numeric(x):
    """True for a float, a float array, or a tuple or list of them: a value to differentiate."""
    if isinstance(x, (tuple, list)):
        return all(numeric(item) for item in x)
    return isinstance(x, (float, np.floating)) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating))


def output_sum(out):
    """The float64 sum of every element of every output: what is differentiated."""
    if isinstance(out, (tuple, list)):
        return sum((output_sum(item) for item in out), 0.0)
    return float(np.sum(out, dtype=np.float64))


def check_value(got, expected, what):
    """`got` has the structure and shapes of Python's `expected`, and its values."""
    if isinstance(expected, (tuple, list)):
        if type(got) is not type(expected) or len(got) != len(expected):
            raise Wrong(f'{what} is {type(got).__name__}, Python gives '
                        f'{type(expected).__name__} of {len(expected)}')
        for g, e in zip(got, expected):
            check_value(g, e, what)
        return
    if not numeric(got) or np.shape(got) != np.shape(expected):
        raise Wrong(f'{what} is {type(got).__name__} {np.shape(got)}, Python gives '
                    f'{type(expected).__name__} {np.shape(expected)}')
    g, e = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if not np.all(np.abs(g - e) <= VALUE_RTOL * np.maximum(1.0, np.maximum(abs(g), abs(e)))):
        shown = (float(g), float(e)) if g.ndim == 0 else (g, e)
        raise Wrong(f'{what} {shown[0]!r} but Python gives {shown[1]!r}')


class Directional:
    """Central differences of the program along one random direction."""

    def __init__(self, f, args, wrt_index, rng):
        self.f, self.args, self.wrt_index = f, args, wrt_index
        self.direction = [rng.standard_normal(np.shape(leaf))
                          for i in wrt_index for leaf in leaves(args[i])]

    def projection(self, grads):
        """<gradient, direction> (a None gradient counts as zero)."""
        flat = [leaf for g, i in zip(grads, self.wrt_index) for leaf in paired(g, self.args[i])]
        return float(sum(np.sum(np.asarray(g if g is not None else 0.0, np.float64) * v)
                         for g, v in zip(flat, self.direction)))

    def total(self, t):
        moved = list(copy.deepcopy(self.args))
        k = 0
        for i in self.wrt_index:
            values = []
            for leaf in leaves(self.args[i]):
                values.append(np.asarray(leaf, np.float64) + t * self.direction[k])
                k += 1
            moved[i] = rebuild(self.args[i], values)
        return output_sum(self.f(*moved))

    def estimate(self, h):
        """Richardson combination of the central differences at h and h/2."""
        d1 = (self.total(h) - self.total(-h)) / (2 * h)
        d2 = (self.total(h / 2) - self.total(-h / 2)) / h
        return (4 * d2 - d1) / 3

    def check(self, analytic, what):
        """Raise Wrong when both step sizes agree and disagree with `analytic`;
        return True when the differences were inconclusive (a kink nearby)."""
        fd1 = self.estimate(1e-3)
        if close(analytic, fd1, GRAD_RTOL):
            return False
        fd2 = self.estimate(1e-4)
        if close(analytic, fd2, GRAD_RTOL * 10):
            return False
        if close(fd1, fd2, GRAD_RTOL * 10):
            raise Wrong(f'{what}: <grad, v> = {analytic!r}, central differences '
                        f'give {fd2!r}')
        return True


# -- errors ------------------------------------------------------------------------

def names_user_line(exc, path, n_lines):
    """True when the error names `path` and one of its lines."""
    if isinstance(exc, SyntaxError) and exc.filename == path and exc.lineno \
            and 1 <= exc.lineno <= n_lines:
        return True
    base = re.escape(os.path.basename(path))
    pattern = re.compile(rf'(?:{re.escape(path)}|\b{base}):(\d+)')
    notes = [n for n in getattr(exc, '__notes__', ()) if not n.startswith(RUNTIME_NOTE)
             or raised_by_s2sgrad(exc)]
    for text in [str(exc)] + notes:
        for match in pattern.finditer(text):
            if 1 <= int(match.group(1)) <= n_lines:
                return True
    return False


def raised_by_s2sgrad(exc):
    """True when the innermost frame of the traceback is s2sgrad's own code."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(S2SGRAD_DIR)


def classify_error(exc, path, n_lines):
    """('refused' | 'crashed', one-line reason) for an exception from s2sgrad."""
    kind = type(exc).__name__
    message = str(exc).split('\n')[0][:200]
    if isinstance(exc, Timeout):
        return 'crashed', 'timeout'
    if isinstance(exc, DOCUMENTED) and not isinstance(exc, INTERNAL) \
            and names_user_line(exc, path, n_lines):
        return 'refused', f'{kind}: {message}'
    where = 'inside generated code' if any(
        n.startswith(RUNTIME_NOTE) for n in getattr(exc, '__notes__', ())) else 'no user line'
    return 'crashed', f'{kind} ({where}): {message}'


def signature(outcome):
    """An outcome's class and reason with the numbers and file names taken out:
    programs that fail alike share it (used to group a report and to shrink)."""
    reason = re.sub(r'[^\s(]*fuzz_\w+\.py', 'FILE', outcome.reason)
    reason = re.sub(r'-?\d+(\.\d+)?(e-?\d+)?', 'N', reason)
    return f'{outcome.cls}: {reason}'


# -- one program -------------------------------------------------------------------

def _alarm(signum, frame):
    raise Timeout()


def run(program, directory, timeout=20.0, keep_right=False, name=None):
    """Class one program: an Outcome.  Its source is written to `name`.py
    (default fuzz_SEED) in `directory`, and kept if it is wrong or crashed."""
    name = name or f'fuzz_{program.seed}'
    outcome = Outcome(program.seed, program.features, 'right')
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    path = outcome.path = os.path.join(directory, name + '.py')
    try:
        n_lines = program.source.count('\n') + 1
        try:
            try:
                module = load(program, path, name)
            except Exception as exc:        # noqa: BLE001 - Python cannot run it
                raise _Invalid() from exc
            _compare(program, module, outcome)
        except Wrong as exc:
            outcome.cls, outcome.reason = 'wrong', str(exc)
        except _Invalid as exc:
            outcome.cls, outcome.reason = 'invalid', str(exc.__cause__)
            outcome.detail = ''.join(traceback.format_exception(exc.__cause__))
        except BaseException as exc:        # noqa: BLE001 - every error is classed
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome.cls, outcome.reason = classify_error(exc, path, n_lines)
            outcome.detail = ''.join(traceback.format_exception(exc))
    except Timeout:
        outcome.cls, outcome.reason = 'crashed', 'timeout'
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        sys.modules.pop(name, None)
    if os.path.exists(path) and outcome.cls in ('right', 'refused') \
            and not keep_right:
        os.remove(path)
        outcome.path = ''
    return outcome


class _Invalid(Exception):
    """Python itself failed on the program."""


def _python(f, args):
    try:
        return f(*copy.deepcopy(args))
    except Exception as exc:            # noqa: BLE001
        raise _Invalid() from exc


def calling(fn, program):
    """`fn` taking the arguments positionally, called as the program's caller does:
    its last `program.keywords` parameters by keyword."""
    n = len(program.params) - len(program.keywords)

    def call(*args):
        return fn(*args[:n], **dict(zip(program.params[n:], args[n:])))
    return call


def _compare(program, module, outcome):
    f = calling(module.program, program)
    args = program.arguments(module=module)
    wrt_index = [program.params.index(p) for p in program.wrt]
    expected = _python(f, args)
    rng = np.random.default_rng(program.seed + 1)

    gradient = sg.value_and_grad(module.program, wrt=program.wrt)
    value_and_grad = calling(gradient, program)
    forward = calling(sg.graph(module.program), program)
    grads_graph = calling(sg.graph(module.program_grads), program) \
        if program.graph_gradients else None

    def check_all(args, expected, when, direction):
        before = copy.deepcopy(args)
        if not numeric(expected):
            # Python returned None or a string: show the same forward value, and refuse
            # the gradient, which has nothing to differentiate
            got = forward(*args)
            if type(got) is not type(expected) or got != expected:
                raise Wrong(f'sg.graph returned {got!r}, Python {expected!r}{when}')
            value_and_grad(*args)
            raise Wrong(f'value_and_grad differentiated a function that returned '
                        f'{expected!r}{when}')
        value, grads = value_and_grad(*args)
        if not all(same_tree(a, b) for a, b in zip(args, before)):
            raise Wrong(f'value_and_grad modified an argument{when}')
        check_value(value, expected, f'value_and_grad value{when}')
        if not isinstance(grads, tuple) or len(grads) != len(wrt_index):
            raise Wrong(f'value_and_grad(wrt={program.wrt}) gave {type(grads).__name__}, '
                        f'not a tuple of {len(wrt_index)} gradients')
        # the values first, where the leaves line up, so that an all-zero gradient in
        # the wrong container is reported as the worse of its two faults
        aligned = _aligned(grads, [args[i] for i in wrt_index])
        inconclusive = aligned and direction.check(direction.projection(grads),
                                                   f'gradient{when}')
        for g, i in zip(grads, wrt_index):
            check_structure(g, args[i], program.params[i])
        if not aligned:
            raise Wrong(f'the gradients\' leaves do not match the arguments\'{when}')
        check_value(forward(*args), expected, f'sg.graph value{when}')
        if not all(same_tree(a, b) for a, b in zip(args, before)):
            raise Wrong(f'sg.graph modified an argument{when}')
        if grads_graph is not None:
            in_graph = grads_graph(*args)
            inconclusive |= direction.check(direction.projection(in_graph),
                                            f'sg.gradients in a graph{when}')
        return inconclusive

    direction = Directional(f, args, wrt_index, rng)
    outcome.inconclusive = check_all(args, expected, '', direction)
    # the same gradient called with arrays of other sizes (same ranks, same unit
    # dimensions): the specialisation the first call made must serve them too
    if program.second_order:
        outcome.second_order = _second_order(program, module, args, rng)
    second = program.arguments(SECOND_SIZES, module)
    try:
        expected_second = f(*copy.deepcopy(second))
    except Exception:                   # noqa: BLE001 - the program's constants fit
        expected_second = None          # the first sizes only: nothing to compare
    if expected_second is not None and numeric(expected_second):
        made = _specialisations(gradient)
        outcome.inconclusive |= check_all(second, expected_second, ' at a second size',
                                          Directional(f, second, wrt_index, rng))
        outcome.second_size = 'reused' if _specialisations(gradient) == made else 'new code'
    if program.rebind:
        for target, source in program.rebind.items():
            exec(f'{target} = {source}', vars(module))    # noqa: S102 - generated text
        expected = _python(f, args)
        outcome.inconclusive |= check_all(args, expected, ' after globals were rebound',
                                          direction)


def _aligned(grads, args):
    """True when each gradient has a leaf of its argument's shape at each float leaf."""
    try:
        return all(g is not None and np.shape(g) == np.shape(a)
                   for grad, arg in zip(grads, args)
                   for g, a in zip(paired(grad, arg), leaves(arg)))
    except (KeyError, IndexError, AttributeError, TypeError):
        return False


def _second_order(program, module, args, rng):
    """'right' or 'refused': sg.grad(sg.grad(program, wrt=x), wrt=x) for the first
    differentiated parameter x, against central differences of the first-order
    gradient (checked already): the gradient of the sum of its float leaves."""
    name = program.wrt[0]
    index = program.params.index(name)
    first = sg.grad(module.program, wrt=name)
    try:
        second = sg.grad(first, wrt=name)
        before = copy.deepcopy(args)
        analytic = second(*args)
    except DOCUMENTED as exc:
        path = module.__file__
        if classify_error(exc, path, program.source.count('\n') + 1)[0] == 'refused':
            return 'refused'
        raise
    if not all(same_tree(a, b) for a, b in zip(args, before)):
        raise Wrong('the second-order gradient modified an argument')
    check_structure(analytic, args[index], f'second-order gradient of {name}')

    def summed(*a):
        return float(sum(np.sum(g) for g in paired(first(*a), a[index]) if g is not None))
    direction = Directional(summed, args, [index], rng)
    direction.check(direction.projection([analytic]), 'second-order gradient')
    _hvp_agrees(program, module, args, index, analytic)
    return 'right'


def _hvp_agrees(program, module, args, index, second):
    """sg.hvp along ones (forward over reverse) is the second-order gradient just
    checked (the gradient of the sum of the gradient, H 1: H is symmetric), for an
    x that is an array or a float."""
    x = args[index]
    if not (type(x) is float or isinstance(x, np.ndarray) and x.dtype.kind == 'f'):
        return
    try:
        product = sg.hvp(module.program, wrt=program.params[index])(
            *args, np.ones_like(x) if isinstance(x, np.ndarray) else 1.0)
    except DOCUMENTED as exc:
        if classify_error(exc, module.__file__, program.source.count('\n') + 1)[0] == 'refused':
            return
        raise
    check_value(product, second, 'sg.hvp (forward over reverse)')


def _specialisations(gradient):
    """The code a GradFunction has made for calls so far (to tell whether a call
    reused one)."""
    return [id(c) for c in getattr(gradient, '_for_shapes', {}).values()] + \
        [id(getattr(gradient, name, None)) for name in ('_for_floats', '_compiled')]
