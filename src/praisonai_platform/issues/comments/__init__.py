"""Comments on issues."""
