"""Workspaces, their members and roles, and the permission table every domain checks."""
