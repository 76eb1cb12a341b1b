"""The typed event log of runs and the system."""
