"""The OAuth options objects: one keyword set per family, passed through unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from gatepass.errors import ProviderError
from gatepass.strategies import OAuth2Strategy, OIDCStrategy, ProviderProfile, providers
from gatepass.strategies.oauth import OAuth2Options, OIDCOptions, userinfo_profile
from gatepass.strategies.oauth._discovery import parse_metadata
from gatepass.strategies.oauth._http import choose_client_auth

CALLBACK = "https://app.test/auth/acme/callback"
CREDENTIALS: dict[str, Any] = {"client_id": "id", "client_secret": "s", "callback_url": CALLBACK}


def verify(profile: ProviderProfile) -> ProviderProfile:
    return profile


def test_keyword_calls_of_the_constructors_keep_working() -> None:
    strategy = OAuth2Strategy(
        authorization_url="https://acme.test/authorize",
        token_url="https://acme.test/token",
        scope="read",
        profile=userinfo_profile("https://acme.test/me"),
        verify=verify,
        name="acme",
        pass_request=True,
        client_auth="client_secret_post",
        authorization_params={"prompt": "login"},
        state_ttl=timedelta(minutes=2),
        timeout=timedelta(seconds=3),
        clock=lambda: 1_700_000_000,
        token=lambda n: "t" * 43,
        **CREDENTIALS,
    )
    assert strategy.name == "acme"
    assert strategy.flow.timeout == 3
    assert strategy.flow.clock() == 1_700_000_000
    assert strategy.flow.client.client_auth == "client_secret_post"
    assert strategy.flow.client.params == {"prompt": "login"}


@pytest.mark.parametrize(
    "build",
    [
        lambda: OAuth2Strategy(
            "https://acme.test/a",
            "https://acme.test/t",
            "id",
            "s",
            CALLBACK,
            profile=userinfo_profile("https://acme.test/me"),
            verify=verify,
            timout=timedelta(seconds=1),  # type: ignore[call-arg]
        ),
        lambda: OIDCStrategy("https://idp.test", "id", "s", CALLBACK, verify=verify, timout=1),  # type: ignore[call-arg]
        lambda: providers.github(**CREDENTIALS, verify=verify, timout=1),  # type: ignore[call-arg]
        lambda: providers.google(**CREDENTIALS, verify=verify, timout=1),  # type: ignore[call-arg]
    ],
    ids=["OAuth2Strategy", "OIDCStrategy", "github", "google"],
)
def test_a_misspelt_option_fails_at_construction_as_python_would(build: Any) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'timout'"):
        build()


def test_an_oidc_only_option_is_refused_by_the_oauth2_strategy() -> None:
    with pytest.raises(TypeError, match="'fetch_userinfo'"):
        providers.github(**CREDENTIALS, verify=verify, fetch_userinfo=True)  # type: ignore[call-arg]


async def test_one_options_dict_configures_several_presets() -> None:
    async with httpx.AsyncClient() as http:
        options: OIDCOptions = {
            "client": http,
            "timeout": timedelta(seconds=4),
            "discovery_ttl": timedelta(minutes=5),
            "pass_request": True,
        }
        google = providers.google(**CREDENTIALS, verify=verify, **options)
        microsoft = providers.microsoft(**CREDENTIALS, verify=verify, tenant="t-1", **options)
        for strategy in (google, microsoft):
            assert strategy.flow.timeout == 4
            assert strategy._client is http
            assert strategy._pass_request is True
        assert microsoft._profile is providers.microsoft_profile
        assert options == {
            "client": http,
            "timeout": timedelta(seconds=4),
            "discovery_ttl": timedelta(minutes=5),
            "pass_request": True,
        }  # the presets add their defaults to their own copy


def test_the_github_preset_posts_credentials_unless_told_otherwise() -> None:
    options: OAuth2Options = {"client_auth": "client_secret_basic"}
    assert providers.github(**CREDENTIALS, verify=verify).flow.client.client_auth == (
        "client_secret_post"
    )
    basic = providers.github(**CREDENTIALS, verify=verify, **options)
    assert basic.flow.client.client_auth == "client_secret_basic"


@pytest.mark.parametrize(
    ("configured", "supported", "chosen"),
    [
        (None, None, "client_secret_basic"),  # OIDC Discovery §3 default
        (None, [], "client_secret_basic"),
        (None, ["client_secret_post"], "client_secret_post"),
        (
            None,
            ["private_key_jwt", "client_secret_post", "client_secret_basic"],
            "client_secret_basic",
        ),
        ("client_secret_post", ["client_secret_basic", "client_secret_post"], "client_secret_post"),
        ("client_secret_basic", ["client_secret_post"], "client_secret_basic"),  # told: obey
    ],
)
def test_client_authentication_follows_the_option_then_the_provider(
    configured: Any, supported: list[str] | None, chosen: str
) -> None:
    assert choose_client_auth(configured, supported) == chosen


def test_a_provider_that_takes_neither_secret_method_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="neither client_secret_basic nor client_secret_post"):
        choose_client_auth(None, ["private_key_jwt", "tls_client_auth"])


def test_discovery_keeps_the_token_endpoint_auth_methods() -> None:
    document = {
        "issuer": "https://idp.test",
        "authorization_endpoint": "https://idp.test/auth",
        "token_endpoint": "https://idp.test/token",
        "jwks_uri": "https://idp.test/jwks",
        "token_endpoint_auth_methods_supported": ["client_secret_post", 7],
    }
    assert parse_metadata(document, "https://idp.test").token_auth_methods == (
        "client_secret_post",
    )
    del document["token_endpoint_auth_methods_supported"]
    assert parse_metadata(document, "https://idp.test").token_auth_methods is None
