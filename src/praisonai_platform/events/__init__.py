"""The workspace's live event stream: every change of the change feed, as Server-Sent Events."""
