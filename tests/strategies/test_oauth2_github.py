"""The GitHub preset (OAuth 2.0 + PKCE + the user API) against a real local GitHub peer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gatepass.authenticator import Authenticator
from gatepass.strategies import OAuth2Strategy, ProviderProfile, providers
from gatepass.users import MemoryUserStore, User
from gatepass.users.identities import MemoryIdentityStore, link_or_create
from oidc.flow_driver import Browser, page, with_query
from oidc.github_peer import GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GitHubPeer, github_peer
from oidc.oidc_peer import free_port
from oidc.social_app import build_app

__all__ = ["github_peer"]  # the session fixture, imported to be found here

ORIGIN = "http://127.0.0.1:8765"


@dataclass
class GitHubWorld:
    users: MemoryUserStore
    identities: MemoryIdentityStore
    strategy: OAuth2Strategy
    browser: Browser
    profiles: list[ProviderProfile]


Build = Callable[..., GitHubWorld]


@pytest.fixture
async def build(github_peer: GitHubPeer) -> AsyncIterator[Build]:
    """Apps using the GitHub preset pointed at the peer (or elsewhere)."""
    opened: list[tuple[Browser, httpx.AsyncClient]] = []

    def make(*, token_url: str | None = None, secret: str = GITHUB_CLIENT_SECRET) -> GitHubWorld:
        users = MemoryUserStore()
        identities = MemoryIdentityStore()
        profiles: list[ProviderProfile] = []

        async def verify(profile: ProviderProfile) -> User:
            profiles.append(profile)
            return await link_or_create(users, identities, profile)

        http = httpx.AsyncClient()
        strategy = providers.github(
            client_id=GITHUB_CLIENT_ID,
            client_secret=secret,
            callback_url=ORIGIN + "/auth/github/callback",
            verify=verify,
            authorization_url=github_peer.url + "/login/oauth/authorize",
            token_url=token_url or github_peer.url + "/login/oauth/access_token",
            api_url=github_peer.url,
            client=http,
        )
        browser = Browser(build_app(Authenticator(), [strategy], users), ORIGIN)
        opened.append((browser, http))
        return GitHubWorld(users, identities, strategy, browser, profiles)

    yield make
    for browser, http in opened:
        await browser.aclose()
        await http.aclose()


async def sign_in(world: GitHubWorld, login: str, *, start: str = "/auth/github") -> httpx.Response:
    redirect = await world.browser.get(start)
    assert redirect.status_code == 302
    return page(
        await world.browser.follow(
            await world.browser.get(with_query(redirect.headers["location"], login=login))
        )
    )


async def test_github_sign_in_maps_id_primary_verified_email_and_name(
    build: Build, github_peer: GitHubPeer
) -> None:
    world = build()
    final = await sign_in(world, "octocat")
    assert urlsplit(str(final.url)).path == "/dashboard"
    assert final.json()["email"] == "octocat@github.example"
    profile = world.profiles[0]
    assert profile.provider == "github"
    assert profile.subject == "583231"  # the numeric id, not the renamable login
    assert profile.email == "octocat@github.example"  # the primary, not the older one
    assert profile.email_verified is True
    assert profile.name == "The Octocat"
    assert profile.raw["login"] == "octocat"
    # GitHub takes the client credentials in the form (client_secret_post).
    assert github_peer.token_forms[-1]["client_id"] == GITHUB_CLIENT_ID


async def test_github_redirect_asks_for_the_email_scope_with_pkce(build: Build) -> None:
    world = build()
    redirect = await world.browser.get("/auth/github")
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query["scope"] == ["read:user user:email"]
    assert query["code_challenge_method"] == ["S256"]
    assert "nonce" not in query


async def test_unverified_primary_email_creates_no_account(build: Build) -> None:
    world = build()
    final = await sign_in(world, "newbie")
    assert urlsplit(str(final.url)).path == "/login"
    assert "did not confirm an email address" in final.json()["flash"][0]
    profile = world.profiles[0]
    assert profile.email == "newbie@github.example"
    assert profile.email_verified is False
    assert profile.name == "newbie"  # the login stands in for a missing name
    assert await world.users.list_users() == []


async def test_unverified_primary_email_of_an_existing_account_asks_to_link(
    build: Build,
) -> None:
    world = build()
    await world.users.create(email="newbie@github.example", password_hash="h")
    final = await sign_in(world, "newbie")
    assert "Sign in with your password, then link" in final.json()["flash"][0]


async def test_denied_authorization_fails_with_a_flash(build: Build) -> None:
    world = build()
    final = await sign_in(world, "deny")
    assert final.json()["flash"] == ["Sign-in was cancelled at the provider."]


async def test_wrong_code_verifier_is_refused_by_the_token_endpoint(build: Build) -> None:
    world = build()
    redirect = await world.browser.get("/auth/github")
    await world.browser.app.post("/_test/pending/github?code_verifier=" + "x" * 43)
    final = page(
        await world.browser.follow(
            await world.browser.get(with_query(redirect.headers["location"], login="octocat"))
        )
    )
    assert final.json()["flash"] == [
        "The provider refused the sign-in (bad_verification_code: The code passed is "
        "incorrect or expired.)."
    ]


async def test_wrong_client_secret_error_with_http_200_is_a_failure(build: Build) -> None:
    world = build(secret="not-the-secret")
    final = await sign_in(world, "octocat")
    assert "incorrect_client_credentials" in final.json()["flash"][0]


async def test_a_non_bearer_token_is_refused(build: Build) -> None:
    world = build()
    final = await sign_in(world, "macuser")
    assert final.json()["flash"] == ["The provider's token answer is not a bearer token."]


async def test_token_endpoint_down_answers_503_json_or_a_flash(build: Build) -> None:
    world = build(token_url=f"http://127.0.0.1:{free_port()}/login/oauth/access_token")
    redirect = await world.browser.get("/bare/github")
    callback = await world.browser.web.get(
        with_query(redirect.headers["location"], login="octocat")
    )
    target = callback.headers["location"].replace("/auth/github/", "/bare/github/")
    answer = await world.browser.get(target)
    assert answer.status_code == 503
    assert answer.json()["error"] == "provider_unavailable"
    final = await sign_in(world, "octocat")
    assert "cannot be reached" in final.json()["flash"][0]
