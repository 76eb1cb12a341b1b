"""The audit log: who changed what, people and agents alike."""
