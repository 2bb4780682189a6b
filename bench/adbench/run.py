"""ADBench's four objectives: derivative time / objective time, beside the paper's figures.

    python bench/adbench/run.py                 # every objective, every size and spelling
    python bench/adbench/run.py --quick         # smallest size: every derivative checked (CI)
    python bench/adbench/run.py --only gmm,ba   # some objectives
    python bench/adbench/run.py --json out.json # also write every figure as JSON

ADBench (arXiv 1807.10129) compares AD tools on a Gaussian mixture model
(gradient), a stacked LSTM (gradient), bundle adjustment (sparse Jacobian) and
hand tracking (Jacobian), as derivative time / objective time.  Each objective
is a module here (gmm.py, lstm.py, ba.py, ht.py) written as ADBench's Python
versions write it, in several spellings, with a hand-written NumPy derivative.
For every size and spelling the s2sgrad derivative is checked against the
hand-written one (and the hand-written one against central differences of the
objective), then objective, s2sgrad derivative and hand-written derivative
are timed in interleaved rounds in this process, BLAS on one thread.  The
report gives each objective's slowest spelling first, with the paper's figures.

A module defines TITLE, PAPER, SIZES, inputs(rng, **size), SPELLINGS,
derivative(objective), hand_derivative(*args), check(got, want, args) and
fd_check(args, rng); optionally SPELLINGS_AT, size label -> the spellings run
at that size (a Python-loop spelling too slow for a large size).  A derivative
that raises unittest.SkipTest(reason) is not measured at that size (reported
with the reason, not a failure); nor is a spelling s2sgrad refuses with the
exception its module's KNOWN_REFUSALS names for it (spelling -> (exception
class, what is missing)).  Exit status 1 if a derivative is wrong or
fails.
"""
import os

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS',
             'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS'):
    os.environ[_var] = '1'          # before NumPy is imported: BLAS on one thread

import argparse
import importlib
import importlib.util
import json
import sys
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path[:0] = [HERE, BENCH, os.path.dirname(BENCH)]   # these modules, bench/, this checkout

import numpy as np


