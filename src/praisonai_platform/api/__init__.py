"""The REST API (FastAPI). Only this package and its callers import the web framework."""
