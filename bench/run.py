"""Performance benchmark of s2sgrad against hand-written NumPy gradients and peers.

    python bench/run.py                     # full run (~3 min), tables on stdout
    python bench/run.py --quick             # correctness of every spelling + 2 short rounds (CI)
    python bench/run.py --json out.json     # also write every figure as JSON
    python bench/run.py --only mlp_small,rnn   # some workloads (names or letters a-h)
    python bench/run.py --profile euler:int-i  # generated source + cProfile of its gradient calls

Every workload (bench/workloads.py) is written in several spellings.  For each
spelling the s2sgrad gradient is checked against the hand-written one (rtol
1e-6, float64; the hand gradient itself is checked against central
differences, and each spelling's forward against the first's), then the hand
gradient, each spelling's NumPy forward and s2sgrad gradient, and the installed
peers' gradients of each spelling (autograd, jax.jit(jax.grad), Tangent,
tf.function: bench/peers.py; each checked like s2sgrad's first) are timed in
interleaved rounds in this process; s2sgrad's transform and first-call times
and the peak memory of one gradient call (tracemalloc) are measured too, and,
in new interpreters (--fresh-processes), what sg.grad(f) and its first call
cost beyond a warm call (the issue's start-up target).  The report gives each
workload's slowest spelling, then every spelling, then s2sgrad against each
peer on the same spelling.  BLAS runs on one thread.

Exit status: 1 if s2sgrad fails on a spelling (an error or a wrong gradient,
except an error listed in KNOWN_REFUSALS) or a hand gradient disagrees with
finite differences; 0 otherwise.  Timing targets are reported, never enforced.
"""
import os

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS',
             'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS'):
    os.environ[_var] = '1'          # before NumPy is imported: BLAS on one thread

import argparse
import datetime
import gc
import json
import platform
import statistics
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))      # this checkout's s2sgrad

import numpy as np

import peers as P
import report as R
import s2sgrad as sg
import workloads as W

RTOL = 1e-6
perf_counter = time.perf_counter

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


# -------------------------------------------------------------- correctness

def compare(got, want, names, args=None):
    """None if `got` agrees with `want` (tuples of gradients), else the reason.

    Elementwise rtol 1e-6, with an absolute floor of 1e-9 x the largest
    entry of the expected gradient (entries that cancel to ~0 differ by rounding).
    With `args` (the differentiated arguments) each gradient must also have its
    argument's type, shape and dtype, as the API says.
    """
    if not isinstance(got, tuple):
        got = (got,) if len(want) == 1 else got
    if not isinstance(got, (tuple, list)) or len(got) != len(want):
        return f'returned {type(got).__name__}, expected {len(want)} gradients'
    for name, g, h, a in zip(names, got, want, args or [None] * len(want)):
        reason = a is not None and _type_mismatch(g, a)
        if reason:
            return f'd{name} is {reason}'
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


def _type_mismatch(g, arg):
    """Why gradient `g` does not have the type, shape and dtype of `arg`, or None."""
    def kind(x):
        return f'{type(x).__name__} {getattr(x, "shape", "")} {getattr(x, "dtype", "")}'.strip()
    if isinstance(arg, (np.ndarray, np.generic)):
        if type(g) is not type(arg) or g.shape != arg.shape or g.dtype != arg.dtype:
            return f'{kind(g)}, expected {kind(arg)}'
    elif isinstance(arg, float) and not isinstance(g, float):
        return f'{kind(g)}, expected float'
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


def transform_times(fn, wrt, args, repeats):
    """s2sgrad: sg.grad(f), first .source, then first call; and a fresh first call alone.

    Each repeat builds a new sg.grad(f) object (nothing global is cleared, so
    only the first repeat of a function reads and parses its source: 'cold').
    """
    rows = []
    for _ in range(repeats):
        cpu, t0 = time.process_time(), perf_counter()
        g = sg.grad(fn, wrt=wrt)
        t1 = perf_counter()
        g.source
        t2, cpu = perf_counter(), time.process_time() - cpu
        g(*args)
        t3 = perf_counter()
        g2 = sg.grad(fn, wrt=wrt)
        t4 = perf_counter()
        g2(*args)
        t5 = perf_counter()
        rows.append({'construct_ms': (t1 - t0) * 1e3, 'source_ms': (t2 - t1) * 1e3,
                     'call_after_source_ms': (t3 - t2) * 1e3,
                     'fresh_first_call_ms': (t5 - t4) * 1e3, 'transform_cpu_ms': cpu * 1e3})
    warm = rows[1:] or rows
    med = {k: statistics.median(r[k] for r in warm) for k in rows[0]}
    med['transform_ms'] = med['construct_ms'] + med['source_ms']
    med['cold_transform_ms'] = rows[0]['construct_ms'] + rows[0]['source_ms']
    med['repeats'] = repeats
    return med


