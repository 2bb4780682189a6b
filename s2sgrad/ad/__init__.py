"""Reverse-mode AD over the IR."""
