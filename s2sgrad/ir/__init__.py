"""The static-graph intermediate representation (see nodes.py)."""
