"""The tables bench/run.py prints from its results, and the issue's targets they miss.

The first table gives each workload's slowest spelling (the highest median
ratio of s2sgrad's gradient to the hand-written one, or to the spelling's
forward where the workload's target is against the forward); the second every
spelling; then s2sgrad against each peer on the same spelling, with the
issue's target against the peers (`peer_target`).  Times, peak memory and
first calls follow per workload, the worst spelling where s2sgrad is concerned.
"""


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


def table(rows, headers, left=1):
    """Columns padded to width; the first `left` columns and a last 'what' column left-aligned."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    last = len(headers) - 1 if headers[-1] == 'what' else None

    def line(cells):
        return '  '.join(str(c).ljust(wd) if i < left or i == last else str(c).rjust(wd)
                         for i, (c, wd) in enumerate(zip(cells, widths))).rstrip()
    out = [line(headers), line(['-' * wd for wd in widths])]
    out += [line(r) for r in rows]
    return '\n'.join(out)


def label(res):
    return f"({res['letter']}) {res['name']}"


def spelling(res, key):
    return next(s for s in res['spellings'] if s['spelling'] == key)


def slowest(res):
    """The slowest spelling's result, or None when no spelling was timed."""
    return spelling(res, res['slowest']) if res.get('slowest') else None


def worst(res, figure):
    """The largest `figure(spelling result)` over the spellings, None where there is none."""
    values = [v for v in map(figure, res['spellings']) if v is not None]
    return max(values) if values else None


def mem_ratio(s, base='hand'):
    """A spelling's peak memory over the hand gradient's (or its own forward's)."""
    mem = s.get('peak_bytes') or {}
    return mem['s2sgrad'] / mem[base] if mem.get('s2sgrad') and mem[base] else None


def transform_figure(name):
    return lambda s: s['transform'][name] if s.get('transform') else None


def peer_first_call(pname):
    return lambda s: s.get('peers', {}).get(pname, {}).get('first_call_ms')


def fresh_figure(name):
    """A figure of the first call in a new interpreter (bench/run.py fresh_first_call):
    'once_ms' (beyond a warm call), 'once_cpu_ms' (its processor time)."""
    return lambda s: ((s.get('transform') or {}).get('fresh_process') or {}).get(name)


def once_ms(s):
    """What sg.grad(f) and its first call cost beyond a warm call, ms: in a new
    interpreter where measured, else in this process after others."""
    fresh = fresh_figure('once_ms')(s)
    t = s.get('transform')
    if fresh is not None or not t:
        return fresh
    steady = (s.get('median_s') or {}).get('s2sgrad')
    return None if steady is None else t['fresh_first_call_ms'] - steady * 1e3


def fmt_opt(x, spec):
    return '-' if x is None else format(x, spec)


def check_cell(res):
    refused = sum(s['status'] == 'refused' for s in res['spellings'])
    cell = 'ok' if res['status'] == 'ok' else res['status']
    return cell + (f' ({refused} refused)' if refused else '')


def peer_cell(s, pname, figure):
    """A peer's `figure` ratio on spelling result `s`, else its status ('err', 'skipped'; '-')."""
    info = (s or {}).get('peers', {}).get(pname)
    if info is None:
        return '-'
    if info['status'] != 'ok':
        return info['status']
    return fmt_ratio(s['ratios'].get(figure))


def jax_beats_hand(s):
    """jax.jit(grad) faster than the hand-written NumPy gradient on spelling `s` (same round)."""
    r = s.get('ratios', {}).get('jax/hand')
    return r is not None and r['median'] < 1.0


