"""Two app instances on one Redis, one PostgreSQL database and one data folder.

Whatever one instance decides about a token or a login (a logout, a detected reuse,
a run of failed passwords) the other enforces at once: the state is in the shared
stores, never in one process (OWASP ASVS 3.3.1, RFC 9700 §4.14.2, ASVS 2.2.1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from gatepass.server.settings import Settings
from server.lifecycle_helpers import fresh_database, redis_prefix_scope, refresh, running
from server.server_helpers import PASSWORD, bearer, register, token_pair

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
EMAIL = "ada@example.com"
FAILURES_ALLOWED = 4


@pytest.fixture
async def pair_of_apps(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Clients of two servers sharing every store and the key folder; a user exists."""
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(fresh_database(postgres_url))
        prefix = await stack.enter_async_context(redis_prefix_scope(redis_url))
        settings = Settings(
            data_dir=tmp_path / "shared",
            database_url=database_url,
            redis_url=redis_url,
            redis_prefix=prefix,
            login_limit=f"{FAILURES_ALLOWED}/minute",
        )
        # One after the other: the first creates the schema and the keys, the second
        # finds them.
        _a, first = await stack.enter_async_context(running(settings))
        _b, second = await stack.enter_async_context(running(settings))
        await register(first, EMAIL)
        yield first, second


async def test_both_apps_sign_with_the_same_key_and_accept_each_others_tokens(
    pair_of_apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = pair_of_apps
    jwks = [(await client.get("/.well-known/jwks.json")).json() for client in pair_of_apps]
    assert jwks[0] == jwks[1]
    pair = await token_pair(second, EMAIL)
    me = await first.get("/api/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == EMAIL


async def test_logout_on_one_app_is_enforced_by_the_other(
    pair_of_apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = pair_of_apps
    pair = await token_pair(first, EMAIL)
    # B has verified (and cached) the token before the logout: the cache must not help it.
    assert (await second.get("/api/me", headers=bearer(pair["access_token"]))).status_code == 200
    assert (
        await first.post("/auth/logout", headers=bearer(pair["access_token"]))
    ).status_code == 204
    me = await second.get("/api/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 401
    assert "invalid_token" in me.headers["www-authenticate"]
    dead = await refresh(second, pair["refresh_token"])
    assert dead.status_code == 401
    assert set(dead.json()) == {"error", "message"}


async def test_failed_logins_split_over_two_apps_share_one_limit(
    pair_of_apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = pair_of_apps
    wrong = {"email": EMAIL, "password": "x" * 12}
    for attempt in range(FAILURES_ALLOWED):
        client = pair_of_apps[attempt % 2]
        response = await client.post("/auth/token", json=wrong)
        assert response.status_code == 401, (attempt, response.text)
    right = {"email": EMAIL, "password": PASSWORD}
    # The next attempt is refused on either app, even with the right password.
    for client in (first, second):
        refused = await client.post("/auth/token", json=right)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"] == "rate_limited"
        assert int(refused.headers["retry-after"]) > 0


async def test_a_refresh_token_spent_on_one_app_and_reused_on_the_other_kills_the_family(
    pair_of_apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = pair_of_apps
    pair = await token_pair(first, EMAIL)
    spent = await refresh(first, pair["refresh_token"])
    assert spent.status_code == 200
    fresh = spent.json()
    reuse = await refresh(second, pair["refresh_token"])
    assert reuse.status_code == 401
    assert reuse.json()["error"] == "token_revoked"
    # The family is revoked for both apps: the newer pair is refused everywhere.
    for client in (first, second):
        me = await client.get("/api/me", headers=bearer(fresh["access_token"]))
        assert me.status_code == 401
    assert (await refresh(first, fresh["refresh_token"])).status_code == 401
    assert (await refresh(second, fresh["refresh_token"])).status_code == 401


async def test_a_refresh_on_the_other_app_without_reuse_keeps_the_family(
    pair_of_apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = pair_of_apps
    pair = await token_pair(first, EMAIL)
    # Alternate apps along the chain: each spends a token the other issued.
    for client in (second, first, second):
        response = await refresh(client, pair["refresh_token"])
        assert response.status_code == 200, response.text
        pair = response.json()
    for client in (first, second):
        assert (
            await client.get("/api/me", headers=bearer(pair["access_token"]))
        ).status_code == 200
