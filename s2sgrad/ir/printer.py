"""`str(graph)`: one op per line with its origin, e.g. `h = tanh(_add)    # model.py:12`.

Values print as their name hint with a number where a hint repeats, so the
text is stable (no ids) and golden-testable.
"""
from .nodes import Const, If, Loop, Pack, Slice, Value, values_in

COLUMN = 40


class _Names:
    def __init__(self):
        self.names = {}
        self.counts = {}

    def __call__(self, v):
        if v not in self.names:
            base = v.hint or 't'
            n = self.counts.get(base, 0)
            self.counts[base] = n + 1
            self.names[v] = base if n == 0 else f'{base}.{n}'
        return self.names[v]


def _operand(o, names):
    if isinstance(o, Value):
        return names(o)
    if isinstance(o, Const):
        value = o.value
        if o.spelling:
            return o.spelling
        name = getattr(value, '__name__', None)
        return name if name and not isinstance(value, (str, int, float)) else repr(value)
    if isinstance(o, Pack):
        inner = ', '.join(_operand(i, names) for i in o.items)
        return f'[{inner}]' if o.kind == 'list' else f'({inner}{"," if len(o.items) == 1 else ""})'
    if isinstance(o, Slice):
        return ':'.join('' if isinstance(p, Const) and p.value is None else _operand(p, names)
                        for p in (o.start, o.stop, o.step))
    return repr(o)


def prim_name(prim):
    name = getattr(prim, '__name__', None) or repr(prim)
    return name


def _line(text, origin, indent):
    text = '  ' * indent + text
    if origin is None:
        return text
    pad = max(1, COLUMN - len(text))
    return f'{text}{" " * pad}# {origin.short}'


def _loop(op, names, indent, lines):
    outs = ', '.join(names(o) for o in op.outputs)
    carried = ', '.join(f'{names(p)} = {_operand(i, names)}' for p, i in zip(op.phis, op.inits))
    if op.kind == 'for':
        head = f'for {", ".join(names(t) for t in op.targets)} in {_operand(op.iterable, names)}'
    else:
        head = 'while'
    lines.append(_line(f'{outs + " = " if outs else ""}{head} [{carried}]:', op.origin, indent))
    if op.kind == 'while':
        lines.append('  ' * (indent + 1) + 'cond:')
        _block(op.cond_block, names, indent + 2, lines)
        lines.append('  ' * (indent + 2) + f'test {_operand(op.cond, names)}')
    lines.append('  ' * (indent + 1) + 'body:')
    _block(op.body, names, indent + 2, lines)
    nexts = ', '.join(_operand(n, names) for n in op.nexts)
    lines.append('  ' * (indent + 2) + f'next {nexts}')
    if op.exit is not None:
        lines.append('  ' * (indent + 2) + f'break if {_operand(op.exit, names)}')


def _block(block, names, indent, lines):
    for op in block.ops:
        if isinstance(op, Loop):
            _loop(op, names, indent, lines)
            continue
        if isinstance(op, If):
            outs = ', '.join(names(o) for o in op.outputs)
            lines.append(_line(f'{outs + " = " if outs else ""}if {_operand(op.test, names)}:',
                               op.origin, indent))
            for label, inner, results in (('then', op.then_block, op.then_results),
                                          ('else', op.else_block, op.else_results)):
                lines.append('  ' * (indent + 1) + label + ':')
                _block(inner, names, indent + 2, lines)
                yields = ', '.join('<undefined>' if r is None else _operand(r, names)
                                   for r in results)
                lines.append('  ' * (indent + 2) + f'yield {yields}')
            continue
        args = [_operand(a, names) for a in op.args]
        args += [f'{k}={_operand(v, names)}' for k, v in op.kwargs.items()]
        outs = ', '.join(names(o) for o in op.outputs)
        tag = '  [grad]' if op.adjoint is not None else ''
        lines.append(_line(f'{outs} = {prim_name(op.prim)}({", ".join(args)}){tag}',
                           op.origin, indent))


def format_graph(graph):
    names = _Names()
    for p in graph.params:
        names.names[p.value] = p.name
        names.counts[p.name] = 1
    lines = [f'graph {graph.name}({", ".join(p.name for p in graph.params)}):']
    _block(graph.body, names, 1, lines)
    if graph.result is not None:
        lines.append(f'  return {_operand(graph.result, names)}')
    return '\n'.join(lines) + '\n'


__all__ = ['format_graph', 'values_in']
