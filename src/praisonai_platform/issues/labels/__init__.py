"""Labels of a workspace and their links to issues."""
