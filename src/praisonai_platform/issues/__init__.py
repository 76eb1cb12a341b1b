"""Numbered issues and what hangs off them: comments, labels and dependencies."""
