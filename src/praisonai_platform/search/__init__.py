"""Full-text search over a workspace's issues, comments and projects."""
