"""API keys: shown once, stored hashed, scoped, optionally acting as an agent."""
