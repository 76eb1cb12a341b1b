"""Demonstration data: a workspace full of realistic issues."""
