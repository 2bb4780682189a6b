"""Colourings of a Jacobian's sparsity pattern: which columns (or rows) one pass may
compute together.

Two columns are structurally orthogonal when no row has a nonzero in both: the
sum of their seeds gives both columns in one forward pass, each read off the
rows where it can be nonzero.  `colour_columns(pattern)` colours the column
intersection graph (columns adjacent where they share a row: pattern^T pattern)
greedily, in largest-first order (the columns with most neighbours first,
ties by index), each column the smallest colour none of its neighbours has.
`colour_rows` is the same on the transpose, for reverse mode.  (The greedy
largest-first order is the one Coleman and Moré, and ColPack, start from;
its count is at least the most nonzeros in a row, and equals it for block
structures such as bundle adjustment's.)
"""
import numpy as np


# the most entries of a column intersection graph built whole (its memory); past it,
# each column's neighbours are found from the pattern when the column is coloured
MOST_EDGES = 50_000_000


def colour_columns(pattern):
    """(colours: an int array, one per column, count) of a csr bool pattern."""
    n = pattern.shape[1]
    if n == 0:
        return np.zeros(0, np.int64), 0
    csr = pattern.tocsr()
    csc = csr.tocsc()
    per_row = np.diff(csr.indptr).astype(np.float64)
    if np.sum(per_row * per_row) <= MOST_EDGES:
        adjacency = (csc.T @ csc).tocsr()
        degree = np.diff(adjacency.indptr)

        def neighbours(v):
            return adjacency.indices[adjacency.indptr[v]:adjacency.indptr[v + 1]]
    else:
        # (a column's degree counted with repeats: the order only needs to be near)
        degree = np.asarray(csc.T @ per_row).ravel()

        def neighbours(v):
            rows = csc.indices[csc.indptr[v]:csc.indptr[v + 1]]
            starts, lengths = csr.indptr[rows], np.diff(csr.indptr)[rows]
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            return csr.indices[offsets + np.arange(int(lengths.sum()))]
    order = np.lexsort((np.arange(n), -degree))
    colours = np.full(n, -1, np.int64)
    stamp = np.full(n + 1, -1, np.int64)    # stamp[c] == v: a neighbour of v has colour c
    count = 0
    for v in order:
        near = colours[neighbours(v)]
        stamp[near[near >= 0]] = v
        free = np.flatnonzero(stamp[:count + 1] != v)[0]
        colours[v] = free
        count = max(count, free + 1)
    return colours, int(count)


def fewest_passes(pattern, directions=('forward', 'reverse')):
    """(direction, colours, count): the colouring of columns ('forward') or rows
    ('reverse') with fewer colours, forward on a tie.  A direction whose lower bound
    (the most nonzeros in a row, for columns; in a column, for rows) is no better
    than a colouring found is not computed."""
    csr = pattern.tocsr()
    bounds = {'forward': int(np.diff(csr.indptr).max(initial=0)),
              'reverse': int(np.diff(csr.tocsc().indptr).max(initial=0))}
    best = None
    for direction in sorted(directions, key=lambda d: (bounds[d], d != 'forward')):
        if best is not None and bounds[direction] >= best[2]:
            continue
        colours, count = (colour_columns if direction == 'forward' else colour_rows)(csr)
        if best is None or count < best[2]:
            best = (direction, colours, count)
    return best


def colour_rows(pattern):
    """(colours, count) of the rows of a csr bool pattern (reverse mode's seeds)."""
    return colour_columns(pattern.T.tocsr())


def check_colouring(pattern, colours, by_rows=False):
    """Raise AssertionError if two columns (rows) of one colour share a row (column)."""
    seen = pattern.tocsr() if not by_rows else pattern.T.tocsr()
    for row in range(seen.shape[0]):
        found = colours[seen.indices[seen.indptr[row]:seen.indptr[row + 1]]]
        assert len(np.unique(found)) == len(found), f'row {row}: colours {found}'
