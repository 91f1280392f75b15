"""Refresh rotation under a race, over HTTP, on every store kind the server runs on.

The contract (``tokens/refresh.py``, RFC 9700 §4.14.2): spending a refresh token is
atomic, so of many concurrent presentations exactly one rotates it; every other one
is a reuse, and a reuse means two parties hold the family, so the whole family is
revoked: the winner's new pair included. Without any reuse the family lives on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from gatepass.server.backends import Backends
from gatepass.server.settings import Settings
from server.lifecycle_helpers import redis_prefix_scope, refresh, running
from server.server_helpers import bearer, register, token_pair

StoreKind = Literal["memory", "sqlite", "redis"]
RACERS = 50


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store_client(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A server whose refresh and revocation stores are of one kind, with a user."""
    kind: StoreKind = request.param
    data_dir = tmp_path / "data"
    if kind == "redis":
        redis_url: str = request.getfixturevalue("redis_url")
        async with redis_prefix_scope(redis_url) as prefix:
            settings = Settings(data_dir=data_dir, redis_url=redis_url, redis_prefix=prefix)
            async with running(settings) as (_app, http):
                await register(http)
                yield http
        return
    settings = Settings(data_dir=data_dir)
    backends = Backends.in_memory(settings) if kind == "memory" else None
    async with running(settings, backends=backends) as (_app, http):
        await register(http)
        yield http


async def test_concurrent_refreshes_of_one_token_let_exactly_one_win(
    store_client: httpx.AsyncClient,
) -> None:
    pair = await token_pair(store_client)
    responses = await asyncio.gather(
        *(refresh(store_client, pair["refresh_token"]) for _ in range(RACERS))
    )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 401: RACERS - 1}
    losers = [response.json() for response in responses if response.status_code == 401]
    # Every loser is told it presented a spent token, not an unknown one.
    assert {body["error"] for body in losers} == {"token_revoked"}
    assert all(set(body) == {"error", "message"} for body in losers)


async def test_a_race_on_one_token_revokes_the_family_including_the_winners_pair(
    store_client: httpx.AsyncClient,
) -> None:
    pair = await token_pair(store_client)
    responses = await asyncio.gather(
        *(refresh(store_client, pair["refresh_token"]) for _ in range(RACERS))
    )
    (winner,) = [response.json() for response in responses if response.status_code == 200]
    # A reuse was detected (RACERS - 1 times): the family is dead (RFC 9700 §4.14.2).
    assert (await refresh(store_client, winner["refresh_token"])).status_code == 401
    for access in (pair["access_token"], winner["access_token"]):
        me = await store_client.get("/api/me", headers=bearer(access))
        assert me.status_code == 401
        assert "invalid_token" in me.headers["www-authenticate"]


async def test_a_race_on_one_family_leaves_another_login_of_the_user_alive(
    store_client: httpx.AsyncClient,
) -> None:
    raced = await token_pair(store_client)
    other = await token_pair(store_client)
    racing = [refresh(store_client, raced["refresh_token"]) for _ in range(RACERS)]
    *_raced, rotated = await asyncio.gather(*racing, refresh(store_client, other["refresh_token"]))
    assert rotated.status_code == 200
    fresh: dict[str, Any] = rotated.json()
    assert (
        await store_client.get("/api/me", headers=bearer(fresh["access_token"]))
    ).status_code == 200
    assert (await refresh(store_client, fresh["refresh_token"])).status_code == 200


async def test_rotation_without_reuse_keeps_the_family_alive(
    store_client: httpx.AsyncClient,
) -> None:
    pair = await token_pair(store_client)
    for _ in range(10):
        response = await refresh(store_client, pair["refresh_token"])
        assert response.status_code == 200, response.text
        pair = response.json()
    # No token was presented twice, so nothing was revoked.
    assert (
        await store_client.get("/api/me", headers=bearer(pair["access_token"]))
    ).status_code == 200


async def test_concurrent_refreshes_of_different_families_all_succeed(
    store_client: httpx.AsyncClient,
) -> None:
    pairs = [await token_pair(store_client) for _ in range(5)]
    responses = await asyncio.gather(
        *(refresh(store_client, pair["refresh_token"]) for pair in pairs)
    )
    assert [response.status_code for response in responses] == [200] * len(pairs)
    for response in responses:
        me = await store_client.get("/api/me", headers=bearer(response.json()["access_token"]))
        assert me.status_code == 200


async def test_a_logout_racing_a_refresh_of_its_family_leaves_no_live_token(
    store_client: httpx.AsyncClient,
) -> None:
    for _ in range(10):
        pair = await token_pair(store_client)
        logged_out, refreshed = await asyncio.gather(
            store_client.post("/auth/logout", headers=bearer(pair["access_token"])),
            refresh(store_client, pair["refresh_token"]),
        )
        assert logged_out.status_code == 204
        assert refreshed.status_code in {200, 401}
        if refreshed.status_code == 200:
            # A pair won while the logout ran belongs to the revoked family: dead too
            # (OWASP ASVS 3.3.1).
            fresh = refreshed.json()
            me = await store_client.get("/api/me", headers=bearer(fresh["access_token"]))
            assert me.status_code == 401
            assert (await refresh(store_client, fresh["refresh_token"])).status_code == 401
