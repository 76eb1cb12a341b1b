"""The documentation's server snippets run against the same live server as the SDK tests."""

from tests.client.conftest import client_database, server

__all__ = ["client_database", "server"]
