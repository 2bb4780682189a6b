"""Gradient rules: scipy.special (being written; scipy stays optional)."""
