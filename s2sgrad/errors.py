"""Errors that point at the user's code.

Every IR node carries an `Origin`: the user's file, line, column and the text
of that line.  Errors are built from an origin, so they always name the user's
file and line, never a place inside the compiler.
"""
import dataclasses
import os


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where a piece of IR came from in the user's source."""

    filename: str
    lineno: int
    col_offset: int = 0
    text: str = ''
    function: str = ''
    caller: 'Origin' = None     # the call site, when this code was inlined from a helper

    @property
    def short(self):
        """`model.py:12`: the form used in generated comments (stable across machines)."""
        return f'{os.path.basename(self.filename)}:{self.lineno}'

    @property
    def long(self):
        return f'{self.filename}:{self.lineno}'

    def __str__(self):
        return self.long


def call_chain_notes(origin):
    """Notes naming each call site through which inlined code was reached."""
    notes = []
    while origin is not None and origin.caller is not None:
        origin = origin.caller
        notes.append(f'called from {origin.long}: {origin.text.strip()}')
    return notes


class TransformError(SyntaxError):
    """Python that s2sgrad cannot transform (or cannot differentiate correctly).

    A `SyntaxError` subclass, so tracebacks show the user's file, line and the
    offending text with a caret, exactly as Python shows its own syntax errors.
    `msg` is the message alone; `str()` adds the location once and the user's
    line (`message (model.py:12)` then the line's text), for logs and the
    command line.
    """

    def __init__(self, message, origin=None, notes=()):
        if origin is None:
            super().__init__(message)
        else:
            super().__init__(
                message,
                (origin.filename, origin.lineno, origin.col_offset + 1,
                 origin.text + '\n' if origin.text else None))
        self.origin = origin
        for note in list(notes) + call_chain_notes(origin):
            self.add_note(note)

    def __reduce__(self):
        # rebuilt from the message and the origin (pickle, copy: multiprocessing)
        return type(self), (self.msg, self.origin), dict(self.__dict__)

    def __str__(self):
        if self.origin is None:
            return super().__str__()
        text = self.origin.text.strip()
        return f'{self.msg} ({self.origin.short})' + (f'\n    {text}' if text else '')


def no_gradient_error(name, origin):
    """The `LookupError` for an operation on the gradient path with no rule."""
    return _no_rule_error('gradient', name, origin, 'xs to ys', 'register_gradient')


class NoTangentRule(LookupError):
    """Forward mode met an operation with no tangent rule (a LookupError)."""


def no_tangent_error(name, origin):
    """The `LookupError` for an operation forward mode meets with no tangent rule."""
    return _no_rule_error('tangent (forward-mode) rule', name, origin,
                          'the primals to the output', 'register_tangent', NoTangentRule)


def _no_rule_error(rule, name, origin, path, register, kind=LookupError):
    where = f' at {origin.long}' if origin else ''
    text = f'\n    {origin.text.strip()}' if origin and origin.text else ''
    error = kind(
        f'No {rule} defined for operation {name!r}{where}: it lies on the '
        f'path from {path}. Register one with @s2sgrad.{register}, '
        f'or wrap the value in s2sgrad.stop_gradient.{text}')
    for note in call_chain_notes(origin):
        error.add_note(note)
    return error


class SparsityWarning(UserWarning):
    """`jacobian(..., sparse=True)`: the Jacobian's sparsity pattern could not be found
    from the code (the message names the op and the line); it is computed densely."""
