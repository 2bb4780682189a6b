"""Analyses over the IR; results live in side tables keyed by IR values."""
