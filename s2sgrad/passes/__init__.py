"""IR-to-IR passes."""
