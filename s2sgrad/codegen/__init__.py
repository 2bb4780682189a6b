"""IR -> Python source, and loading it."""