def fresh_first_call(w, sp, repeats):
    """In new interpreters (after `import s2sgrad`, before any transformation): the
    time of sg.grad(f) and its first call, less a warm call's: what a program pays
    once, beyond the call's own run.  The least of `repeats` processes, each run by
    `python bench/run.py --first-call NAME:SPELLING` (`first_call_child`)."""
    import subprocess
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), '--first-call',
                              f'{w.name}:{sp.key}', '--long-lines', str(w.lines or 0)],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            return {'error': (out.stderr.strip().splitlines() or ['?'])[-1]}
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r['once_ms'])


def first_call_child(name, key, long_lines):
    """The child of `fresh_first_call`: print its figures as JSON."""
    w, sp = find_spelling(W.workloads(long_lines=long_lines or W.LONG_LINES), name, key)
    inputs = w.make_inputs(np.random.default_rng(0))
    args = sp.args(inputs)
    w.hand(*sp.hand_args(inputs))   # NumPy's and BLAS's own first-call costs are not s2sgrad's
    cpu, t0 = time.process_time(), perf_counter()
    g = sg.grad(sp.fn, wrt=W.grad_wrt(sp, w.wrt))
    g(*args)
    first, first_cpu = perf_counter() - t0, time.process_time() - cpu
    warm = []
    for _ in range(3):
        cpu, t0 = time.process_time(), perf_counter()
        g(*args)
        warm.append((perf_counter() - t0, time.process_time() - cpu))
    steady = statistics.median(t for t, _ in warm)
    steady_cpu = statistics.median(c for _, c in warm)
    # wall time is the figure; processor time says how much of it others' load is
    print(json.dumps({'first_ms': first * 1e3, 'warm_ms': steady * 1e3,
                      'once_ms': (first - steady) * 1e3,
                      'once_cpu_ms': (first_cpu - steady_cpu) * 1e3}))


def compile_package():
    """Bytecode caches for s2sgrad, as an installed package has (the fresh processes
    import the rule families a first call needs: their compiling is not its cost)."""
    import compileall
    compileall.compile_dir(os.path.dirname(sg.__file__), quiet=1)


# ----------------------------------------------------------------- workload

# Spellings s2sgrad refuses today: (workload, spelling) -> (the exception it
# raises, what is missing).  Such a spelling is reported as 'refused', is not
# timed, and does not fail the run; another exception or a wrong gradient
# does.  When it passes, the run says the entry can go.
KNOWN_REFUSALS = {
    # (workload, spelling): (exception class, why) -- none today
}


def _call(fn, args):
    return lambda: fn(*args)


def check_spelling(w, sp, inputs, names, want, opts):
    """(result dict, sg.grad object or None) for one spelling: transform times and checks."""
    out = {'spelling': sp.key, 'function': sp.fn.__name__, 'note': sp.note,
           'types': sp.types or 'as generated', 'status': 'ok', 'reason': None}
    args, hand_args = sp.args(inputs), sp.hand_args(inputs)
    value = float(sp.fn(*args))
    if not np.isclose(value, want, rtol=1e-9, atol=1e-12):
        out.update(status='BENCH-ERROR', reason=f'its forward gives {value!r}, the first '
                                                f'spelling {want!r}')
        return out, None
    hand = w.hand(*hand_args)
    g = None
    try:
        out['transform'] = transform_times(sp.fn, W.grad_wrt(sp, w.wrt), args,
                                           opts.transform_repeats)
        if opts.fresh_processes:
            out['transform']['fresh_process'] = fresh_first_call(w, sp, opts.fresh_processes)
        g = sg.grad(sp.fn, wrt=W.grad_wrt(sp, w.wrt))
        before = snapshot(hand_args)     # (a container spelling: the arrays it holds)
        reason = compare(W.hand_gradients(sp, g(*args)), hand, names,
                         [hand_args[i] for i in w.wrt])
        if reason is None and not unchanged(before, hand_args):
            reason = 'the gradient call modified an argument in place'
        if reason is None:      # the same call with keyword arguments (may take another path)
            kwargs = dict(zip(_params(sp.fn), args))
            again = sg.grad(sp.fn, wrt=W.grad_wrt(sp, w.wrt))(**kwargs)
            reason = compare(W.hand_gradients(sp, again), hand, names,
                             [hand_args[i] for i in w.wrt])
            reason = reason and reason + ' (called with keyword arguments)'
    except Exception as exc:
        reason = f'{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ""}'
        known = KNOWN_REFUSALS.get((w.name, sp.key))
        if known and isinstance(exc, known[0]):
            out.update(status='refused', reason=f'{reason} ({known[1]})')
            return out, None
    if reason:
        out.update(status='FAIL', reason=reason)
        return out, None
    if (w.name, sp.key) in KNOWN_REFUSALS:
        out['note_to_maintainers'] = 'passes now: remove it from KNOWN_REFUSALS in bench/run.py'
    return out, g


