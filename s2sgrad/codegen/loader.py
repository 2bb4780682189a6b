"""Load generated source as a live function, under a file name `linecache` knows.

Tracebacks through generated code then show its lines, and the API maps a
failing generated line back to the user's line (see api.annotate).
"""
import linecache

_count = {}


def file_name(label):
    """The pseudo file name of the next function with this label (`#n` from the second)."""
    n = _count[label] = _count.get(label, 0) + 1
    return f'<s2sgrad {label}>' if n == 1 else f'<s2sgrad {label} #{n}>'


def load(generated, filename):
    """Compile and run `generated.source` under `filename`; return the function."""
    source = generated.source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(generated.namespace)
    exec(compile(source, filename, 'exec'), namespace)
    return namespace[generated.name]
