"""Provider presets: configuration and how each maps its claims."""

from __future__ import annotations

import pytest

from gatepass.errors import ConfigurationError
from gatepass.strategies import OAuth2Strategy, OIDCStrategy, ProviderProfile, providers
from gatepass.strategies.oauth.oidc import standard_profile


def verify(profile: ProviderProfile) -> ProviderProfile:
    return profile


def test_google_preset_is_an_oidc_strategy_on_googles_issuer() -> None:
    strategy = providers.google(
        client_id="id", client_secret="s", callback_url="https://app.test/cb", verify=verify
    )
    assert isinstance(strategy, OIDCStrategy)
    assert strategy.issuer == "https://accounts.google.com"
    assert strategy.discovery.url == "https://accounts.google.com/.well-known/openid-configuration"
    assert strategy.name == "google"


def test_microsoft_preset_uses_the_tenant_issuer() -> None:
    strategy = providers.microsoft(
        client_id="id",
        client_secret="s",
        callback_url="https://app.test/cb",
        verify=verify,
        tenant="0b8e3e6f-0000-4000-8000-000000000001",
    )
    assert strategy.issuer == (
        "https://login.microsoftonline.com/0b8e3e6f-0000-4000-8000-000000000001/v2.0"
    )


@pytest.mark.parametrize("tenant", ["common", "organizations", "consumers"])
def test_microsoft_multi_tenant_endpoints_are_refused_with_the_fix(tenant: str) -> None:
    with pytest.raises(ConfigurationError, match="tenant id"):
        providers.microsoft(
            client_id="id",
            client_secret="s",
            callback_url="https://app.test/cb",
            verify=verify,
            tenant=tenant,
        )


def test_microsoft_email_counts_as_verified_only_with_xms_edov() -> None:
    # nOAuth: Entra ID's email claim is editable by tenant admins and unverified.
    claims = {"sub": "s1", "email": "Boss@Corp.example", "name": "Boss"}
    plain = providers.microsoft_profile("microsoft", claims)
    assert plain.email == "Boss@Corp.example"
    assert plain.email_verified is False
    vouched = providers.microsoft_profile("microsoft", {**claims, "xms_edov": True})
    assert vouched.email_verified is True


def test_microsoft_email_falls_back_to_an_address_like_preferred_username() -> None:
    profile = providers.microsoft_profile(
        "microsoft", {"sub": "s1", "preferred_username": "kim@corp.example"}
    )
    assert profile.email == "kim@corp.example"
    assert profile.email_verified is False
    assert (
        providers.microsoft_profile("microsoft", {"sub": "s", "preferred_username": "kim"}).email
        is None
    )


def test_standard_profile_reads_email_verified_strictly() -> None:
    for value, expected in [(True, True), ("true", True), ("TRUE", True), ("1", False), (1, False)]:
        profile = standard_profile("p", {"sub": "s", "email_verified": value})
        assert profile.email_verified is expected, value


def test_github_preset_posts_client_credentials_and_points_at_github() -> None:
    strategy = providers.github(
        client_id="id", client_secret="s", callback_url="https://app.test/cb", verify=verify
    )
    assert isinstance(strategy, OAuth2Strategy)
    assert strategy.authorization_url == "https://github.com/login/oauth/authorize"
    assert strategy.token_url == "https://github.com/login/oauth/access_token"
    assert strategy.flow.client.client_auth == "client_secret_post"
    assert strategy.flow.client.scope == "read:user user:email"
