"""Lists indexed at run time, the way recurrent models are written (ADBench's LSTM):
per-layer lists indexed by a loop counter and rewritten each step (`hs[i], cs[i] =
...`), states appended and read back at `t` or `-1`, lists of lists grown per layer,
rows of a 2-d state written into its copy, `list(X)` of an argument, and values read
out of the lists carried by the loops (`v = hs[i]`) before a later `+=`.
"""
from .registry import block, indent


@block('runtime_lists')
def layer_lists(g):
    r, x = g.pick('R'), g.pick('X')
    n = g.index
    hs, cs, t, i, v, z = (f'{s}{n}' for s in ('hs', 'cs', 't', 'i', 'v', 'z'))
    write = g.choice([
        [f'{hs}[{i}], {cs}[{i}] = np.tanh({hs}[{i}] * 0.5 + {v}), '
         f'{cs}[{i}] * 0.9 + 0.1 * {v}'],
        [f'h{n} = {hs}[{i}]', f'{hs}[{i}] = np.tanh(h{n} * 0.5 + {v})',
         f'{cs}[{i}] = {cs}[{i}] * 0.9 + 0.1 * {v}'],
    ])
    loop = g.choice([f'for {i} in range(len({hs})):', f'for {i} in range(2):',
                     f'for {i}, c{n} in enumerate({cs}):'])
    return ([f'{hs} = [{r} * 0.5, np.sin({r})]', f'{cs} = [np.cos({r}), {r} * 0.3]',
             f'for {t} in range(3):', f'    {v} = {x}[{t}] * 0.5', '    ' + loop] +
            indent(write, 2) + [f'        {v} = {hs}[{i}]', f'{z} = 0.0',
                                f'for {i} in range(len({hs})):',
                                f'    {z} += np.sum({hs}[{i}] * {cs}[{i}])',
                                f'acc = acc + 0.3 * {z}', g.add(v)])


@block('runtime_lists')
def states_kept(g):
    r, x = g.pick('R'), g.pick('X')
    n = g.index
    st, new, t, k, prev = (f'{s}{n}' for s in ('st', 'new', 't', 'k', 'prev'))
    read = g.choice([f'{st}[{t}]', f'{st}[-1]', f'{st}[len({st}) - 1]'])
    grow = g.choice([f'{new}.append(np.tanh({prev} * 0.5 + {x}[{t}] * ({k} + 1)))',
                     f'{new} += [np.tanh({prev} * 0.5 + {x}[{t}] * ({k} + 1)), {prev} * 0.1]'])
    keep = g.choice([f'{st}.append({new}[0] + 0.5 * {new}[-1])',
                     f'{st}.append(np.sum(np.stack({new}), axis=0) * 0.3)'])
    return [f'{st} = [{r}]', f'for {t} in range(4):', f'    {prev} = {read}',
            f'    {new} = []', f'    for {k} in range(2):', f'        {grow}', f'    {keep}',
            g.add(f'{st}[-1] * {st}[2]'), g.add(f'{st}[1]')]


@block('runtime_lists')
def lists_of_lists(g):
    r, x = g.pick('R'), g.pick('X')
    n = g.index
    hist, t, l = f'hist{n}', f't{n}', f'l{n}'
    grow = g.choice([f'{hist}[{l}] = {hist}[{l}] + [np.tanh({hist}[{l}][-1] + {x}[{t}])]',
                     f'{hist}[{l}] = [np.tanh({hist}[{l}][0] * 0.5 + {x}[{t}]), {hist}[{l}][0]]'])
    return [f'{hist} = [[{r}, {r} * 0.5], [np.sin({r}), {r}]]', f'for {t} in range(3):',
            f'    for {l} in range(len({hist})):', f'        {grow}',
            g.add(f'{hist}[0][-1] * {hist}[1][0]'), g.add(f'{hist}[1][1]')]


@block('runtime_lists')
def state_rows(g):
    m, r = g.pick('M'), g.pick('R')
    n = g.index
    S, t, i = f'S{n}', f't{n}', f'i{n}'
    write = g.choice([
        [f'{S}[{i}], {S}[{i} + 1] = np.tanh({S}[{i}] + {r}), {S}[{i} + 1] * 0.5 + {S}[{i}]'],
        [f'{S}[{i}] = np.tanh({S}[{i}] + {r})', f'{S}[{i} + 1] = {S}[{i} + 1] * 0.5 + {S}[{i}]'],
    ])
    return ([f'{S} = {m}.copy()', f'for {t} in range(2):',
             f'    for {i} in range(0, len({S}) - 1, 2):'] + indent(write, 2) + [g.add(S)])


@block('runtime_lists')
def rows_of_an_argument(g):
    x, s = g.pick('X'), g.pick('S')
    n = g.index
    rows, k = f'rows{n}', f'k{n}'
    return [f'{rows} = list({x})', f'for {k} in range(1, len({rows})):',
            f'    {rows}[{k}] = np.tanh({rows}[{k} - 1] * {s} + {rows}[{k}])',
            g.add(f'np.stack({rows})'), g.add(f'{rows}[-1] * {rows}[0]')]
