"""Invitations: how a person joins a workspace, by accepting."""
