"""What the worker holding a run reports: progress, completion, failure, stop."""