def peer_target(res):
    """The issue's target against the peers, for workload result `res`.

    s2sgrad must be ahead of every peer on each spelling where jax.jit(grad) is
    not faster than the hand gradient, measured as s2sgrad/peer on that spelling
    in the same rounds.  Returns (spellings where it applies, spellings exempt,
    [(spelling, peer, s2sgrad/peer median, note)] where a peer is not behind).
    A peer that ran on the first spelling only (`--peer-spellings first`) is
    compared there, and, asymmetrically, by its ratio to the hand gradient
    against the slowest spelling's s2sgrad/hand.
    """
    applies, exempt, behind = [], [], []
    for s in res['spellings']:
        if jax_beats_hand(s):
            exempt.append(s['spelling'])
            continue
        applies.append(s['spelling'])
        for p, info in s.get('peers', {}).items():
            r = s['ratios'].get(f's2sgrad/{p}')
            if info['status'] == 'ok' and r and r['median'] >= 1.0:
                behind.append((s['spelling'], p, r['median'], ''))
    slow, first = slowest(res), res['spellings'][0] if res['spellings'] else None
    if slow and slow is not first and not slow.get('peers') and slow['spelling'] in applies:
        sg = slow['ratios']['s2sgrad/hand']
        for p, info in first.get('peers', {}).items():
            r = first['ratios'].get(f'{p}/hand')
            if info['status'] == 'ok' and r and sg and sg['median'] >= r['median']:
                behind.append((slow['spelling'], p, sg['median'] / r['median'],
                               f'the peer on {first["spelling"]}, by their ratios to hand'))
    return applies, exempt, behind