def check_peer(peer, w, sp, inputs, names):
    """(result dict, call or None): the peer's gradient of spelling `sp`, checked as s2sgrad's."""
    skip = P.skip_reason(peer.name, w, sp) or (
        isinstance(sp, W.ContainerSpelling) and 'parameters in a container: s2sgrad only')
    if skip:
        return {'status': 'skipped', 'reason': skip}, None
    info = {}
    try:
        t0 = perf_counter()
        call = peer.make(sp.fn, w.wrt, sp.args(inputs))
        got = call()
        info['first_call_ms'] = (perf_counter() - t0) * 1e3
        bad = compare(got, w.hand(*sp.hand_args(inputs)), names)
    except Exception as exc:
        bad = f'error: {_message(exc)}'
    if bad:
        info.update(status='err' if bad.startswith('error') else 'wrong', reason=bad)
        return info, None
    info['status'] = 'ok'
    return info, call


def _message(exc):
    """`Type: what went wrong`, in one line, from an error a peer raised."""
    lines = [ln.strip() for ln in str(exc).splitlines()
             if ln.strip(' =') and ln.strip() != 'Tangent Error']     # Tangent's banner
    if lines and lines[0] == 'in user code:':      # TensorFlow: a trace, then the error
        lines = lines[-1:]
    text, name = (lines[0] if lines else ''), type(exc).__name__
    text = text if text.startswith(name + ':') else f'{name}: {text}'
    return text if len(text) <= 200 else text[:197] + '...'


