"""Outgoing webhooks: signed HTTP deliveries of the workspace change feed."""
