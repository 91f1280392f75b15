"""OpenID Connect sign-in, end to end, against a real OpenID provider on loopback.

The provider (``oidc-provider`` from npm, ``tests/oidc/provider.mjs``) runs as a
process; its login and consent pages are filled in over HTTP. The app under test runs
in process; its calls to the provider (discovery, JWKS, token, userinfo) are real HTTP.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from gatepass.authenticator import Authenticator
from gatepass.strategies import OIDCStrategy, ProviderProfile, providers
from gatepass.users import MemoryUserStore, User
from gatepass.users.identities import MemoryIdentityStore, link_or_create
from oidc.flow_driver import Browser, page, provider_deny, provider_login, with_query
from oidc.oidc_peer import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    ProviderProcess,
    free_port,
    oidc_provider,
    start_provider,
)
from oidc.social_app import build_app

__all__ = ["oidc_provider"]  # the session fixture, imported to be found here

CALLBACK = "/auth/oidc/callback"


@dataclass
class World:
    """One app under test with its stores, strategy, browser and HTTP log."""

    users: MemoryUserStore
    identities: MemoryIdentityStore
    strategy: OIDCStrategy
    browser: Browser
    requests: list[str] = field(default_factory=list)
    profiles: list[ProviderProfile] = field(default_factory=list)


Build = Callable[..., World]


@pytest.fixture
async def build(oidc_provider: ProviderProcess) -> AsyncIterator[Build]:
    """Build worlds on the shared provider (or another issuer); closed after the test."""
    opened: list[tuple[Browser, httpx.AsyncClient]] = []

    def make(
        *,
        issuer: str | None = None,
        app_origin: str | None = None,
        fetch_userinfo: bool = False,
        swap_client: bool = False,
        preset: str | None = None,
    ) -> World:
        log: list[str] = []

        async def record(request: httpx.Request) -> None:
            log.append(request.url.path)
            if swap_client and request.url.path == "/token":
                # A token swapped on the wire: the code was issued to another client,
                # so the ID token's audience is that client.
                pair = f"{OTHER_CLIENT_ID}:{OTHER_CLIENT_SECRET}".encode()
                request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()

        http = httpx.AsyncClient(event_hooks={"request": [record]})
        users = MemoryUserStore()
        identities = MemoryIdentityStore()
        profiles: list[ProviderProfile] = []

        async def verify(profile: ProviderProfile) -> User:
            profiles.append(profile)
            return await link_or_create(users, identities, profile)

        origin = app_origin or oidc_provider.app_origin
        strategy: OIDCStrategy
        if preset == "google":
            strategy = providers.google(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                callback_url=origin + "/auth/google/callback",
                verify=verify,
                issuer=issuer or oidc_provider.issuer,
                client=http,
            )
        else:
            strategy = OIDCStrategy(
                issuer or oidc_provider.issuer,
                CLIENT_ID,
                CLIENT_SECRET,
                origin + CALLBACK,
                verify=verify,
                fetch_userinfo=fetch_userinfo,
                client=http,
            )
        app = build_app(Authenticator(), [strategy], users)
        browser = Browser(app, origin)
        opened.append((browser, http))
        return World(users, identities, strategy, browser, log, profiles)

    yield make
    for browser, http in opened:
        await browser.aclose()
        await http.aclose()


async def dashboard(world: World) -> dict[str, str]:
    response = await world.browser.get("/dashboard")
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def flashes(world: World) -> list[str]:
    response = await world.browser.get("/login")
    messages: list[str] = response.json()["flash"]
    return messages


async def test_sign_in_runs_the_whole_code_flow_and_logs_the_user_in(build: Build) -> None:
    world = build()
    final = page(await provider_login(world.browser, "/auth/oidc", login="alice"))
    assert urlsplit(str(final.url)).path == "/dashboard"
    me = await dashboard(world)
    assert me["email"] == "alice@example.com"
    assert me["name"] == "Test alice"
    user = await world.users.find_by_id(me["id"])
    assert user is not None
    assert user.password_hash is None
    linked = await world.identities.find("oidc", "alice")
    assert linked is not None
    assert linked.user_id == me["id"]
    assert world.profiles[0].email_verified is True
    # The token call and the keys went over real HTTP; no userinfo call was needed.
    assert "/token" in world.requests
    assert "/jwks" in world.requests
    assert "/me" not in world.requests


async def test_first_redirect_carries_pkce_s256_state_and_nonce_kept_in_the_session(
    build: Build, oidc_provider: ProviderProcess
) -> None:
    world = build()
    response = await world.browser.get("/auth/oidc")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(oidc_provider.issuer + "/auth?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    pending = (await world.browser.get("/_test/pending/oidc")).json()
    digest = hashlib.sha256(pending["code_verifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == pending["state"]
    assert query["nonce"] == pending["nonce"]
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == oidc_provider.callback_url(CALLBACK)
    assert query["scope"] == "openid email profile"
    assert "code_verifier" not in location


async def test_second_sign_in_finds_the_linked_user_and_reuses_discovery(build: Build) -> None:
    world = build()
    page(await provider_login(world.browser, "/auth/oidc", login="bob"))
    first = await dashboard(world)
    world.browser.web.cookies.clear()  # sign in at the provider again
    page(await provider_login(world.browser, "/auth/oidc", login="bob"))
    assert (await dashboard(world))["id"] == first["id"]
    assert len(await world.users.list_users()) == 1
    assert world.strategy.discovery.fetches == 1
    assert world.requests.count("/.well-known/openid-configuration") == 1


async def test_pending_login_is_spent_by_the_callback(build: Build) -> None:
    world = build()
    page(await provider_login(world.browser, "/auth/oidc", login="carl"))
    assert (await world.browser.get("/_test/pending/oidc")).json() is None


async def test_denied_consent_fails_with_a_flash_and_nobody_is_logged_in(build: Build) -> None:
    world = build()
    final = await provider_deny(world.browser, "/auth/oidc")
    assert urlsplit(str(final.url)).path == "/login"
    assert final.json()["flash"] == ["Sign-in was cancelled at the provider."]
    assert (await world.browser.get("/dashboard")).status_code == 401
    assert await world.users.list_users() == []


async def test_tampered_state_is_refused_and_spends_the_pending_login(build: Build) -> None:
    world = build()
    callback = await provider_login(world.browser, "/auth/oidc", stop_at=CALLBACK)
    assert isinstance(callback, str)
    tampered = with_query(callback, state="forged-state")
    final = page(await world.browser.follow(await world.browser.get(tampered)))
    assert urlsplit(str(final.url)).path == "/login"
    assert "state mismatch" in final.json()["flash"][0]
    # The real state no longer works either: one attempt per pending login.
    again = page(await world.browser.follow(await world.browser.get(callback)))
    assert "already used or has expired" in again.json()["flash"][0]
    assert (await world.browser.get("/dashboard")).status_code == 401
    assert "/token" not in world.requests


async def test_missing_state_is_refused(build: Build) -> None:
    world = build()
    callback = await provider_login(world.browser, "/auth/oidc", stop_at=CALLBACK)
    assert isinstance(callback, str)
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "state"}
    bare = urlunsplit(parts._replace(query=urlencode(query)))
    final = page(await world.browser.follow(await world.browser.get(bare)))
    assert "state mismatch" in final.json()["flash"][0]


async def test_replayed_callback_is_refused(build: Build) -> None:
    world = build()
    callback = await provider_login(world.browser, "/auth/oidc", login="dora", stop_at=CALLBACK)
    assert isinstance(callback, str)
    page(await world.browser.follow(await world.browser.get(callback)))
    assert (await dashboard(world))["email"] == "dora@example.com"
    replay = page(await world.browser.follow(await world.browser.get(callback)))
    assert urlsplit(str(replay.url)).path == "/login"
    assert "already used or has expired" in replay.json()["flash"][0]


async def test_replayed_code_with_a_fresh_state_is_refused_by_the_provider(
    build: Build,
) -> None:
    world = build()
    callback = await provider_login(world.browser, "/auth/oidc", login="eve", stop_at=CALLBACK)
    assert isinstance(callback, str)
    page(await world.browser.follow(await world.browser.get(callback)))
    # A new login in the same browser gives a fresh state; the old code rides along.
    fresh = await world.browser.get("/auth/oidc")
    state = parse_qs(urlsplit(fresh.headers["location"]).query)["state"][0]
    replay = page(
        await world.browser.follow(await world.browser.get(with_query(callback, state=state)))
    )
    assert urlsplit(str(replay.url)).path == "/login"
    assert "refused the sign-in (invalid_grant" in replay.json()["flash"][0]


async def test_id_token_with_a_tampered_nonce_is_refused(build: Build) -> None:
    world = build()
    callback = await provider_login(world.browser, "/auth/oidc", stop_at=CALLBACK)
    assert isinstance(callback, str)
    await world.browser.app.post("/_test/pending/oidc?nonce=not-the-nonce-sent")
    final = page(await world.browser.follow(await world.browser.get(callback)))
    assert final.json()["flash"] == [
        "The sign-in could not be verified: The ID token's nonce does not match this sign-in."
    ]
    assert (await world.browser.get("/dashboard")).status_code == 401
    assert await world.identities.find("oidc", "alice") is None


async def test_id_token_for_another_audience_is_refused(build: Build) -> None:
    world = build(swap_client=True)
    start = await world.browser.get("/auth/oidc")
    elsewhere = with_query(start.headers["location"], client_id=OTHER_CLIENT_ID)
    login_page = page(await world.browser.follow(await world.browser.get(elsewhere)))
    consent = page(await world.browser.submit(login_page, {"login": "alice", "password": "x"}))
    callback = await world.browser.submit(consent, {}, stop_at=CALLBACK)
    assert isinstance(callback, str)
    final = page(await world.browser.follow(await world.browser.get(callback)))
    assert "/token" in world.requests  # the provider issued tokens, to the other client
    flash = final.json()["flash"][0]
    assert flash.startswith("The sign-in could not be verified: The token is meant for")
    assert OTHER_CLIENT_ID in flash
    assert (await world.browser.get("/dashboard")).status_code == 401


async def test_fetch_userinfo_reads_the_userinfo_endpoint(build: Build) -> None:
    world = build(fetch_userinfo=True)
    page(await provider_login(world.browser, "/auth/oidc", login="fay"))
    assert (await dashboard(world))["email"] == "fay@example.com"
    assert "/me" in world.requests
    assert world.profiles[0].raw["email_verified"] is True


async def test_unverified_email_of_an_existing_account_is_refused_with_the_link_advice(
    build: Build,
) -> None:
    world = build()
    owner = await world.users.create(email="unverified-gil@example.com", password_hash="h")
    final = page(await provider_login(world.browser, "/auth/oidc", login="unverified-gil"))
    assert urlsplit(str(final.url)).path == "/login"
    assert final.json()["flash"] == [
        "An account with this email already exists. Sign in with your password, then "
        "link this provider from your dashboard."
    ]
    assert await world.identities.list_for_user(owner.id) == []
    assert (await world.browser.get("/dashboard")).status_code == 401


async def test_verified_email_links_the_existing_account(build: Build) -> None:
    world = build()
    owner = await world.users.create(
        email="hal@example.com", password_hash="h", email_verified=True
    )
    page(await provider_login(world.browser, "/auth/oidc", login="hal"))
    assert (await dashboard(world))["id"] == owner.id
    assert [i.subject for i in await world.identities.list_for_user(owner.id)] == ["hal"]


async def test_google_preset_signs_in_against_the_configured_issuer(build: Build) -> None:
    world = build(preset="google")
    assert world.strategy.name == "google"
    page(await provider_login(world.browser, "/auth/google", login="ivy"))
    assert (await dashboard(world))["email"] == "ivy@example.com"
    assert await world.identities.find("google", "ivy") is not None


async def test_provider_down_answers_503_json_or_a_flash(build: Build) -> None:
    world = build(issuer=f"http://127.0.0.1:{free_port()}")
    bare = await world.browser.get("/bare/oidc")
    assert bare.status_code == 503
    assert bare.json()["error"] == "provider_unavailable"
    assert "cannot be reached" in bare.json()["message"]
    final = page(await world.browser.follow(await world.browser.get("/auth/oidc")))
    assert urlsplit(str(final.url)).path == "/login"
    assert "cannot be reached" in final.json()["flash"][0]


async def test_provider_gone_before_the_callback_fails_cleanly(build: Build) -> None:
    origin = f"http://127.0.0.1:{free_port()}"
    provider = start_provider(origin)
    try:
        world = build(issuer=provider.issuer, app_origin=origin)
        callback = await provider_login(world.browser, "/auth/oidc", stop_at=CALLBACK)
        assert isinstance(callback, str)
    finally:
        provider.stop()
    bare_callback = callback.replace(CALLBACK, "/bare/oidc/callback")
    answer = await world.browser.get(bare_callback)
    assert answer.status_code == 503
    assert answer.json()["error"] == "provider_unavailable"
