"""`sg.jacobian`, `sg.jacrev`, `sg.jacfwd`: the Jacobian as an array (transforms.py:
reverse mode, jacfwd.py: forward mode) or, with `sparse=True`, as a scipy.sparse
csr matrix from the pattern's colours (sparse.py)."""
from .jacfwd import JacfwdFunction
from .sparse import sparse_jacobian
from .transforms import JacobianFunction


def jacrev(fn, wrt=0, sparse=False):
    """The Jacobian of fn w.r.t. the parameters in wrt, by reverse mode: shape
    out.shape + x.shape; a tuple of them for a tuple wrt.  `sparse=True`: a
    scipy.sparse csr matrix (out.size, n), one reverse pass per colour of its rows."""
    return sparse_jacobian(fn, wrt, 'reverse') if sparse else JacobianFunction(fn, wrt)


def jacfwd(fn, wrt=0, sparse=False):
    """The Jacobian of fn w.r.t. the parameters in wrt, by forward mode: shape
    out.shape + x.shape; a tuple of them for a tuple wrt.  One forward-mode pass
    carrying every seed where the code allows (ad/batching.py), else one pass per
    element of each x.  `sparse=True`: a scipy.sparse csr matrix (out.size, n),
    one pass per colour of its columns."""
    return sparse_jacobian(fn, wrt, 'forward') if sparse else JacfwdFunction(fn, wrt)


def jacobian(fn, wrt=0, sparse=False):
    """jacrev; `sparse=True`: a scipy.sparse csr matrix (out.size, n) by forward or
    reverse mode, whichever needs fewer passes for the pattern's colours."""
    return sparse_jacobian(fn, wrt, 'auto') if sparse else JacobianFunction(fn, wrt)


__all__ = ['jacobian', 'jacrev', 'jacfwd']
