"""Social login settings: providers from ``GATEPASS_*``, each incomplete one named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatepass.server.app import create_app
from gatepass.server.cli import load_settings
from gatepass.server.state import ServerState

_PROVIDER_VARIABLES = [
    f"GATEPASS_{name}_{field}"
    for name in ("GITHUB", "GOOGLE", "MICROSOFT", "OIDC")
    for field in ("CLIENT_ID", "CLIENT_SECRET")
] + [
    "GATEPASS_MICROSOFT_TENANT",
    "GATEPASS_OIDC_ISSUER",
    "GATEPASS_OIDC_CLIENT_AUTH",
    "GATEPASS_PUBLIC_URL",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GATEPASS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GATEPASS_SETTINGS_FILE", raising=False)
    for name in [*_PROVIDER_VARIABLES, "GATEPASS_SOCIAL_SIGNUP", "GATEPASS_ISSUER"]:
        monkeypatch.delenv(name, raising=False)


def _refused(monkeypatch: pytest.MonkeyPatch, **values: str) -> str:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        load_settings()
    message = str(exit_info.value.code)
    assert message.startswith("gatepass: the configuration is not valid:")
    return message


def test_no_provider_is_enabled_by_default() -> None:
    settings = load_settings()
    state = ServerState.build(settings)
    assert state.social is not None
    assert state.social.providers == {}
    assert state.social.http is None


def test_each_configured_provider_is_registered_with_its_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "GATEPASS_PUBLIC_URL": "https://auth.example.com/",
        "GATEPASS_GITHUB_CLIENT_ID": "gh-id",
        "GATEPASS_GITHUB_CLIENT_SECRET": "gh-secret",
        "GATEPASS_GOOGLE_CLIENT_ID": "g-id",
        "GATEPASS_GOOGLE_CLIENT_SECRET": "g-secret",
        "GATEPASS_MICROSOFT_CLIENT_ID": "ms-id",
        "GATEPASS_MICROSOFT_CLIENT_SECRET": "ms-secret",
        "GATEPASS_MICROSOFT_TENANT": "9188040d-6c67-4c5b-b112-36a304b66dad",
        "GATEPASS_OIDC_ISSUER": "https://id.example.org",
        "GATEPASS_OIDC_CLIENT_ID": "o-id",
        "GATEPASS_OIDC_CLIENT_SECRET": "o-secret",
        "GATEPASS_OIDC_NAME": "Example ID",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.callback_url("github") == "https://auth.example.com/auth/github/callback"
    state = ServerState.build(settings)
    assert state.social is not None
    titles = {name: provider.title for name, provider in state.social.providers.items()}
    assert titles == {
        "github": "GitHub",
        "google": "Google",
        "microsoft": "Microsoft",
        "oidc": "Example ID",
    }
    ids = {"github": "gh-id", "google": "g-id", "microsoft": "ms-id", "oidc": "o-id"}
    for name in titles:
        strategy = state.auth.strategy(name)
        assert strategy.name == name
        # Each provider is built with its own client and callback, not its neighbour's.
        client = strategy.flow.client  # type: ignore[attr-defined]
        assert client.client_id == ids[name]
        assert client.callback_url == f"https://auth.example.com/auth/{name}/callback"


def test_the_callback_origin_defaults_to_the_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPASS_ISSUER", "https://auth.example.com")
    assert load_settings().callback_url("oidc") == "https://auth.example.com/auth/oidc/callback"


def test_social_signup_follows_registration_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().effective_social_signup is True
    monkeypatch.setenv("GATEPASS_ALLOW_REGISTRATION", "false")
    assert load_settings().effective_social_signup is False
    monkeypatch.setenv("GATEPASS_SOCIAL_SIGNUP", "true")
    assert load_settings().effective_social_signup is True


@pytest.mark.parametrize("provider", ["GITHUB", "GOOGLE", "MICROSOFT", "OIDC"])
def test_a_client_id_without_its_secret_is_refused(
    monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    monkeypatch.setenv("GATEPASS_MICROSOFT_TENANT", "tenant-guid")
    monkeypatch.setenv("GATEPASS_OIDC_ISSUER", "https://id.example.org")
    message = _refused(monkeypatch, **{f"GATEPASS_{provider}_CLIENT_ID": "an-id"})
    assert f"set GATEPASS_{provider}_CLIENT_SECRET too" in message


def test_a_secret_without_its_client_id_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _refused(monkeypatch, GATEPASS_GITHUB_CLIENT_SECRET="a-secret")
    assert "set GATEPASS_GITHUB_CLIENT_ID too" in message


def test_microsoft_needs_one_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPASS_MICROSOFT_CLIENT_SECRET", "ms-secret")
    message = _refused(monkeypatch, GATEPASS_MICROSOFT_CLIENT_ID="ms-id")
    assert "set GATEPASS_MICROSOFT_TENANT" in message
    message = _refused(monkeypatch, GATEPASS_MICROSOFT_TENANT="common")
    assert "no single issuer" in message


def test_the_generic_provider_needs_issuer_and_client_id_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = _refused(monkeypatch, GATEPASS_OIDC_ISSUER="https://id.example.org")
    assert "GATEPASS_OIDC_ISSUER and GATEPASS_OIDC_CLIENT_ID together" in message


@pytest.mark.parametrize("method", [None, "client_secret_basic", "client_secret_post"])
def test_the_generic_provider_authenticates_at_the_token_endpoint_as_set(
    monkeypatch: pytest.MonkeyPatch, method: str | None
) -> None:
    for name, value in {
        "GATEPASS_PUBLIC_URL": "https://auth.example.com",
        "GATEPASS_OIDC_ISSUER": "https://id.example.org",
        "GATEPASS_OIDC_CLIENT_ID": "o-id",
        "GATEPASS_OIDC_CLIENT_SECRET": "o-secret",
    }.items():
        monkeypatch.setenv(name, value)
    if method is not None:
        monkeypatch.setenv("GATEPASS_OIDC_CLIENT_AUTH", method)
    state = ServerState.build(load_settings())
    client = state.auth.strategy("oidc").flow.client  # type: ignore[attr-defined]
    assert client.client_auth == method  # None: as the discovery document says


def test_an_unknown_client_authentication_method_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = _refused(monkeypatch, GATEPASS_OIDC_CLIENT_AUTH="private_key_jwt")
    assert "GATEPASS_OIDC_CLIENT_AUTH" in message
    assert "client_secret_post" in message


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GATEPASS_OIDC_ISSUER", "http://id.example.org", "must use https://"),
        ("GATEPASS_OIDC_ISSUER", "id.example.org", "http:// or https:// URL"),
        ("GATEPASS_PUBLIC_URL", "https://auth.example.com/?x=1", "no query or fragment"),
        ("GATEPASS_PUBLIC_URL", "http://auth.example.com", "must use https://"),
    ],
)
def test_a_url_that_is_not_a_safe_origin_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    message = _refused(monkeypatch, **{name: value})
    assert name in message
    assert expected in message


def test_a_provider_without_a_usable_origin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Neither GATEPASS_PUBLIC_URL nor GATEPASS_ISSUER: no silent development default.
    monkeypatch.setenv("GATEPASS_GITHUB_CLIENT_SECRET", "gh-secret")
    message = _refused(monkeypatch, GATEPASS_GITHUB_CLIENT_ID="gh-id")
    assert "set GATEPASS_PUBLIC_URL" in message


async def test_the_shared_http_client_is_closed_at_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEPASS_PUBLIC_URL", "https://auth.example.com")
    monkeypatch.setenv("GATEPASS_GITHUB_CLIENT_ID", "gh-id")
    monkeypatch.setenv("GATEPASS_GITHUB_CLIENT_SECRET", "gh-secret")
    app = create_app(load_settings())
    state: ServerState = app.state.gatepass
    assert state.social is not None
    assert state.social.http is not None
    async with app.router.lifespan_context(app):
        assert not state.social.http.is_closed
    assert state.social.http.is_closed