def run_workload(w, peers, opts):
    res = {'name': w.name, 'letter': w.letter, 'title': w.title, 'targets': w.targets,
           'status': 'ok', 'reason': None, 'spellings': []}
    rng = np.random.default_rng(0)
    inputs = w.make_inputs(rng)
    names = [list(_params(w.fn))[i] for i in w.wrt]

    hand = w.hand(*inputs)
    reason = fd_check(w, inputs, hand, np.random.default_rng(1))
    if reason:
        res.update(status='BENCH-ERROR', reason=reason)
        return res
    want = float(w.fn(*inputs))

    # Candidates: the hand gradient (once per argument types), and per spelling
    # its forward, its s2sgrad gradient and the peers' (every spelling, or the first).
    calls = {'hand': _call(w.hand, inputs)}
    keys = {}                   # spelling key -> (hand, forward, s2sgrad) candidate names
    peer_keys = {}              # spelling key -> {peer: candidate name}
    for i, sp in enumerate(w.spellings):
        out, g = check_spelling(w, sp, inputs, names, want, opts)
        res['spellings'].append(out)
        hand_key = f'hand[{sp.types}]' if sp.types else 'hand'
        calls.setdefault(hand_key, _call(w.hand, sp.hand_args(inputs)))
        keys[sp.key] = (hand_key, f'forward[{sp.key}]', f's2sgrad[{sp.key}]')
        calls[keys[sp.key][1]] = _call(sp.fn, sp.args(inputs))
        if g is not None:
            calls[keys[sp.key][2]] = _call(g, sp.args(inputs))
        out['peers'], peer_keys[sp.key] = {}, {}
        with_peers = i == 0 or opts.peer_spellings == 'all'
        for peer in (peers.values() if with_peers else ()):
            out['peers'][peer.name], call = check_peer(peer, w, sp, inputs, names)
            if call is not None:
                peer_keys[sp.key][peer.name] = f'{peer.name}[{sp.key}]'
                calls[peer_keys[sp.key][peer.name]] = call
    bad = [s for s in res['spellings'] if s['status'] not in ('ok', 'refused')]
    if bad:
        worst = 'BENCH-ERROR' if any(s['status'] == 'BENCH-ERROR' for s in bad) else 'FAIL'
        res.update(status=worst, reason='; '.join(f"{s['spelling']}: {s['reason']}" for s in bad))

    times, reps = interleaved(calls, opts.rounds, opts.round_seconds)
    ref_forward = keys[w.spellings[0].key][1]
    res['median_s'] = {k: statistics.median(v) for k, v in times.items()}
    res['reps_per_round'] = reps
    res['rounds'] = opts.rounds
    res['ratios'] = {'hand/forward': ratio(times, 'hand', ref_forward)}
    mem = {}
    if w.memory and opts.memory:
        untraced = {k for pk in peer_keys.values() for p, k in pk.items()
                    if not peers[p].traced_memory}     # allocating outside tracemalloc
        mem = {name: peak_bytes(call) for name, call in calls.items() if name not in untraced}
        res['peak_bytes'] = mem

    for out in res['spellings']:
        hand_key, fwd_key, sg_key = keys[out['spelling']]
        out['median_s'] = {'hand': res['median_s'][hand_key],
                           'forward': res['median_s'][fwd_key],
                           's2sgrad': res['median_s'].get(sg_key)}
        out['ratios'] = {'s2sgrad/hand': ratio(times, sg_key, hand_key),
                         's2sgrad/forward': ratio(times, sg_key, fwd_key),
                         'forward/hand': ratio(times, fwd_key, hand_key),
                         'forward/first forward': ratio(times, fwd_key, ref_forward)}
        for p, key in peer_keys[out['spelling']].items():
            out['median_s'][p] = res['median_s'][key]
            out['ratios'][f'{p}/hand'] = ratio(times, key, hand_key)
            out['ratios'][f's2sgrad/{p}'] = ratio(times, sg_key, key)
        if mem:
            out['peak_bytes'] = {'hand': mem[hand_key], 'forward': mem[fwd_key],
                                 's2sgrad': mem.get(sg_key)}
            out['peak_bytes'].update((p, mem[key]) for p, key in peer_keys[out['spelling']].items()
                                     if key in mem)
    # slowest: the spelling farthest from the workload's target (its ratio to the forward
    # where the target is against the forward: (g)), else against the hand gradient
    res['slowest_by'] = by = 's2sgrad/forward' if 'forward' in w.targets else 's2sgrad/hand'
    timed = [s for s in res['spellings'] if s['ratios'][by]]
    if timed:
        res['slowest'] = max(timed, key=lambda s: s['ratios'][by]['median'])['spelling']
        res['fastest'] = min(timed, key=lambda s: s['ratios'][by]['median'])['spelling']
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
            t = transform_times(w.fn, w.wrt, args, opts.transform_repeats)
            got = sg.grad(w.fn, wrt=w.wrt)(*args)
            row.update(t)
            row['check'] = compare(got, w.hand(*args), [f'x{i}' for i in w.wrt], args)
        except Exception as exc:
            row['check'] = f'{type(exc).__name__}: {exc}'
        rows.append(row)
    ok = [r for r in rows if 'transform_ms' in r]
    fits = {}
    if len(ok) >= 2:
        for name in ('transform_ms', 'transform_cpu_ms'):
            xs = np.log([r['lines'] for r in ok])
            ys = np.log([r[name] for r in ok])
            fits[name] = float(np.polyfit(xs, ys, 1)[0])
    # the slope of the processor time is the one judged: others' load on the
    # machine (in wall time) falls on some lengths and not on others
    return {'rows': rows, 'exponent': fits.get('transform_cpu_ms'),
            'wall_exponent': fits.get('transform_ms')}


def profile(w, sp, seconds=1.0):
    """Print the source a call of spelling `sp` runs and a cProfile of its gradient calls."""
    import cProfile
    import pstats
    args = sp.args(w.make_inputs(np.random.default_rng(0)))
    g = sg.grad(sp.fn, wrt=W.grad_wrt(sp, w.wrt))
    g(*args)
    try:        # the code a call really runs, where calls are specialised
        if hasattr(g, 'source_for'):
            source = g.source_for(*args)
        elif args and all(type(a) is float for a in args) and hasattr(g, 'compiled_for_floats'):
            source = g.compiled_for_floats.generated.source
        else:
            source = g.compiled_for(args).generated.source
    except Exception as exc:
        print(f'(no specialised code: {type(exc).__name__}: {exc})')
        source = g.source
    print(source)
    n = calibrate(lambda: g(*args), seconds)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        g(*args)
    prof.disable()
    print(f'cProfile of {n} calls of sg.grad({sp.fn.__name__}) on {sp.types or "the inputs"} '
          '(times inflated by the profiler):')
    pstats.Stats(prof).sort_stats('tottime').print_stats(20)


