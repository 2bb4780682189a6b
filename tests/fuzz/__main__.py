"""python -m tests.fuzz: run many random programs and report by class and feature.

    python -m tests.fuzz --programs 5000 --seed 0 --jobs 2 [--features views,out_arg]
                         [--pending] [--settled] [--keep DIR]
    python -m tests.fuzz --replay SEED [--features ...] [--pending] [--shrink]
                         # one program in full; --shrink: the smallest that fails alike

Without --features, the features not in PENDING_FEATURES are run (those still
known to fail: --pending adds them); --settled takes them out of --features too.

Seeds seed, seed+1, ... seed+programs-1 are run; each wrong or crashed
program's source is kept in DIR (default: a new temporary directory) and the
report names it, with the command that replays it.
"""
import argparse
import collections
import multiprocessing
import os
import sys
import tempfile
import time

from . import PENDING_FEATURES
from .generator import FEATURES, generate
from .oracle import run, signature
from .shrink import shrink

CLASSES = ('right', 'refused', 'wrong', 'crashed', 'invalid')


def _job(task):
    seed, features, directory, timeout = task
    return run(generate(seed, features), directory, timeout=timeout)


def run_many(seeds, features=None, directory=None, jobs=1, timeout=20.0):
    """The outcomes of the programs of `seeds`, in seed order."""
    directory = directory or tempfile.mkdtemp(prefix='s2sgrad-fuzz-')
    tasks = [(seed, features, directory, timeout) for seed in seeds]
    if jobs <= 1:
        return [_job(t) for t in tasks]
    with multiprocessing.get_context('fork').Pool(jobs, maxtasksperchild=500) as pool:
        return sorted(pool.imap_unordered(_job, tasks, chunksize=8), key=lambda o: o.seed)


def counts(outcomes):
    """{feature or 'all': Counter of classes}."""
    table = collections.defaultdict(collections.Counter)
    for o in outcomes:
        table['all'][o.cls] += 1
        for feature in o.features:
            table[feature][o.cls] += 1
    return table


def report(outcomes, features_arg, elapsed, out=None, pending=False):
    """Counts by class overall and per feature; the refusals and failures grouped
    by signature; then every wrong, crashed or invalid program with its replay."""
    out = out or sys.stdout
    table = counts(outcomes)
    width = max(len(k) for k in table)
    print(f'{len(outcomes)} programs in {elapsed:.1f} s '
          f'({len(outcomes) / max(elapsed, 1e-9):.1f}/s)', file=out)
    print(f'{"feature":<{width}}  ' + '  '.join(f'{c:>8}' for c in CLASSES), file=out)
    for key in ['all'] + sorted(k for k in table if k != 'all'):
        mark = '  (pending)' if key in PENDING_FEATURES else ''
        print(f'{key:<{width}}  ' + '  '.join(f'{table[key][c]:>8}' for c in CLASSES) + mark,
              file=out)
    second = collections.Counter(o.second_size for o in outcomes if o.cls == 'right')
    print(f"second size (same ranks, other sizes; the right programs): {second['reused']} "
          f"through the specialisation of the first call, {second['new code']} through new "
          f"code, {second['']} not run (Python fails at those sizes)", file=out)
    second = collections.Counter(o.second_order for o in outcomes if o.cls == 'right')
    print(f"second order (sg.grad of sg.grad, programs without loops; the right ones): "
          f"{second['right']} right, {second['refused']} refused", file=out)
    inconclusive = sum(o.inconclusive for o in outcomes)
    if inconclusive:
        print(f'({inconclusive} gradient checks inconclusive near a kink, counted right)', file=out)
    groups = collections.defaultdict(list)
    for o in outcomes:
        if o.cls != 'right':
            groups[signature(o)].append(o)
    if groups:
        print('\nby cause (count, first seeds):', file=out)
    for key, members in sorted(groups.items(), key=lambda kv: (kv[0].split(':')[0], -len(kv[1]))):
        seeds = ', '.join(str(o.seed) for o in members[:5])
        print(f'  {len(members):5d}  {key[:150]}   [{seeds}]', file=out)
    bad = [o for o in outcomes if o.cls in ('wrong', 'crashed', 'invalid')]
    if bad:
        print('\nwrong / crashed / invalid:', file=out)
    flag = f' --features {",".join(features_arg)}' if features_arg else \
        ' --pending' if pending else ''
    for o in bad:
        print(f'  seed {o.seed} [{o.cls}] {",".join(o.features)}: {o.reason}', file=out)
        print(f'      {o.path}   (python -m tests.fuzz --replay {o.seed}{flag})', file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tests.fuzz', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--programs', type=int, default=500)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--features', type=lambda s: tuple(s.split(',')), default=None,
                        help=f'comma-separated, from: {",".join(FEATURES)}')
    parser.add_argument('--settled', action='store_true',
                        help='only the features not in PENDING_FEATURES')
    parser.add_argument('--pending', action='store_true',
                        help='without --features: every feature, PENDING_FEATURES too')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--keep', default=None, help='directory for the sources kept')
    parser.add_argument('--timeout', type=float, default=20.0, help='seconds per program')
    parser.add_argument('--replay', type=int, default=None, metavar='SEED')
    parser.add_argument('--shrink', action='store_true',
                        help='with --replay: shrink a failing program and print it')
    args = parser.parse_args(argv)
    chosen = args.features
    if args.features is None and not args.pending:
        args.features = tuple(f for f in FEATURES if f not in PENDING_FEATURES)
    if args.settled:
        args.features = tuple(f for f in args.features or FEATURES
                              if f not in PENDING_FEATURES)
    unknown = set(args.features or ()) - set(FEATURES)
    if unknown:
        parser.error(f'unknown features {sorted(unknown)}; known: {", ".join(FEATURES)}')
    directory = args.keep or tempfile.mkdtemp(prefix='s2sgrad-fuzz-')
    os.makedirs(directory, exist_ok=True)

    if args.replay is not None:
        program = generate(args.replay, args.features)
        print(program.source)
        print(f'# features {program.features}  wrt {program.wrt}  by keyword '
              f'{program.keywords}  scalar {program.scalar_spelling}  rebind {program.rebind}')
        o = run(program, directory, timeout=args.timeout, keep_right=True)
        print(o.detail, end='')
        print(f'{o.cls}: {o.reason}' + (' (inconclusive)' if o.inconclusive else ''))
        print(f'source: {o.path}')
        if args.shrink and o.cls not in ('right', 'refused'):
            small = shrink(program, args.timeout)
            o = run(small, directory, args.timeout, keep_right=True,
                    name=f'fuzz_{args.replay}_min')
            print(f'\n# shrunk (wrt {small.wrt}, rebind {small.rebind}):')
            print(small.source)
            print(f'{o.cls}: {o.reason}\nsource: {o.path}')
        return 0 if o.cls in ('right', 'refused') else 1

    start = time.time()
    outcomes = run_many(range(args.seed, args.seed + args.programs), args.features,
                        directory, args.jobs, args.timeout)
    report(outcomes, chosen, time.time() - start, pending=args.pending)
    if chosen is None and not args.pending and PENDING_FEATURES:
        print(f'(not run: the pending features {", ".join(sorted(PENDING_FEATURES))}, '
              f'known to fail: --pending runs them; docs/fuzzing.md)')
    return 0 if all(o.cls in ('right', 'refused') for o in outcomes) else 1


if __name__ == '__main__':
    sys.exit(main())
