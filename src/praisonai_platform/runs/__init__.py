"""Agent runs: queueing, claiming, leases, reports, workers and the run event log."""
