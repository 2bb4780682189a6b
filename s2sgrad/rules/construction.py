"""Gradient rules: stacking, tiling, padding, triangles and other constructions (being written)."""
