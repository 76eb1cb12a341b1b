"""Worker processes: registration, heartbeats and claims through the API."""
