"""People's accounts: users, passwords, tokens, API keys and sign-in through OAuth providers."""