def _bench_run():
    """bench/run.py (machine facts, interleaved timing); its name is this script's too."""
    spec = importlib.util.spec_from_file_location('bench_run', os.path.join(BENCH, 'run.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


B = _bench_run()

OBJECTIVES = ('gmm', 'lstm', 'ba', 'ht')


def available(names):
    """The objective modules asked for that exist in this checkout."""
    found = []
    for name in names:
        if os.path.exists(os.path.join(HERE, f'{name}.py')):
            found.append((name, importlib.import_module(name)))
    return found


def measure(module, size_label, size, opts, rng):
    """Check every spelling's derivative at one size and time it; one result row a spelling."""
    args = module.inputs(rng, **size)
    want = module.hand_derivative(*args)
    rows, calls = [], {'hand': lambda: module.hand_derivative(*args)}
    for name, objective in module.SPELLINGS.items():
        if name not in getattr(module, 'SPELLINGS_AT', {}).get(size_label, module.SPELLINGS):
            continue
        row = {'size': size_label, 'spelling': name}
        rows.append(row)
        try:
            derivative = module.derivative(objective)
            module.check(derivative(*args), want, args)
        except unittest.SkipTest as exc:  # not measured at this size, and why: not a failure
            row['skipped'] = str(exc)
            continue
        except Exception as exc:        # a wrong derivative or a failure: reported, exit 1
            message = f'{type(exc).__name__}: {exc}'.splitlines()[0][:300]
            known = getattr(module, 'KNOWN_REFUSALS', {}).get(name)
            if known and isinstance(exc, known[0]):     # refused at the user's line, and why
                row['skipped'] = f'refused: {message} ({known[1]})'
                continue
            row['error'] = message
            if opts.verbose:
                traceback.print_exc()
            continue
        calls[f'objective:{name}'] = lambda f=objective: f(*args)
        calls[f'derivative:{name}'] = lambda d=derivative: d(*args)
    if opts.rounds and len(calls) > 1:
        times, _ = B.interleaved(calls, opts.rounds, opts.round_seconds)
        for row in rows:
            if 'error' in row or 'skipped' in row:
                continue
            name = row['spelling']
            row['objective_s'] = float(np.median(times[f'objective:{name}']))
            row['derivative_s'] = float(np.median(times[f'derivative:{name}']))
            row['hand_s'] = float(np.median(times['hand']))
            row['ratio'] = B.ratio(times, f'derivative:{name}', f'objective:{name}')
            row['hand_ratio'] = B.ratio(times, 'hand', f'objective:{name}')
    return rows


def fmt_ratio(r):
    return '—' if r is None else f"{r['median']:.2f} ({r['q1']:.2f}-{r['q3']:.2f})"


def report(name, module, rows):
    print(f'\n## {module.TITLE}  (paper: ' +
          ', '.join(f'{tool} {fig}' for tool, fig in module.PAPER.items()) + ')')
    ok = [r for r in rows if 'error' not in r and 'ratio' in r]
    for label in dict.fromkeys(r['size'] for r in rows):
        at = [r for r in ok if r['size'] == label]
        if at:
            worst = max(at, key=lambda r: r['ratio']['median'])
            print(f"{label}: slowest spelling {worst['spelling']!r}: s2sgrad "
                  f"{fmt_ratio(worst['ratio'])}, hand-written {fmt_ratio(worst['hand_ratio'])}")
    print(f"{'size':<14} {'spelling':<16} {'objective':>11} {'s2sgrad':>11} "
          f"{'s2sgrad/obj':>20} {'hand/obj':>20}")
    for r in rows:
        if 'error' in r:
            print(f"{r['size']:<14} {r['spelling']:<16} FAILED: {r['error']}")
        elif 'skipped' in r:
            print(f"{r['size']:<14} {r['spelling']:<16} not measured: {r['skipped']}")
        elif 'ratio' in r:
            print(f"{r['size']:<14} {r['spelling']:<16} {r['objective_s'] * 1e3:9.3f}ms "
                  f"{r['derivative_s'] * 1e3:9.3f}ms {fmt_ratio(r['ratio']):>20} "
                  f"{fmt_ratio(r['hand_ratio']):>20}")
        else:
            print(f"{r['size']:<14} {r['spelling']:<16} checked")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quick', action='store_true',
                    help='smallest size only, every derivative checked, no timing rounds')
    ap.add_argument('--only', default=','.join(OBJECTIVES), help='objectives, comma-separated')
    ap.add_argument('--rounds', type=int, help='interleaved timing rounds (default 11, quick 0)')
    ap.add_argument('--json', help='write every figure to this file')
    ap.add_argument('--verbose', action='store_true', help='print the traceback of a failure')
    opts = ap.parse_args(argv)
    opts.rounds = opts.rounds if opts.rounds is not None else (0 if opts.quick else 11)
    opts.round_seconds = 0.2
    info = B.machine_info()
    print(f"machine: {info['cpu']}, {info['nproc']} cores, load {info['loadavg']}; "
          f"numpy {info['numpy']}, python {info['python']}, s2sgrad {info['s2sgrad']}")
    print(f"mode: {'quick (every derivative checked, not timed)' if opts.quick else 'full'}")
    failed, results = False, {}
    for name, module in available(opts.only.split(',')):
        rng = np.random.default_rng(0)
        try:
            module.fd_check(module.inputs(rng, **next(iter(module.SIZES.values()))), rng)
        except Exception as exc:
            print(f'{name}: hand-written derivative fails its finite-difference check: {exc}')
            failed = True
        sizes = list(module.SIZES.items())[:1] if opts.quick else module.SIZES.items()
        rows = []
        for label, size in sizes:
            rows += measure(module, label, size, opts, np.random.default_rng(0))
        report(name, module, rows)
        failed |= any('error' in r for r in rows)
        results[name] = {'title': module.TITLE, 'paper': module.PAPER, 'rows': rows}
    if opts.json:
        with open(opts.json, 'w') as fh:
            json.dump({'machine': info, 'results': results}, fh, indent=1)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
