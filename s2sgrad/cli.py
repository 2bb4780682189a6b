"""The command line: `python -m s2sgrad show|export module:function`.

    python -m s2sgrad show   model:loss                 # source of @sg.graph(loss)
    python -m s2sgrad show   model:loss --wrt 0,1       # source of sg.grad(loss, wrt=(0, 1))
    python -m s2sgrad show   model.py:loss --wrt W --value-and-grad
    python -m s2sgrad show   model:loss_and_metrics --has-aux   # sg.grad(..., has_aux=True)
    python -m s2sgrad export model:loss --wrt W,b -o loss_grad.py

Exit codes: 0 success; 2 a usage error (bad target, module or function not
found, bad --wrt); 1 an error raised by s2sgrad itself (`TransformError`,
`LookupError`, `ValueError`, `TypeError`) or by the user's module while it
is imported. Errors are printed as `error: <message>` on stderr, without a
traceback.

Only s2sgrad's public names are used here.
"""
import argparse
import importlib
import importlib.util
import keyword
import os
import sys

PROG = 'python -m s2sgrad'


class UsageError(Exception):
    """A mistake in the command line itself: exit code 2."""


class UserModuleError(Exception):
    """The user's module raised while it was being imported: exit code 1."""


# --------------------------------------------------------------------- parsing

def parse_wrt(text):
    """`'0'` -> 0, `'W'` -> 'W', `'0,1'` -> (0, 1), `'W, b'` -> ('W', 'b')."""
    items = [item.strip() for item in text.split(',')]
    parsed = []
    for item in items:
        if item.isascii() and item.isdigit():
            parsed.append(int(item))
        elif item.isidentifier() and not keyword.iskeyword(item):
            parsed.append(item)
        else:
            raise UsageError(
                f'bad --wrt {text!r}: {item!r} is neither a parameter index '
                f'(0, 1, ...) nor a parameter name')
    if len(set(parsed)) != len(parsed):
        raise UsageError(f'bad --wrt {text!r}: an argument is named twice')
    return parsed[0] if len(parsed) == 1 else tuple(parsed)


def split_target(target):
    """`'pkg.mod:fn'` or `'path/to/mod.py:fn'` -> (module, function)."""
    module, sep, function = target.rpartition(':')
    if not sep or not module or not function or not all(
            part.isidentifier() for part in function.split('.')):
        raise UsageError(
            f'bad target {target!r}: expected module:function, for example '
            f'model:loss or path/to/model.py:loss')
    return module, function


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Show or export the Python source that s2sgrad generates '
                    'for a function or its gradient.')
    parser.add_argument('--version', action='version',
                        version=f'%(prog)s {_version()}')
    commands = parser.add_subparsers(dest='command', required=True,
                                     metavar='{show,export}')

    def add_target_options(sub):
        sub.add_argument(
            'target', metavar='module:function',
            help='an importable module name (pkg.model) or a path to a .py '
                 'file (path/to/model.py), a colon, and the function name')
        sub.add_argument(
            '--wrt', default=None, metavar='ARGS',
            help='differentiate with sg.grad(fn, wrt=...): comma-separated '
                 'parameter indices or names, e.g. 0 or 0,1 or W,b; one item '
                 'gives one gradient, several give a tuple')
        sub.add_argument(
            '--value-and-grad', action='store_true',
            help='use sg.value_and_grad(fn, wrt=...) instead of sg.grad '
                 '(wrt defaults to 0)')
        sub.add_argument(
            '--has-aux', action='store_true',
            help='the function returns (loss, aux): has_aux=True (wrt defaults to 0)')

    show = commands.add_parser(
        'show', help='print the generated source',
        description='Print the generated Python source of a function '
                    '(with --wrt or --value-and-grad: of its gradient).')
    add_target_options(show)

    export = commands.add_parser(
        'export', help='write a standalone NumPy-only module',
        description='Write a standalone .py module, needing only NumPy, that '
                    'defines the transformed function (with --wrt or '
                    '--value-and-grad: its gradient).')
    add_target_options(export)
    export.add_argument('-o', '--output', required=True, metavar='OUT.py',
                        help='the file to write')
    return parser


