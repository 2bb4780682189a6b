"""Shrink a failing program to a small one that fails the same way.

Greedy, on the source text: repeatedly try deleting a statement together with
the lines indented under it (a helper, a loop, one line), then each
differentiated parameter but one, then each parameter the body never reads,
then each global rebinding, keeping every
change after which the program still fails with the same *signature* (its
class and reason with the numbers taken out).  A deletion that breaks the
syntax or makes Python itself fail is simply not kept, nor one that leaves an
`np.empty_like` buffer unfilled: its value would be garbage.
"""
import dataclasses
import re
import tempfile

from .oracle import run, signature


def spans(lines):
    """(start, end) of every statement with the lines indented under it, longest first."""
    def depth(line):
        return len(line) - len(line.lstrip())
    result = []
    for i, line in enumerate(lines):
        if line.startswith('def program_grads('):
            break                       # the sg.gradients wrapper stays whole
        if not line.strip() or line.startswith(('import ', 'def program(')) \
                or line.strip() in ('acc = 0.0', 'return acc'):
            continue
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or depth(lines[end]) > depth(line)):
            end += 1
        result.append((i, end))
    return sorted(result, key=lambda s: s[0] - s[1])


def shrink(program, timeout=20.0):
    """A smaller Program that fails like `program` (itself if none is found)."""
    with tempfile.TemporaryDirectory(prefix='s2sgrad-shrink-') as directory:
        return _shrink(program, directory, timeout)


def _shrink(program, directory, timeout):
    target = signature(run(program, directory, timeout))
    attempts = iter(range(10**9))

    def fails(candidate):
        if reads_an_empty_buffer(candidate.source):
            return False
        # a new file each time: s2sgrad and linecache must not see an old version
        name = f'fuzz_{program.seed}_shrink{next(attempts)}'
        return signature(run(candidate, directory, timeout, name=name)) == target

    changed = True
    while changed:
        changed = False
        lines = program.source.split('\n')
        for start, end in spans(lines):
            candidate = dataclasses.replace(
                program, source='\n'.join(lines[:start] + lines[end:]))
            if fails(candidate):
                program, changed = candidate, True
                break
    for name in program.wrt:
        candidate = _with_wrt(program, (name,))
        if len(program.wrt) > 1 and fails(candidate):
            program = candidate
            break
    for name in program.params:
        candidate = _without_param(program, name)
        if candidate is not None and fails(candidate):
            program = candidate
    for name in list(program.rebind):
        rebind = {k: v for k, v in program.rebind.items() if k != name}
        candidate = dataclasses.replace(program, rebind=rebind)
        if fails(candidate):
            program = candidate
    return program


def reads_an_empty_buffer(source):
    """True when an `np.empty_like` buffer is no longer filled through `out=`:
    Python would read uninitialised memory, and any result would do."""
    for name in re.findall(r'(\w+) = np\.empty_like\(', source):
        if not re.search(rf'(out=|, ){name}\)', source):
            return True
    return False


def _without_param(program, name):
    """`program` without the parameter `name` if its body never reads it, else None."""
    params = tuple(p for p in program.params if p != name)
    wrt = tuple(p for p in program.wrt if p != name)
    body = program.source.split('def program(', 1)[1].split('\n', 1)[1]
    if not wrt or re.search(rf'\b{name}\b', body.split('def program_grads(')[0]):
        return None
    source = program.source.replace(', '.join(program.params), ', '.join(params))
    source = source.replace(f'[{", ".join(program.wrt)}])', f'[{", ".join(wrt)}])')
    return dataclasses.replace(program, params=params, wrt=wrt, source=source,
                               keywords=tuple(p for p in program.keywords if p != name))


def _with_wrt(program, wrt):
    source = program.source.replace(f'[{", ".join(program.wrt)}])', f'[{", ".join(wrt)}])')
    return dataclasses.replace(program, wrt=wrt, source=source)
