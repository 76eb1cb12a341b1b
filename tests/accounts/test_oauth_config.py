"""Sign-in providers come from PLATFORM_OAUTH_* variables; bad values name their variable."""

from __future__ import annotations

import pytest

from praisonai_platform.accounts.oauth.settings import ProviderKind, load_oauth_config
from praisonai_platform.config import ConfigurationError


def test_nothing_set_means_no_providers() -> None:
    config = load_oauth_config({"PATH": "/usr/bin"})
    assert dict(config.providers) == {}
    assert config.options.public_url is None and config.options.state_ttl_seconds == 600


def test_github_and_google_need_only_their_client() -> None:
    config = load_oauth_config(
        {
            "PLATFORM_OAUTH_GITHUB_CLIENT_ID": "gh-id",
            "PLATFORM_OAUTH_GITHUB_CLIENT_SECRET": "gh-secret",
            "platform_oauth_google_client_id": "g-id",
        }
    )
    github, google = config.providers["github"], config.providers["google"]
    assert github.kind is ProviderKind.GITHUB and github.client_secret == "gh-secret"
    assert (github.base_url, github.api_url) == ("https://github.com", "https://api.github.com")
    assert github.scopes == ("read:user", "user:email")
    assert google.kind is ProviderKind.OIDC and google.issuer == "https://accounts.google.com"
    assert google.client_secret is None and google.display_name == "Google"


def test_any_other_name_is_an_openid_connect_provider() -> None:
    config = load_oauth_config(
        {
            "PLATFORM_OAUTH_MY_CORP_CLIENT_ID": "corp",
            "PLATFORM_OAUTH_MY_CORP_ISSUER": "https://id.corp.example/realms/main/",
            "PLATFORM_OAUTH_MY_CORP_SCOPES": "openid, email groups",
            "PLATFORM_OAUTH_PUBLIC_URL": "https://tracker.example.com/",
            "PLATFORM_OAUTH_STATE_TTL_SECONDS": "120",
        }
    )
    corp = config.providers["my_corp"]
    assert corp.kind is ProviderKind.OIDC and corp.display_name == "My Corp"
    assert corp.issuer == "https://id.corp.example/realms/main/"  # compared exactly, slash kept
    assert corp.scopes == ("openid", "email", "groups")
    assert config.options.public_url == "https://tracker.example.com"
    assert config.options.state_ttl_seconds == 120


def test_github_urls_can_point_elsewhere() -> None:
    config = load_oauth_config(
        {
            "PLATFORM_OAUTH_GITHUB_CLIENT_ID": "gh",
            "PLATFORM_OAUTH_GITHUB_BASE_URL": "https://github.corp.example/",
            "PLATFORM_OAUTH_GITHUB_API_URL": "https://github.corp.example/api/v3",
        }
    )
    assert config.providers["github"].base_url == "https://github.corp.example"
    assert config.providers["github"].api_url == "https://github.corp.example/api/v3"


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({"PLATFORM_OAUTH_CORP_CLIENT_ID": "x"}, "PLATFORM_OAUTH_CORP_ISSUER"),
        (
            {"PLATFORM_OAUTH_CORP_CLIENT_ID": "x", "PLATFORM_OAUTH_CORP_ISSUER": "id.corp"},
            "PLATFORM_OAUTH_CORP_ISSUER",
        ),
        (
            {"PLATFORM_OAUTH_GITHUB_CLIENT_ID": "x", "PLATFORM_OAUTH_GITHUB_API_URL": "ftp://x"},
            "PLATFORM_OAUTH_GITHUB_API_URL",
        ),
        ({"PLATFORM_OAUTH_STATE_TTL_SECONDS": "5"}, "PLATFORM_OAUTH_STATE_TTL_SECONDS"),
        ({"PLATFORM_OAUTH_PUBLIC_URL": "tracker.example.com"}, "PLATFORM_OAUTH_PUBLIC_URL"),
    ],
)
def test_bad_values_name_their_variable(environment: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_oauth_config(environment)


def test_a_bad_provider_setting_stops_the_server_from_starting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from praisonai_platform.api.app import create_app
    from praisonai_platform.core.server_settings import ServerSettings

    monkeypatch.setenv("PLATFORM_OAUTH_CORP_CLIENT_ID", "x")
    with pytest.raises(ConfigurationError, match="PLATFORM_OAUTH_CORP_ISSUER"):
        create_app(ServerSettings(jwt_secret="x" * 40))
