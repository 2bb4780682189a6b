"""Gradient rules: fft (being written)."""
