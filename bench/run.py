"""Performance benchmark of s2sgrad against hand-written NumPy gradients and peers.

    python bench/run.py                     # full run (~1.5 min), table on stdout
    python bench/run.py --quick             # correctness of every workload + 2 short rounds (CI)
    python bench/run.py --json out.json     # also write every figure as JSON
    python bench/run.py --only mlp_small,rnn   # some workloads (names or letters a-h)
    python bench/run.py --profile euler     # generated source + cProfile of its gradient calls

For every workload (bench/workloads.py): the s2sgrad gradient is checked
against the hand-written one (rtol 1e-6, float64; the hand gradient itself is
checked against central differences), then the hand gradient, the NumPy
forward, the s2sgrad gradient and the installed peers (autograd,
jax.jit(jax.grad), tangent) are timed in interleaved rounds in this process;
s2sgrad's transform and first-call times and the peak memory of one gradient
call (tracemalloc) are measured too.  BLAS runs on one thread.

Exit status: 1 if s2sgrad fails on a workload (error or wrong gradient) or a
hand gradient disagrees with finite differences; 0 otherwise.  Timing targets
are reported, never enforced.
"""
import os

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS',
             'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS'):
    os.environ[_var] = '1'          # before NumPy is imported: BLAS on one thread
# jax (when installed) on the CPU, on one thread too
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') + ' --xla_cpu_multi_thread_eigen=false'
                           ' intra_op_parallelism_threads=1').strip()

import argparse
import datetime
import gc
import json
import platform
import statistics
import sys
import time
import tracemalloc
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))      # this checkout's s2sgrad

import numpy as np

import s2sgrad as sg
import workloads as W

RTOL = 1e-6
perf_counter = time.perf_counter

# Workloads s2sgrad cannot pass yet: name -> reason.  --quick skips them with
# a printed 'SKIPPED' line (keeping CI green); a full run still runs them and
# reports FAIL.  Empty when every workload passes.
SKIP_IN_QUICK = {}


# ------------------------------------------------------------------ machine

def machine_info():
    cpu = 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as fh:
            for line in fh:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or cpu
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    blas = 'unknown'
    try:
        cfg = np.show_config(mode='dicts')['Build Dependencies']['blas']
        blas = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:
        pass
    return {
        'nproc': nproc, 'cpu': cpu, 'numpy': np.__version__,
        'python': platform.python_version(), 'platform': platform.platform(),
        'blas': blas, 'loadavg': _loadavg(), 's2sgrad': s2sgrad_revision(),
        'date': datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
    }


