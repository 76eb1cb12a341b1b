"""What every domain shares: errors, enums, actors, paging, the clock, idempotency keys and
settings helpers."""