def report(results, peers, rounds):
    heads = ['workload', 'slowest', 'sg/hand', 'sg/fwd', 'fastest', 'hand/fwd']
    heads += [f'{p}/hand' for p in peers]
    heads += ['xform ms', '1st call +ms', 'mem sg/hand', 'check']
    rows = []
    for res in results:
        s = slowest(res)
        fast = spelling(res, res['fastest']) if res.get('fastest') else None
        rows.append([label(res), s['spelling'] if s else '-',
                     fmt_ratio(s and s['ratios']['s2sgrad/hand']),
                     fmt_ratio(s and s['ratios']['s2sgrad/forward']),
                     fmt_ratio(fast and fast['ratios'][res['slowest_by']]),
                     fmt_ratio(res.get('ratios', {}).get('hand/forward'))]
                    + [peer_cell(s, p, f'{p}/hand') for p in peers]
                    + [fmt_opt(worst(res, transform_figure('transform_ms')), '.1f'),
                       fmt_opt(worst(res, once_ms), '.1f'),
                       fmt_opt(worst(res, mem_ratio), '.2f'), check_cell(res)])
    print('The slowest spelling of each workload:')
    print(table(rows, heads, left=2))
    print()
    print('sg = s2sgrad.grad; ratios are medians over rounds of (time / time of the hand-written '
          'gradient taking the same argument types, or of the spelling\'s own NumPy forward) in '
          'the same round.')
    print('slowest = the spelling with the highest sg/hand (sg/fwd where the target is against '
          'the forward: (g)); fastest = the lowest of the same; hand/fwd: the first spelling; '
          'the peers: the slowest spelling (- where they did not run it).')
    print("xform ms = sg.grad(f) + first .source access (a new object each time, median of "
          "repeats after the first); 1st call +ms = sg.grad(f) + its first call less a warm "
          "call, in a new interpreter after import s2sgrad (the least of --fresh-processes; "
          "target <= 50 ms but for (h)); mem = peak traced memory (tracemalloc) of one "
          "gradient call, s2sgrad over hand-written; these three: the worst spelling.")
    for res in results:
        if res.get('reason'):
            print(f"{res['status']} {label(res)}: {res['reason']}")
        for s in res['spellings']:
            if s['status'] == 'refused':
                print(f"  refused (known) {label(res)} {s['spelling']}: {s['reason']}")
            if s.get('note_to_maintainers'):
                print(f"  {label(res)} {s['spelling']}: {s['note_to_maintainers']}")
    print()

    rows = []
    for res in results:
        for i, s in enumerate(res['spellings']):
            t = s.get('transform')
            rows.append([label(res) if i == 0 else '', s['spelling'],
                         fmt_ratio(s.get('ratios', {}).get('s2sgrad/hand')),
                         fmt_ratio(s.get('ratios', {}).get('s2sgrad/forward')),
                         fmt_ratio(s.get('ratios', {}).get('forward/first forward')),
                         fmt_time(s.get('median_s', {}).get('s2sgrad')),
                         f"{t['transform_ms']:.1f}" if t else '-',
                         fmt_opt(once_ms(s), '.1f'),
                         fmt_opt(mem_ratio(s), '.2f'), fmt_opt(mem_ratio(s, 'forward'), '.2f'),
                         s['status'], s['note']])
    print('Every spelling (fwd/fwd1 = its forward over the first spelling\'s forward; mem sg/fwd '
          '= peak memory over its own forward\'s):')
    print(table(rows, ['workload', 'spelling', 'sg/hand', 'sg/fwd', 'fwd/fwd1', 's2sgrad',
                       'xform ms', '1st call +ms', 'mem sg/hand', 'mem sg/fwd', 'check', 'what'],
                left=2))
    print()

    if peers:
        peers_report(results, peers)

    heads = ['workload', 'hand', 'forward', 's2sgrad'] + list(peers) + ['reps/round']
    rows = []
    for res in results:
        if 'median_s' not in res:
            continue
        m, s = res['median_s'], slowest(res)
        first = res['spellings'][0]['median_s']
        rows.append([label(res), fmt_time(m['hand']), fmt_time(first['forward']),
                     fmt_time(s and s['median_s']['s2sgrad'])]
                    + [fmt_time(s and s['median_s'].get(p)) for p in peers]
                    + [str(res['reps_per_round'].get(f"s2sgrad[{s['spelling']}]", '-') if s
                           else '-')])
    print(f'Median time per call ({rounds} interleaved rounds; hand and forward: the first '
          'spelling; s2sgrad and the peers: the slowest):')
    print(table(rows, heads))
    print()

    mem_peers = [p for p in peers if peers[p].traced_memory]
    rows = []
    for res in results:
        mem = res.get('peak_bytes')
        if not mem:
            continue
        first = res['spellings'][0]['peak_bytes']
        sg_mem = worst(res, lambda s: (s.get('peak_bytes') or {}).get('s2sgrad'))
        rows.append([label(res)] + [fmt_opt(x and x / 2 ** 20, '.2f') for x in
                                    [first['hand'], first['forward'], sg_mem]
                                    + [first.get(p) for p in mem_peers]])
    if rows:
        print('Peak memory of one call, MiB (tracemalloc; s2sgrad: the largest spelling; '
              'the peers: the first):')
        print(table(rows, ['workload', 'hand', 'forward', 's2sgrad'] + mem_peers))
        print()

    first = []
    for res in results:
        if worst(res, transform_figure('cold_transform_ms')) is None:
            continue
        first.append([label(res)]
                     + [f'{worst(res, transform_figure(k)):{spec}}' for k, spec in
                        (('cold_transform_ms', '.1f'), ('construct_ms', '.2f'),
                         ('source_ms', '.1f'), ('call_after_source_ms', '.1f'),
                         ('fresh_first_call_ms', '.1f'))]
                     + [fmt_opt(worst(res, fresh_figure('once_ms')), '.1f'),
                        fmt_opt(worst(res, fresh_figure('once_cpu_ms')), '.1f')]
                     + [fmt_opt(worst(res, peer_first_call(p)), '.0f') for p in peers])
    if first:
        print('Transform and first call, ms (s2sgrad, the worst spelling: cold = first transform '
              'of the function in this process; others: median over new sg.grad objects; '
              'new process = sg.grad(f) + first call less a warm call, in a new interpreter, '
              'and its processor time; a peer: its first call, transform or compilation '
              'included, worst spelling):')
        print(table(first, ['workload', 'cold', 'sg.grad()', '.source', 'call after',
                            'fresh 1st call', 'new process', '(cpu)']
                    + [f'{p} 1st' for p in peers]))
        print()


