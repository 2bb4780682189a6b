"""Source capture and name resolution for user functions."""
