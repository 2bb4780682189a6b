"""The sparse Jacobian's container (s2sgrad/sparse.py): SciPy's csr matrix."""
import numpy as np


def _sg_sparse_jacobian(values, rows, columns, shape):
    """The Jacobian of `shape` whose nonzeros are `values` at (rows, columns): a
    scipy.sparse csr matrix (the only helper that needs SciPy).  Rows in order (as
    a csr pattern's `nonzero()` gives them) make it without sorting."""
    import scipy.sparse
    if len(rows) and np.all(rows[1:] >= rows[:-1]):
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
        return scipy.sparse.csr_matrix((values, columns, indptr), shape=shape)
    return scipy.sparse.csr_matrix((values, (rows, columns)), shape=shape)



def _sg_gathered_columns(local, into, n, repeats):
    """The Jacobian from the local Jacobian of gathers' results (s2sgrad/gathers.py):
    column j of `local` (csr) added into column into[j] of a csr matrix of n
    columns.  `repeats`: some row has two columns added into one (their sum
    then made one entry); else the rows' entries are kept as they are."""
    import scipy.sparse
    jacobian = scipy.sparse.csr_matrix((local.data, into[local.indices], local.indptr),
                                       shape=(local.shape[0], n))
    if repeats:
        jacobian.sum_duplicates()
    return jacobian