def find_spelling(workloads, name, key=''):
    """(workload, spelling) of a workload's name or letter and a spelling's key (or
    its first spelling)."""
    found = [(w, sp) for w in workloads if name in (w.name, w.letter)
             for sp in w.spellings if key in ('', sp.key)]
    if not found:
        raise LookupError(f'unknown workload or spelling {name}:{key}; known: ' + ', '.join(
            f'{w.name}:{sp.key}' for w in workloads for sp in w.spellings))
    return found[0]


# --------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--quick', action='store_true',
                    help='correctness of every spelling and two short rounds (a CI check)')
    ap.add_argument('--json', metavar='PATH', help='write all figures to PATH')
    ap.add_argument('--only', metavar='NAMES', help='comma-separated workload names or letters')
    ap.add_argument('--peers', default=','.join(P.NAMES),
                    help='peers to measure when installed (default: %(default)s; "" for none)')
    ap.add_argument('--peer-spellings', choices=('all', 'first'),
                    help='spellings the peers run (default: all; --quick: first)')
    ap.add_argument('--rounds', type=int, help='interleaved rounds (default 21, quick 2)')
    ap.add_argument('--profile', metavar='NAME[:SPELLING]',
                    help="print the gradient one spelling's call runs (default the first) and a "
                         "cProfile of its calls")
    ap.add_argument('--fresh-processes', type=int, metavar='N',
                    help='new interpreters per spelling measuring sg.grad(f) + its first call '
                         'less a warm call (the least of N; default 2, quick 0)')
    ap.add_argument('--first-call', metavar='NAME:SPELLING', help=argparse.SUPPRESS)
    ap.add_argument('--long-lines', type=int, default=0, help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.first_call:
        first_call_child(*opts.first_call.partition(':')[::2], opts.long_lines)
        return 0
    if opts.profile:
        try:
            profile(*find_spelling(W.workloads(200), *opts.profile.partition(':')[::2]))
        except LookupError as exc:
            ap.error(str(exc))
        return 0
    opts.rounds = opts.rounds or (2 if opts.quick else 21)
    opts.peer_spellings = opts.peer_spellings or ('first' if opts.quick else 'all')
    opts.round_seconds = 0.002 if opts.quick else 0.03
    opts.transform_repeats = 1 if opts.quick else 5
    if opts.fresh_processes is None:
        opts.fresh_processes = 0 if opts.quick else 2
    if opts.fresh_processes:
        compile_package()
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
    peers, notes = P.load_peers(wanted)
    print('peers: ' + ('; '.join([f'{p.name} {p.version}' for p in peers.values()] + notes)
                       or 'none')
          + (f"; on {'every' if opts.peer_spellings == 'all' else 'the first'} spelling"
             if peers else ''))
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
        t0 = perf_counter()
        res = run_workload(w, peers, opts)
        res['wall_s'] = perf_counter() - t0
        print(f"  ({w.letter}) {w.name:<12} {R.check_cell(res):<15} {res['wall_s']:6.1f} s   "
              f"{len(w.spellings)} spellings, {w.title}"
              + (f"  -- {res['reason']}" if res.get('reason') else ''), flush=True)
        results.append(res)
    print()

    scaling = None
    if not opts.quick and any(w.name == 'long' for w in all_w):
        scaling = long_scaling(opts)

    R.report(results, peers, opts.rounds)
    if scaling:
        R.scaling_report(scaling)

    misses = R.target_misses(results, scaling)
    if not opts.quick:
        print("Targets of the performance issue missed in this run:" if misses
              else 'Every target of the performance issue met in this run.')
        for m in misses:
            print('  ' + m)
        print()

    failed = [r for r in results if r['status'] != 'ok']
    failed += [r for r in (scaling or {}).get('rows', []) if r.get('check')]
    machine['loadavg_end'] = _loadavg()
    print(f"load average at end: {machine['loadavg_end']}; wall time {perf_counter() - start:.1f} s")
    if opts.json:
        doc = {'machine': machine, 'threadpools': pools, 'threadpool_text': pool_text,
               'peers': {p.name: p.version for p in peers.values()}, 'peer_notes': notes,
               'peer_spellings': opts.peer_spellings,
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
