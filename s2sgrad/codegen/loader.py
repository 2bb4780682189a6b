"""Load generated source as a live function, under a file name `linecache` knows.

Tracebacks through generated code then show its lines, and the API maps a
failing generated line back to the user's line (see api.annotate).
"""
import linecache

_count = {}


def load(generated, label):
    """Compile and run `generated.source`; return (function, file name)."""
    n = _count[label] = _count.get(label, 0) + 1
    filename = f'<s2sgrad {label}>' if n == 1 else f'<s2sgrad {label} #{n}>'
    source = generated.source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(generated.namespace)
    exec(compile(source, filename, 'exec'), namespace)
    return namespace[generated.name], filename
