"""Gradient rules: linalg (being written)."""
