"""Dependencies between issues (blocks, blocked by, relates to)."""
