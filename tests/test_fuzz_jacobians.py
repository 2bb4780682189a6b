"""jacfwd == jacrev on random programs from the fuzzer (tests/fuzz).

For each program, the Jacobian w.r.t. its first differentiated array or float
parameter is asked of sg.jacrev, of sg.jacfwd (its seeds batched where every
op has a batch rule) and of sg.jacfwd with one pass per seed; each must give
jacrev's Jacobian or be refused at the program's line (a TransformError,
LookupError, ValueError or TypeError naming it), never disagree or crash.
"""
import collections
import copy
import os

import numpy as np
import pytest

import s2sgrad as sg
from fuzz.generator import generate
from fuzz.oracle import DOCUMENTED, calling, classify_error, load

PROGRAMS = range(300)


def _looped(fn):
    fn.batch_seeds = False
    return fn


def jacobians(program, module):
    """{'jacrev' | 'batched' | 'loop': the Jacobian, or ('refused' | 'crashed', why)};
    None where no differentiated parameter is an array or a float."""
    args = program.arguments(module=module)
    floats = [p for p in program.wrt
              if isinstance(args[program.params.index(p)], (float, np.floating, np.ndarray))]
    if not floats:
        return None
    x = floats[0]
    made = {'jacrev': lambda: sg.jacrev(module.program, wrt=x),
            'batched': lambda: sg.jacfwd(module.program, wrt=x),
            'loop': lambda: _looped(sg.jacfwd(module.program, wrt=x))}
    found = {}
    for kind, make in made.items():
        try:
            found[kind] = calling(make(), program)(*copy.deepcopy(args))
        except DOCUMENTED as exc:
            found[kind] = classify_error(exc, module.__file__, program.source.count('\n') + 1)
        except Exception as exc:        # noqa: BLE001 - every error is classed
            found[kind] = ('crashed', f'{type(exc).__name__}: {exc}')
    if program.keywords:
        found['source'] = ''
    else:
        try:
            found['source'] = sg.jacfwd(module.program, wrt=x).source_for(*args)
        except DOCUMENTED:
            found['source'] = ''
    return found


def test_jacfwd_equals_jacrev_on_fuzzer_programs(tmp_path):
    counts, failures = collections.Counter(), []
    for seed in PROGRAMS:
        program = generate(seed)
        name = f'fuzz_jacobians_{seed}'
        module = load(program, os.path.join(tmp_path, name + '.py'), name)
        found = jacobians(program, module)
        if found is None:
            counts['no float parameter differentiated'] += 1
            continue
        source = found.pop('source')
        expected = found['jacrev']
        for kind, got in found.items():
            if isinstance(got, tuple):
                counts[f'{kind} {got[0]}'] += 1
                if got[0] != 'refused':
                    failures.append(f'seed {seed}: {kind} {got}')
            elif not isinstance(expected, tuple) and not (
                    np.shape(got) == np.shape(expected) and
                    np.allclose(got, expected, rtol=1e-7, atol=1e-9)):
                failures.append(f'seed {seed}: {kind} disagrees with jacrev')
            else:
                counts[f'{kind} right'] += 1
        counts['batched in one pass'] += 'its seeds batched' in source
    assert not failures, "\n".join(failures)
    assert counts['batched right'] > 100 and counts['loop right'] > 100, counts
    assert counts['batched in one pass'] > 30, counts
