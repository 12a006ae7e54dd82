"""`bootstrap doctor`: the read-only checks."""
