"""Payments from providers (Stripe, Telegram) credited exactly once."""
