"""API keys through the SDK: create (secret once), sign in with one, list, revoke."""

from __future__ import annotations

import pytest

from praisonai_platform.client import AuthenticationError, PermissionDenied
from tests.client.conftest import PASSWORD, ClientFactory, unique_email


def test_api_keys_round_trip(clients: ClientFactory) -> None:
    owner = clients()
    owner.register(email=unique_email("keys"), password=PASSWORD)
    created = owner.api_keys.create(label="ci", scopes=["read"])
    assert created.key.startswith("ppk_") and created.key.startswith(created.prefix)

    with_key = clients(api_key=created.key)
    assert with_key.me().id == owner.me().id
    with pytest.raises(PermissionDenied):
        with_key.workspaces.create(name="read-only keys cannot write")

    listed = owner.api_keys.list()
    assert [k.id for k in listed] == [created.id] and listed.total == 1
    assert [k.id for k in owner.api_keys.iter()] == [created.id]
    owner.api_keys.revoke(created.id)
    assert owner.api_keys.list()[0].active is False
    with pytest.raises(AuthenticationError):
        with_key.me()
