"""The sparse Jacobian's container (s2sgrad/sparse.py): SciPy's csr matrix."""


def _sg_sparse_jacobian(values, rows, columns, shape):
    """The Jacobian of `shape` whose nonzeros are `values` at (rows, columns): a
    scipy.sparse csr matrix (the only helper that needs SciPy)."""
    import scipy.sparse
    return scipy.sparse.csr_matrix((values, (rows, columns)), shape=shape)