def peers_report(results, peers):
    """s2sgrad against each peer on the same spelling, and the issue's target against them."""
    rows = []
    for res in results:
        applies, exempt, behind = peer_target(res)
        for i, s in enumerate(res['spellings']):
            if not s.get('peers'):
                continue
            late = [p for key, p, _, _ in behind if key == s['spelling']]
            rows.append([label(res) if i == 0 else '', s['spelling'],
                         fmt_ratio(s.get('ratios', {}).get('s2sgrad/hand')),
                         peer_cell(s, 'jax', 'jax/hand') if 'jax' in peers else '-']
                        + [peer_cell(s, p, f's2sgrad/{p}') for p in peers]
                        + ['jax < hand: exempt' if s['spelling'] in exempt
                           else 'not ahead of ' + ', '.join(late) if late else 'ahead'])
    print('s2sgrad against the peers, each on the same spelling (sg/peer: median over rounds of '
          's2sgrad time / peer time in the same round; below 1 = s2sgrad ahead):')
    print(table(rows, ['workload', 'spelling', 'sg/hand', 'jax/hand']
                + [f'sg/{p}' for p in peers] + ['target'], left=2))
    print()
    print('Target: ahead of every peer on every workload where jax.jit(grad) is not faster than '
          'the hand-written NumPy gradient (checked per spelling, each peer on the same spelling):')
    for res in results:
        applies, exempt, behind = peer_target(res)
        if not applies:
            verdict = 'jax.jit faster than hand on every spelling: does not apply'
        elif behind:
            verdict = 'MISSED: ' + '; '.join(
                f'{key}: {p} (sg/{p} {r:.2f}' + (f', {note}' if note else '') + ')'
                for key, p, r, note in behind)
        else:
            verdict = 'met: ahead of every peer that ran'
        if applies and exempt:
            verdict += f" (exempt, jax faster than hand: {', '.join(exempt)})"
        print(f'  {label(res)}: {verdict}')
    for res in results:
        for s in res['spellings']:
            for pname, info in s.get('peers', {}).items():
                if info['status'] != 'ok':
                    print(f"  {pname} {info['status']} on {label(res)} {s['spelling']}: "
                          f"{info['reason']}")
    print()


def scaling_report(scaling):
    print('(h) transform time against the length of the function (new sg.grad objects):')
    rows = [[str(r['lines']), f"{r.get('cold_transform_ms', float('nan')):.1f}",
             f"{r.get('transform_ms', float('nan')):.1f}",
             f"{r.get('transform_ms', float('nan')) / r['lines'] * 1e3:.1f}",
             f"{r.get('transform_cpu_ms', float('nan')):.1f}",
             f"{r.get('transform_cpu_ms', float('nan')) / r['lines'] * 1e3:.1f}",
             f"{r.get('fresh_first_call_ms', float('nan')):.1f}", r['check'] or 'ok']
            for r in scaling['rows']]
    print(table(rows, ['lines', 'cold ms', 'xform ms', 'us/line', 'cpu ms', 'cpu us/line',
                       'fresh 1st call ms', 'check']))
    if scaling['exponent'] is not None:
        print(f"log-log slope of transform time against lines: {scaling['exponent']:.2f} "
              f"in processor time, {scaling['wall_exponent']:.2f} in wall time (1 = linear)")
    print()


def target_misses(results, scaling):
    """The issue's targets missed, one line each: every spelling must meet them."""
    misses = []
    for res in results:
        if res['status'] != 'ok':
            misses.append(f"{label(res)}: {res['status']}: {res['reason']}")
        for s in res['spellings']:
            where = f"{label(res)} {s['spelling']}"
            if s['status'] == 'refused':
                misses.append(f"{where}: refused: {s['reason']}")
            if s['status'] != 'ok' or 'ratios' not in s:
                continue
            for what, limit in res['targets'].items():
                got = s['ratios'].get(f's2sgrad/{what}')
                if got and got['median'] > limit:
                    misses.append(f"{where}: s2sgrad/{what} = {got['median']:.2f} > {limit}")
            once = once_ms(s)
            if once is not None and once > 50 and res['name'] != 'long':
                misses.append(f'{where}: sg.grad(f) + first call = {once:.1f} ms more than '
                              'a warm call (> 50 ms)')
            fresh = (s.get('transform') or {}).get('fresh_process') or {}
            if 'error' in fresh:
                misses.append(f"{where}: the first call in a new interpreter failed: "
                              f"{fresh['error']}")
            ratio = mem_ratio(s)
            if ratio is not None and ratio > 1.2:
                misses.append(f'{where}: peak memory {ratio:.2f}x hand > 1.2x')
        for key, p, r, note in peer_target(res)[2]:
            misses.append(f"{label(res)} {key}: not ahead of {p} (s2sgrad/{p} = {r:.2f}"
                          + (f'; {note}' if note else '') + ')')
    if scaling and scaling['exponent'] is not None and scaling['exponent'] > 1.15:
        misses.append(f"(h) long: transform time grows as lines^{scaling['exponent']:.2f} "
                      '(processor time), not linearly')
    return misses