def s2sgrad_revision():
    """The commit of the s2sgrad being measured (+ 'dirty' for local changes), if known."""
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(sg.__file__)))
    try:
        out = subprocess.run(['git', 'describe', '--always', '--dirty', '--abbrev=12'],
                             cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return out.stdout.strip() if out.returncode == 0 else 'not a git checkout'


def _loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def threadpool_state():
    try:
        import threadpoolctl
    except ImportError:
        env = ', '.join(f'{v}={os.environ[v]}' for v in
                        ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'))
        return None, f'threadpoolctl not installed: state not checked ({env} set before importing numpy)'
    info = threadpoolctl.threadpool_info()
    text = '; '.join(f"{p.get('internal_api')} {p.get('version')} threads={p.get('num_threads')}"
                     for p in info) or 'no thread pools found'
    return info, text


# -------------------------------------------------------------------- peers

def _rebind(fn, npmod):
    """The same function with `np` and `math` meaning `npmod` (autograd.numpy, jax.numpy)."""
    g = dict(fn.__globals__, np=npmod, math=npmod)
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


def _version(*dists):
    from importlib import metadata
    for d in dists:
        try:
            return metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    return '?'


def load_peers(wanted):
    """{name: (version, maker)}; maker(workload, args) -> a gradient call of no arguments."""
    peers, notes = {}, []
    if 'autograd' in wanted:
        try:
            import autograd
            import autograd.numpy as anp

            def make_autograd(w, args):
                g = autograd.grad(_rebind(w.fn, anp), argnum=w.wrt)
                return lambda: g(*args)
            peers['autograd'] = (_version('autograd'), make_autograd)
        except ImportError as exc:
            notes.append(f'autograd: not installed ({exc})')
    if 'jax' in wanted:
        try:
            import jax
            jax.config.update('jax_enable_x64', True)
            import jax.numpy as jnp

            def make_jax(w, args):
                static = tuple(i for i, a in enumerate(args)
                               if i not in w.wrt and not isinstance(a, np.ndarray))
                g = jax.jit(jax.grad(_rebind(w.fn, jnp), argnums=w.wrt), static_argnums=static)
                jargs = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
                return lambda: jax.block_until_ready(g(*jargs))
            peers['jax'] = (jax.__version__, make_jax)
        except ImportError as exc:
            notes.append(f'jax: not installed ({exc})')
    if 'tangent' in wanted:
        try:
            import tangent

            def make_tangent(w, args):
                with warnings.catch_warnings():     # its generated code has `1 is None`
                    warnings.simplefilter('ignore', SyntaxWarning)
                    g = tangent.grad(w.fn, wrt=w.wrt, verbose=0)
                if len(w.wrt) == 1:
                    return lambda: (g(*args),)
                return lambda: g(*args)
            peers['tangent'] = (_version('tangent-ad', 'tangent'), make_tangent)
        except Exception as exc:
            notes.append(f'tangent: not importable ({type(exc).__name__}: {exc})')
    return peers, notes


# -------------------------------------------------------------- correctness

def compare(got, want, names, strict):
    """None if `got` agrees with `want` (tuples of gradients), else the reason.

    Elementwise rtol 1e-6, with an absolute floor of 1e-9 x the largest
    entry of the expected gradient (entries that cancel to ~0 differ by rounding).
    `strict` also checks the types, shapes and dtypes of the API contract.
    """
    if not isinstance(got, tuple):
        got = (got,) if len(want) == 1 else got
    if not isinstance(got, (tuple, list)) or len(got) != len(want):
        return f'returned {type(got).__name__}, expected {len(want)} gradients'
    for name, g, h in zip(names, got, want):
        if strict:
            if isinstance(h, float) and not isinstance(g, float):
                return f'd{name} is {type(g).__name__}, expected float'
            if isinstance(h, np.ndarray) and (not isinstance(g, np.ndarray)
                                              or g.shape != h.shape or g.dtype != h.dtype):
                return (f'd{name} is {type(g).__name__} {getattr(g, "shape", "")} '
                        f'{getattr(g, "dtype", "")}, expected {h.shape} {h.dtype}')
        g, h = np.asarray(g, dtype=float), np.asarray(h, dtype=float)
        if g.shape != h.shape:
            return f'd{name} has shape {g.shape}, expected {h.shape}'
        if not np.all(np.isfinite(g)):
            return f'd{name} has non-finite entries'
        atol = 1e-9 * float(np.max(np.abs(h))) if h.size else 0.0
        if not np.allclose(g, h, rtol=RTOL, atol=atol):
            err = float(np.max(np.abs(g - h) / (np.abs(h) + atol + 1e-300)))
            return f'd{name} differs from the hand gradient: max rel err {err:.2e} > {RTOL:g}'
    return None


def fd_check(w, args, hand, rng, tol=1e-5):
    """None if the hand gradient agrees with a central difference along a random direction."""
    dirs = {}
    for i in w.wrt:
        a = args[i]
        dirs[i] = rng.normal(size=np.shape(a)) if isinstance(a, np.ndarray) else float(rng.normal())

    def at(t):
        moved = list(args)
        for i, d in dirs.items():
            moved[i] = args[i] + t * d
        return float(w.fn(*moved))

    h = 1e-5
    numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)
    analytic = float(sum(np.sum(g * dirs[i]) for g, i in zip(hand, w.wrt)))
    scale = max(abs(analytic), abs(numeric), 1e-12)
    if abs(numeric - analytic) > tol * scale:
        return (f'hand gradient disagrees with finite differences: '
                f'{analytic!r} vs {numeric!r}')
    return None


def snapshot(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def unchanged(before, args):
    return all(not isinstance(a, np.ndarray) or np.array_equal(a, b)
               for a, b in zip(args, before))


# ------------------------------------------------------------------- timing

def calibrate(call, target):
    """Repetitions so that `reps` calls take about `target` seconds."""
    n = 1
    while True:
        t0 = perf_counter()
        for _ in range(n):
            call()
        dt = perf_counter() - t0
        if dt >= target / 4 or n >= 1 << 20:
            return max(1, round(target * n / max(dt, 1e-9)))
        n *= 4


def interleaved(calls, rounds, target):
    """{name: [seconds per call, one per round]}, candidates round-robin within each round."""
    reps = {name: calibrate(call, target) for name, call in calls.items()}
    times = {name: [] for name in calls}
    names = list(calls)
    enabled = gc.isenabled()
    try:
        for r in range(rounds):
            gc.collect()
            gc.disable()
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                call, n = calls[name], reps[name]
                t0 = perf_counter()
                for _ in range(n):
                    call()
                times[name].append((perf_counter() - t0) / n)
            if enabled:
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return times, reps


def ratio(times, a, b):
    """Median over rounds of time[a] / time[b] in the same round, and its quartiles."""
    if a not in times or b not in times:
        return None
    rs = sorted(x / y for x, y in zip(times[a], times[b]))
    q = statistics.quantiles(rs, n=4) if len(rs) >= 2 else [rs[0], rs[0], rs[0]]
    return {'median': statistics.median(rs), 'q1': q[0], 'q3': q[2]}


def peak_bytes(call):
    """Peak traced memory (bytes) above the start of one call: temporaries and results."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = call()
        peak = tracemalloc.get_traced_memory()[1]
        del out
    finally:
        tracemalloc.stop()
    return peak - base


def transform_times(w, args, repeats):
    """s2sgrad: sg.grad(f), first .source, then first call; and a fresh first call alone.

    Each repeat builds a new sg.grad(f) object (nothing global is cleared, so
    only the first repeat of a function reads and parses its source: 'cold').
    """
    rows = []
    for _ in range(repeats):
        t0 = perf_counter()
        g = sg.grad(w.fn, wrt=w.wrt)
        t1 = perf_counter()
        g.source
        t2 = perf_counter()
        g(*args)
        t3 = perf_counter()
        g2 = sg.grad(w.fn, wrt=w.wrt)
        t4 = perf_counter()
        g2(*args)
        t5 = perf_counter()
        rows.append({'construct_ms': (t1 - t0) * 1e3, 'source_ms': (t2 - t1) * 1e3,
                     'call_after_source_ms': (t3 - t2) * 1e3,
                     'fresh_first_call_ms': (t5 - t4) * 1e3})
    warm = rows[1:] or rows
    med = {k: statistics.median(r[k] for r in warm) for k in rows[0]}
    med['transform_ms'] = med['construct_ms'] + med['source_ms']
    med['cold_transform_ms'] = rows[0]['construct_ms'] + rows[0]['source_ms']
    med['repeats'] = repeats
    return med


# ----------------------------------------------------------------- workload

def run_workload(w, peers, opts):
    res = {'name': w.name, 'letter': w.letter, 'title': w.title, 'targets': w.targets,
           'status': 'ok', 'reason': None, 'peers': {}}
    rng = np.random.default_rng(0)
    args = w.make_inputs(rng)
    names = [list(_params(w.fn))[i] for i in w.wrt]

    hand = w.hand(*args)
    reason = fd_check(w, args, hand, np.random.default_rng(1))
    if reason:
        res.update(status='BENCH-ERROR', reason=reason)
        return res

    # s2sgrad: transform times (fresh objects), then the correctness check
    g = None
    try:
        res['transform'] = transform_times(w, args, opts.transform_repeats)
        g = sg.grad(w.fn, wrt=w.wrt)
        before = snapshot(args)
        got = g(*args)
        reason = compare(got, hand, names, strict=True)
        if reason is None and not unchanged(before, args):
            reason = 'the gradient call modified an argument in place'
        if reason is None:      # the same call with keyword arguments (may take another path)
            kwargs = dict(zip(_params(w.fn), args))
            reason = compare(sg.grad(w.fn, wrt=w.wrt)(**kwargs), hand, names, strict=True)
            reason = reason and reason + ' (called with keyword arguments)'
    except Exception as exc:
        reason = f'{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ""}'
    if reason:
        res.update(status='FAIL', reason=reason)
        g = None

    calls = {'hand': lambda: w.hand(*args), 'forward': lambda: w.fn(*args)}
    if g is not None:
        calls['s2sgrad'] = lambda: g(*args)
    for pname, (_, maker) in peers.items():
        info = res['peers'][pname] = {}
        if pname in w.skip_peers:
            info.update(status='skipped', reason=w.skip_peers[pname])
            continue
        try:
            t0 = perf_counter()
            call = maker(w, args)
            out = call()
            info['first_call_ms'] = (perf_counter() - t0) * 1e3
            bad = compare(out, hand, names, strict=False)
        except Exception as exc:
            bad = f'error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ""}'
        if bad:
            info['status'] = 'err' if bad.startswith('error') else 'wrong'
            info['reason'] = bad
            continue
        info['status'] = 'ok'
        calls[pname] = call

    times, reps = interleaved(calls, opts.rounds, opts.round_seconds)
    res['median_s'] = {k: statistics.median(v) for k, v in times.items()}
    res['reps_per_round'] = reps
    res['rounds'] = opts.rounds
    res['ratios'] = {}
    for name in calls:
        if name != 'hand':
            res['ratios'][f'{name}/hand'] = ratio(times, name, 'hand')
        if name != 'forward':
            res['ratios'][f'{name}/forward'] = ratio(times, name, 'forward')

    if w.memory and opts.memory:
        mem = {'hand': peak_bytes(calls['hand']), 'forward': peak_bytes(calls['forward'])}
        if 's2sgrad' in calls:
            mem['s2sgrad'] = peak_bytes(calls['s2sgrad'])
        for pname in peers:
            if pname in calls and pname != 'jax':      # jax allocates outside tracemalloc
                mem[pname] = peak_bytes(calls[pname])
        res['peak_bytes'] = mem
    return res


def _params(fn):
    import inspect
    return inspect.signature(fn).parameters


def long_scaling(opts):
    """Transform time of the generated straight-line function against its length."""
    rows = []
    for n in W.LONG_SCALING:
        w = W.long_function(n, seed=n)
        args = w.make_inputs(np.random.default_rng(0))
        row = {'lines': n}
        try:
            t = transform_times(w, args, opts.transform_repeats)
            got = sg.grad(w.fn, wrt=w.wrt)(*args)
            row.update(t)
            row['check'] = compare(got, w.hand(*args), [f'x{i}' for i in w.wrt], strict=True)
        except Exception as exc:
            row['check'] = f'{type(exc).__name__}: {exc}'
        rows.append(row)
    ok = [r for r in rows if 'transform_ms' in r]
    fit = None
    if len(ok) >= 2:
        xs = np.log([r['lines'] for r in ok])
        ys = np.log([r['transform_ms'] for r in ok])
        fit = float(np.polyfit(xs, ys, 1)[0])
    return {'rows': rows, 'exponent': fit}


def profile(w, seconds=1.0):
    """Print the generated source a call runs and a cProfile of s2sgrad's gradient calls."""
    import cProfile
    import pstats
    args = w.make_inputs(np.random.default_rng(0))
    g = sg.grad(w.fn, wrt=w.wrt)
    g(*args)
    compiled = g.compiled
    try:        # the code a call really runs, where calls are specialised
        if args and all(type(a) is float for a in args) and hasattr(g, 'compiled_for_floats'):
            compiled = g.compiled_for_floats
        elif hasattr(g, 'compiled_for'):
            compiled = g.compiled_for(args)
    except Exception as exc:
        print(f'(no specialised code: {type(exc).__name__}: {exc})')
    print(compiled.generated.source)
    n = calibrate(lambda: g(*args), seconds)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        g(*args)
    prof.disable()
    print(f'cProfile of {n} calls of sg.grad({w.fn.__name__}) (times inflated by the profiler):')
    pstats.Stats(prof).sort_stats('tottime').print_stats(20)


# ------------------------------------------------------------------- report

def fmt_ratio(r):
    if r is None:
        return '-'
    return f"{r['median']:.2f}"


def fmt_time(s):
    if s is None:
        return '-'
    if s < 1e-3:
        return f'{s * 1e6:.1f} us'
    if s < 1:
        return f'{s * 1e3:.2f} ms'
    return f'{s:.2f} s'


def table(rows, headers):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: '  '.join(str(c).ljust(wd) if i == 0 else str(c).rjust(wd)
                                   for i, (c, wd) in enumerate(zip(cells, widths))).rstrip()
    out = [line(headers), line(['-' * wd for wd in widths])]
    out += [line(r) for r in rows]
    return '\n'.join(out)


def peer_cell(res, pname):
    info = res['peers'].get(pname)
    if info is None:
        return '-'
    if info['status'] != 'ok':
        return info['status']
    return fmt_ratio(res['ratios'].get(f'{pname}/hand'))


def report(results, peers, opts):
    heads = ['workload', 'sg/hand', 'sg/fwd', 'hand/fwd']
    heads += [f'{p}/hand' for p in peers]
    heads += ['xform ms', '1st call ms', 'mem sg/hand', 'check']
    rows = []
    for res in results:
        if res['status'] == 'SKIPPED':
            rows.append([f"({res['letter']}) {res['name']}"] + ['-'] * (len(heads) - 2)
                        + ['SKIPPED'])
            continue
        r = res.get('ratios', {})
        t = res.get('transform')
        mem = res.get('peak_bytes', {})
        memratio = (f"{mem['s2sgrad'] / mem['hand']:.2f}" if 's2sgrad' in mem and mem['hand']
                    else '-')
        check = 'ok' if res['status'] == 'ok' else res['status']
        rows.append([f"({res['letter']}) {res['name']}", fmt_ratio(r.get('s2sgrad/hand')),
                     fmt_ratio(r.get('s2sgrad/forward')), fmt_ratio(r.get('hand/forward'))]
                    + [peer_cell(res, p) for p in peers]
                    + [f"{t['transform_ms']:.1f}" if t else '-',
                       f"{t['call_after_source_ms']:.1f}" if t else '-', memratio, check])
    print(table(rows, heads))
    print()
    print('sg = s2sgrad.grad; ratios are medians over rounds of (time / time of the hand-written '
          'gradient, or of the NumPy forward) in the same round.')
    print("xform ms = sg.grad(f) + first .source access (a new object each time, median of "
          "repeats after the first); 1st call ms = the call that follows.")
    print('mem = peak traced memory (tracemalloc) of one gradient call, s2sgrad over hand-written.')
    for res in results:
        if res.get('reason'):
            print(f"{res['status']} ({res['letter']}) {res['name']}: {res['reason']}")
        for pname, info in res.get('peers', {}).items():
            if info.get('status') not in (None, 'ok'):
                print(f"  {pname} on ({res['letter']}) {res['name']}: {info['reason']}")
    print()

    heads = ['workload', 'hand', 'forward', 's2sgrad'] + list(peers) + ['reps/round']
    rows = []
    for res in results:
        if 'median_s' not in res:
            continue
        m = res['median_s']
        rows.append([f"({res['letter']}) {res['name']}"]
                    + [fmt_time(m.get(k)) for k in ['hand', 'forward', 's2sgrad'] + list(peers)]
                    + [str(res['reps_per_round'].get('s2sgrad', '-'))])
    print(f'Median time per call ({opts.rounds} interleaved rounds):')
    print(table(rows, heads))
    print()

    rows = []
    for res in results:
        mem = res.get('peak_bytes')
        if not mem:
            continue
        rows.append([f"({res['letter']}) {res['name']}"]
                    + [f"{mem[k] / 2 ** 20:.2f}" if k in mem else '-'
                       for k in ['hand', 'forward', 's2sgrad'] + [p for p in peers if p != 'jax']])
    if rows:
        print('Peak memory of one call, MiB (tracemalloc):')
        print(table(rows, ['workload', 'hand', 'forward', 's2sgrad']
                    + [p for p in peers if p != 'jax']))
        print()

    first = []
    for res in results:
        t = res.get('transform')
        if t:
            first.append([f"({res['letter']}) {res['name']}", f"{t['cold_transform_ms']:.1f}",
                          f"{t['construct_ms']:.2f}", f"{t['source_ms']:.1f}",
                          f"{t['call_after_source_ms']:.1f}", f"{t['fresh_first_call_ms']:.1f}"]
                         + [f"{res['peers'][p]['first_call_ms']:.0f}"
                            if res['peers'].get(p, {}).get('first_call_ms') is not None else '-'
                            for p in peers])
    if first:
        print('Transform and first call, ms (s2sgrad: cold = first transform of the function in '
              'this process; others: median over new sg.grad objects):')
        print(table(first, ['workload', 'cold', 'sg.grad()', '.source', 'call after',
                            'fresh 1st call'] + [f'{p} 1st' for p in peers]))
        print()


def target_misses(results, scaling):
    misses = []
    for res in results:
        if res['status'] != 'ok':
            if res['status'] != 'SKIPPED':
                misses.append(f"({res['letter']}) {res['name']}: {res['status']}: {res['reason']}")
            continue
        r = res['ratios']
        label = f"({res['letter']}) {res['name']}"
        for what, limit in res['targets'].items():
            got = r.get(f's2sgrad/{what}')
            if got and got['median'] > limit:
                misses.append(f"{label}: s2sgrad/{what} = {got['median']:.2f} > {limit}")
        for p in res['peers']:
            pr, sr = r.get(f'{p}/hand'), r.get('s2sgrad/hand')
            if pr and sr and sr['median'] >= pr['median']:
                misses.append(f"{label}: not faster than {p} ({sr['median']:.2f} vs "
                              f"{pr['median']:.2f} x hand)")
        t = res.get('transform')
        if t and res['name'] != 'long':
            # the one-time cost: a fresh object's first call less a steady call
            once = t['fresh_first_call_ms'] - res['median_s']['s2sgrad'] * 1e3
            if once > 50:
                misses.append(f'{label}: sg.grad(f) + first call = {once:.1f} ms more than '
                              'a steady call (> 50 ms)')
        mem = res.get('peak_bytes', {})
        if 's2sgrad' in mem and mem['hand'] and mem['s2sgrad'] > 1.2 * mem['hand']:
            misses.append(f"{label}: peak memory {mem['s2sgrad'] / mem['hand']:.2f}x hand > 1.2x")
    if scaling and scaling['exponent'] is not None and scaling['exponent'] > 1.15:
        misses.append(f"(h) long: transform time grows as lines^{scaling['exponent']:.2f}, "
                      'not linearly')
    return misses


# --------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--quick', action='store_true',
                    help='correctness of every workload and two short rounds (a CI check)')
    ap.add_argument('--json', metavar='PATH', help='write all figures to PATH')
    ap.add_argument('--only', metavar='NAMES', help='comma-separated workload names or letters')
    ap.add_argument('--peers', default='autograd,jax,tangent',
                    help='peers to measure when installed (default: %(default)s; "" for none)')
    ap.add_argument('--rounds', type=int, help='interleaved rounds (default 21, quick 2)')
    ap.add_argument('--profile', metavar='NAME',
                    help="print one workload's generated gradient and a cProfile of its calls")
    opts = ap.parse_args(argv)
    if opts.profile:
        found = [w for w in W.workloads(200) if opts.profile in (w.name, w.letter)]
        if not found:
            ap.error(f'unknown workload {opts.profile!r}')
        profile(found[0])
        return 0
    opts.rounds = opts.rounds or (2 if opts.quick else 21)
    opts.round_seconds = 0.002 if opts.quick else 0.03
    opts.transform_repeats = 1 if opts.quick else 5
    opts.memory = not opts.quick
    start = perf_counter()

    machine = machine_info()
    pools, pool_text = threadpool_state()
    print(f"machine: nproc {machine['nproc']}, {machine['cpu']}, numpy {machine['numpy']} "
          f"({machine['blas']}), python {machine['python']}, {machine['platform']}")
    print(f"s2sgrad: {machine['s2sgrad']} ({os.path.dirname(sg.__file__)}); date: "
          f"{machine['date']}; load average at start: {machine['loadavg']}")
    print(f'BLAS threads: {pool_text}')
    wanted = [p for p in opts.peers.split(',') if p]
    peers, notes = load_peers(wanted)
    print('peers: ' + ('; '.join([f'{n} {v}' for n, (v, _) in peers.items()] + notes) or 'none'))
    print(f"mode: {'quick (correctness check, not a timing run)' if opts.quick else 'full'}, "
          f'{opts.rounds} rounds, ~{opts.round_seconds * 1e3:g} ms per candidate per round')
    print()

    # One-time costs of the first transform in the process (imports, rule tables).
    t0 = perf_counter()
    sg.grad(_warmup).source
    warmup_ms = (perf_counter() - t0) * 1e3

    all_w = W.workloads(long_lines=200 if opts.quick else W.LONG_LINES)
    if opts.only:
        keys = {k.strip() for k in opts.only.split(',') if k.strip()}
        unknown = keys - {w.name for w in all_w} - {w.letter for w in all_w}
        if unknown:
            ap.error(f"unknown workload(s) {sorted(unknown)}; known: "
                     + ', '.join(f'{w.letter}={w.name}' for w in all_w))
        all_w = [w for w in all_w if w.name in keys or w.letter in keys]

    results = []
    for w in all_w:
        if opts.quick and w.name in SKIP_IN_QUICK:
            print(f'SKIPPED: ({w.letter}) {w.name}: {SKIP_IN_QUICK[w.name]}')
            results.append({'name': w.name, 'letter': w.letter, 'title': w.title,
                            'status': 'SKIPPED', 'reason': SKIP_IN_QUICK[w.name], 'peers': {}})
            continue
        t0 = perf_counter()
        res = run_workload(w, peers, opts)
        res['wall_s'] = perf_counter() - t0
        status = res['status'] if res['status'] != 'ok' else 'ok'
        print(f"  ({w.letter}) {w.name:<12} {status:<4} {res['wall_s']:6.1f} s   {w.title}"
              + (f"  -- {res['reason']}" if res.get('reason') else ''), flush=True)
        results.append(res)
    print()

    scaling = None
    if not opts.quick and any(w.name == 'long' for w in all_w):
        scaling = long_scaling(opts)

    report(results, peers, opts)
    if scaling:
        print('(h) transform time against the length of the function (new sg.grad objects):')
        rows = [[str(r['lines']), f"{r.get('cold_transform_ms', float('nan')):.1f}",
                 f"{r.get('transform_ms', float('nan')):.1f}",
                 f"{r.get('transform_ms', float('nan')) / r['lines'] * 1e3:.1f}",
                 f"{r.get('fresh_first_call_ms', float('nan')):.1f}", r['check'] or 'ok']
                for r in scaling['rows']]
        print(table(rows, ['lines', 'cold ms', 'xform ms', 'us/line', 'fresh 1st call ms',
                           'check']))
        if scaling['exponent'] is not None:
            print(f"log-log slope of transform time against lines: {scaling['exponent']:.2f} "
                  '(1 = linear)')
        print()

    misses = target_misses(results, scaling)
    if not opts.quick:
        print("Targets of the performance issue missed in this run:" if misses
              else 'Every target of the performance issue met in this run.')
        for m in misses:
            print('  ' + m)
        print()

    failed = [r for r in results if r['status'] not in ('ok', 'SKIPPED')]
    failed += [r for r in (scaling or {}).get('rows', []) if r.get('check')]
    machine['loadavg_end'] = _loadavg()
    print(f"load average at end: {machine['loadavg_end']}; wall time {perf_counter() - start:.1f} s")
    if opts.json:
        doc = {'machine': machine, 'threadpools': pools, 'threadpool_text': pool_text,
               'peers': {n: v for n, (v, _) in peers.items()}, 'peer_notes': notes,
               'mode': 'quick' if opts.quick else 'full', 'rounds': opts.rounds,
               'round_seconds': opts.round_seconds, 'warmup_transform_ms': warmup_ms,
               'workloads': results, 'long_scaling': scaling, 'target_misses': misses,
               'failed': [r.get('name', r.get('lines')) for r in failed]}
        with open(opts.json, 'w') as fh:
            json.dump(doc, fh, indent=1, default=str)
        print(f'wrote {opts.json}')
    if failed:
        print(f'bench/run.py: FAILED: s2sgrad gave no correct gradient for '
              f"{', '.join(str(r.get('name', r.get('lines'))) for r in failed)}", file=sys.stderr)
        return 1
    return 0


def _warmup(x):
    return np.sum(np.sin(x) * np.tanh(x))


if __name__ == '__main__':
    sys.exit(main())
