"""The peers bench/run.py measures beside s2sgrad, when they are installed.

    autograd   autograd.grad of the spelling with `np` meaning autograd.numpy
    jax        jax.jit(jax.grad(...)) with `np` meaning jax.numpy, float64, CPU
    tangent    tangent.grad of the spelling as written (Tangent reads its source)
    tf         tf.function of a tf.GradientTape gradient, `np` meaning
               tensorflow.experimental.numpy with NumPy behaviour enabled, float64

Each peer differentiates the very function of a spelling: for the peers that
trace, its `np` and `math` are rebound to the peer's NumPy (and so are those of
the helper functions it calls from its module, and its module-global arrays
become the peer's arrays, as a user of that library writes them).  A spelling
the peer cannot run (a method its arrays lack, a loop its compiler unrolls for
too long) shows the peer's error, or is skipped with a reason
(`Workload.skip_peers`, `SKIPS`).  Every peer runs on one thread: BLAS through the
variables bench/run.py sets before NumPy is imported, XLA with its
multi-threaded Eigen off, TensorFlow with one intra-op and one inter-op thread.

One environment serves every peer: tangent-ad 0.4 accepts gast 0.6-0.7, as
s2sgrad does (bench/requirements-peers.txt pins a set that installs together).
"""
import dataclasses
import os
import types
import warnings

import numpy as np

NAMES = ('autograd', 'jax', 'tangent', 'tf')


# Spellings a peer is not run on, (workload, spelling, peer) -> why: it would run
# for minutes before failing.  (A peer's limit on a whole workload is in its
# `Workload.skip_peers`.)
_NDARRAY_DOT = ('a NumPy array times autograd boxes by a method (x.dot(W)): NumPy builds an '
                'object array of boxes, product by product, then fails')
SKIPS = {
    ('mlp_small', 'layers', 'autograd'): _NDARRAY_DOT + ' (88 s here)',
    ('mlp_large', 'layers', 'autograd'): _NDARRAY_DOT + ' (far longer than on (b))',
    ('rnn', 'helper', 'autograd'): _NDARRAY_DOT + ' (h.dot(W) with the initial h: 31 s here)',
    ('euler', 'globals', 'autograd'): _NDARRAY_DOT + ' (EULER_L.dot(q): stopped after 60 s '
                                                     'and 4 GB)',
}


def skip_reason(name, w, sp):
    """Why peer `name` is not run on spelling `sp` of workload `w`, or None."""
    return w.skip_peers.get(name) or SKIPS.get((w.name, sp.key, name))


@dataclasses.dataclass
class Peer:
    name: str
    version: str
    make: object            # (fn, wrt, args) -> a call of no arguments returning the gradients
    traced_memory: bool     # its buffers are NumPy's, which tracemalloc sees


def rebind(fn, npmod, asarray=None):
    """`fn` with `np` and `math` meaning `npmod`, and so the functions of its module it calls.

    With `asarray`, the module's global NumPy arrays become `asarray(array)`
    (a constant of the peer's kind).  Default arguments are left as they are.
    """
    module = fn.__globals__
    g = dict(module, np=npmod, math=npmod)
    for name, value in module.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is module:
            g[name] = _with_globals(value, g)
        elif asarray is not None and isinstance(value, np.ndarray):
            g[name] = asarray(value)
    return _with_globals(fn, g)


def _with_globals(fn, g):
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def version(*dists):
    from importlib import metadata
    for d in dists:
        try:
            return metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    return '?'


# ------------------------------------------------------------- each peer

def _autograd():
    import autograd
    import autograd.numpy as anp

    def make(fn, wrt, args):
        g = autograd.grad(rebind(fn, anp), argnum=wrt)
        return lambda: g(*args)
    return Peer('autograd', version('autograd'), make, traced_memory=True)


def _jax():
    os.environ.setdefault('JAX_PLATFORMS', 'cpu')
    os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '')
                               + ' --xla_cpu_multi_thread_eigen=false'
                               ' intra_op_parallelism_threads=1').strip()
    import jax
    jax.config.update('jax_enable_x64', True)
    import jax.numpy as jnp

    def make(fn, wrt, args):
        # arguments neither differentiated nor arrays (eps, dt, T) are compile-time constants
        static = tuple(i for i, a in enumerate(args)
                       if i not in wrt and not isinstance(a, np.ndarray))
        g = jax.jit(jax.grad(rebind(fn, jnp, jnp.asarray), argnums=wrt), static_argnums=static)
        jargs = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
        return lambda: jax.block_until_ready(g(*jargs))
    return Peer('jax', jax.__version__, make, traced_memory=False)


def _tangent():
    import tangent

    def make(fn, wrt, args):
        with warnings.catch_warnings():     # its generated code has `1 is None`
            warnings.simplefilter('ignore', SyntaxWarning)
            g = tangent.grad(fn, wrt=wrt, verbose=0)
        if len(wrt) == 1:
            return lambda: (g(*args),)
        return lambda: g(*args)
    return Peer('tangent', version('tangent-ad', 'tangent'), make, traced_memory=True)


def _tf():
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    import tensorflow as tf
    import tensorflow.experimental.numpy as tnp
    tf.get_logger().setLevel('ERROR')      # not a warning per tf.function traced
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tnp.experimental_enable_numpy_behavior(prefer_float32=False)

    def make(fn, wrt, args):
        f = rebind(fn, tnp, tnp.asarray)

        def gradient(*targs):
            xs = [targs[i] for i in wrt]
            with tf.GradientTape() as tape:
                tape.watch(xs)
                y = f(*targs)
            return tuple(tape.gradient(y, xs))
        g = tf.function(gradient)
        # differentiated scalars become float64 tensors; other Python numbers stay
        # constants of the trace, as jax's static arguments
        targs = tuple(tnp.asarray(a) if i in wrt or isinstance(a, np.ndarray) else a
                      for i, a in enumerate(args))
        return lambda: g(*targs)
    return Peer('tf', tf.__version__, make, traced_memory=False)


LOADERS = {'autograd': _autograd, 'jax': _jax, 'tangent': _tangent, 'tf': _tf}


def load_peers(wanted):
    """({name: Peer} of the wanted peers that import, [a note for each that does not])."""
    peers, notes = {}, []
    for name in wanted:
        if name not in LOADERS:
            notes.append(f'{name}: unknown peer (known: {", ".join(NAMES)})')
            continue
        try:
            peers[name] = LOADERS[name]()
        except Exception as exc:    # ImportError, or a library broken in this environment
            notes.append(f'{name}: not importable ({type(exc).__name__}: {exc})')
    return peers, notes