def _version():
    try:
        from importlib.metadata import version
        return version('s2sgrad')
    except Exception:  # not installed, e.g. run from a source tree
        return 'unknown'


# ------------------------------------------------------------------- loading

def _looks_like_path(module):
    return module.endswith('.py') or '/' in module or os.sep in module


def _import_file(path):
    if not os.path.isfile(path):
        raise UsageError(f'cannot find module file {path!r}')
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if directory not in sys.path:  # so the file's sibling imports work
        sys.path.insert(0, directory)
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier() or name in sys.modules:
        name = '_s2sgrad_cli_target'
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f'cannot import {path!r} as a Python module')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise UserModuleError(path) from exc
    return module


def _import_name(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the target (or one of its parent packages) being absent is a
        # usage error; a missing import *inside* the module is the module's.
        if exc.name is not None and (name == exc.name
                                     or name.startswith(exc.name + '.')):
            raise UsageError(f'no module named {exc.name!r}') from None
        raise UserModuleError(name) from exc
    except Exception as exc:
        raise UserModuleError(name) from exc


def load_target(target):
    """The object that `target` ('module:function') names."""
    module_name, function_name = split_target(target)
    cwd = os.getcwd()
    if cwd not in sys.path and '' not in sys.path:
        sys.path.insert(0, cwd)
    if _looks_like_path(module_name):
        module = _import_file(module_name)
    else:
        module = _import_name(module_name)
    obj = module
    for part in function_name.split('.'):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(
                f'module {module_name!r} has no function {function_name!r}'
            ) from None
    if not callable(obj):
        raise UsageError(f'{target!r} is not a function '
                         f'(it is a {type(obj).__name__})')
    return obj


def transformed(fn, wrt, value_and_grad, has_aux=False):
    """The GraphFunction that the options ask for."""
    import s2sgrad as sg

    graph_fn = fn if isinstance(fn, sg.GraphFunction) else sg.graph(fn)
    if not value_and_grad and not has_aux and wrt is None:
        return graph_fn
    transform = sg.value_and_grad if value_and_grad else sg.grad
    return transform(graph_fn, wrt=0 if wrt is None else wrt, has_aux=has_aux)


# ---------------------------------------------------------------------- main

def _message(exc):
    """`str(exc)`, without KeyError's quotes, with any notes on their own lines."""
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        text = str(exc.args[0])
    else:
        text = str(exc) or type(exc).__name__
    notes = getattr(exc, '__notes__', None) or ()
    return '\n'.join([text, *(f'  {note}' for note in notes)])


def _error(message, code):
    print(f'error: {message}', file=sys.stderr)
    return code


def main(argv=None):
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an argparse usage error
        return exc.code if isinstance(exc.code, int) else 2

    import s2sgrad as sg
    known = (sg.TransformError, LookupError, ValueError, TypeError)
    try:
        wrt = None if args.wrt is None else parse_wrt(args.wrt)
        fn = load_target(args.target)
        result = transformed(fn, wrt, args.value_and_grad, args.has_aux)
        if args.command == 'show':
            source = result.source
            sys.stdout.write(source if source.endswith('\n') else source + '\n')
        else:
            result.export(args.output)
            print(f'wrote {args.output}', file=sys.stderr)
    except UsageError as exc:
        return _error(exc, 2)
    except UserModuleError as exc:
        cause = exc.__cause__
        if isinstance(cause, known):
            return _error(_message(cause), 1)
        return _error(f'importing {exc} failed: '
                      f'{type(cause).__name__}: {_message(cause)}', 1)
    except known as exc:
        return _error(_message(exc), 1)
    except OSError as exc:
        if args.command == 'export':
            return _error(f'cannot write {args.output!r}: {exc.strerror or exc}', 1)
        return _error(_message(exc), 1)
    return 0
