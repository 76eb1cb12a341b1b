"""AI agents registered in a workspace."""
