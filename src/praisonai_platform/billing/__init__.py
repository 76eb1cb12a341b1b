"""Credits: the append-only ledger, metering of runs, and payments."""
