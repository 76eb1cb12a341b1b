"""Business rules: services take an AsyncSession, flush but never commit, raise domain errors."""
