"""Signing in with the SDK: register, login, logout, me, tokens and the environment."""

from __future__ import annotations

import pytest

from praisonai_platform.client import AuthenticationError, PlatformError, ValidationError
from praisonai_platform.client.models import Session, User
from tests.client.conftest import PASSWORD, ClientFactory, unique_email


def test_register_signs_in_and_me_answers(clients: ClientFactory) -> None:
    client = clients()
    email = unique_email("ada")
    session = client.register(email=email, password=PASSWORD, name=email.split("@")[0])
    assert isinstance(session, Session)
    assert session.user.email == email
    assert client.token == session.token
    me = client.me()
    assert isinstance(me, User)
    assert (me.id, me.email) == (session.user.id, email)


def test_login_logout_and_wrong_password(clients: ClientFactory) -> None:
    email = unique_email()
    clients().register(email=email, password=PASSWORD)
    client = clients()
    with pytest.raises(AuthenticationError) as wrong:
        client.login(email=email, password="not the password")
    assert wrong.value.status_code == 401
    assert wrong.value.code == "invalid_credentials"
    assert str(wrong.value) == "wrong email or password"
    assert client.token is None

    session = client.login(email=email, password=PASSWORD)
    assert client.token == session.token
    assert client.me().email == email

    assert client.logout() is None
    assert client.token is None
    with pytest.raises(AuthenticationError) as anonymous:
        client.me()
    assert anonymous.value.code == "unauthenticated"


def test_register_on_a_taken_email_signs_in_with_its_password_only(
    clients: ClientFactory,
) -> None:
    email = unique_email()
    first = clients().register(email=email, password=PASSWORD)
    # A taken email answers 202, as every registration does by default: the SDK signs in next.
    again = clients()
    assert again.register(email=email, password=PASSWORD).user.id == first.user.id
    assert again.me().id == first.user.id
    with pytest.raises(PlatformError) as taken:  # no account is revealed, none is made
        clients().register(email=email, password="another long password")
    assert (taken.value.status_code, taken.value.code) == (202, "registration_pending")
    assert str(taken.value).startswith("If this address can be used, a message is on its way")
    assert str(taken.value).endswith("Could not sign in with this password.")
    with pytest.raises(ValidationError) as short:
        clients().register(email=unique_email(), password="short")
    assert short.value.status_code == 422
    assert "password" in str(short.value)


def test_a_token_given_to_the_constructor_or_the_environment_is_used(
    clients: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = clients.signed_up()
    email = first.me().email
    assert clients(token=first.token).me().email == email

    monkeypatch.setenv("PLATFORM_URL", f"{clients.base_url}/api/v1/")
    monkeypatch.setenv("PLATFORM_TOKEN", first.token)
    client = clients(from_environment=True)
    assert client.base_url == clients.base_url
    assert client.me().email == email


def test_a_bad_token_is_an_authentication_error(clients: ClientFactory) -> None:
    with pytest.raises(AuthenticationError) as bad:
        clients(token="not-a-token").me()
    assert bad.value.status_code == 401
    assert bad.value.code == "invalid_token"
