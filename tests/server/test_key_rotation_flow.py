"""Signing-key rotation end to end, without downtime, through ``gatepass keys rotate``.

A rotation publishes a new key in the JWKS at once and signs with it only once every
cached copy of the JWKS has expired (``PUBLISH_AHEAD``), so a relying party never meets
a ``kid`` it cannot know; the replaced key keeps verifying until its last token could
have expired (access-token TTL plus the keyring's skew margin), then leaves the JWKS and
its tokens are refused (RFC 7517 §5, NIST SP 800-57 Pt. 1 §5.3: a key's use ends after
its cryptoperiod). ``keys rotate --now`` is the emergency path that signs at once.

The running server's keyring is given a clock the test moves; the server takes no
clock of its own (``create_app`` has no such parameter), so the test builds the
keyring on the app's own key set with the public ``Keyring`` constructor.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gatepass.server.cli import main
from gatepass.server.keyring import PUBLISH_AHEAD, RETIRE_MARGIN, Keyring
from gatepass.server.settings import Settings
from gatepass.tokens import KeySet, RemoteKeySet, Verifier, verify
from server.lifecycle_helpers import BASE_URL, Clock, kid_of, refresh, running, server_state
from server.server_helpers import bearer, register, token_pair


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """The server's settings; the CLI reads the same data folder from the environment."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("GATEPASS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GATEPASS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("GATEPASS_ARGON2_MEMORY_KIB", "8")
    for name in ("GATEPASS_SETTINGS_FILE", "GATEPASS_REDIS_URL", "GATEPASS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return Settings(data_dir=data_dir)


@pytest.fixture
def clock() -> Clock:
    """The running server's keyring clock, starting now (the CLI stamps real time)."""
    return Clock(time.time())


@pytest.fixture
async def served(
    settings: Settings, clock: Clock
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The server (its keyring on ``clock``) and a client, with a registered user."""
    async with running(settings) as (app, client):
        state = server_state(app)
        state.keyring = Keyring(
            state.keyring.keyset,
            source="data-dir",
            data_dir=settings.data_dir,
            retire_after=settings.access_token_ttl,
            clock=clock,
        )
        await register(client)
        yield app, client


def rotate_from_the_cli(*flags: str) -> str:
    """Run ``gatepass keys rotate`` in process; return the new kid."""
    out = io.StringIO()
    assert main(["keys", "rotate", *flags], out=out) == 0, out.getvalue()
    # "new signing key <kid> (<alg>); ..."
    return out.getvalue().split()[3]


async def published_kids(client: httpx.AsyncClient) -> set[str]:
    """The kids in the server's JWKS."""
    jwks = (await client.get("/.well-known/jwks.json")).json()
    return {jwk["kid"] for jwk in jwks["keys"]}


async def accepted(client: httpx.AsyncClient, access_token: str) -> bool:
    """Whether ``GET /api/me`` accepts the token."""
    response = await client.get("/api/me", headers=bearer(access_token))
    assert response.status_code in {200, 401}, response.text
    return response.status_code == 200


async def test_rotation_publishes_the_new_key_first_and_signs_with_it_later(
    served: tuple[FastAPI, httpx.AsyncClient], settings: Settings, clock: Clock
) -> None:
    _app, client = served
    old_pair = await token_pair(client)
    old_kid = kid_of(old_pair["access_token"])
    assert await published_kids(client) == {old_kid}

    new_kid = await asyncio.to_thread(rotate_from_the_cli)

    assert new_kid != old_kid
    assert await published_kids(client) == {old_kid, new_kid}
    assert await accepted(client, old_pair["access_token"])
    # Still signed by the old key while cached JWKS copies expire.
    assert kid_of((await token_pair(client))["access_token"]) == old_kid
    clock.now += PUBLISH_AHEAD.total_seconds() + 1
    new_pair = await token_pair(client)
    assert kid_of(new_pair["access_token"]) == new_kid
    # A refresh after the rotation is signed with the new key too.
    refreshed = await refresh(client, old_pair["refresh_token"])
    assert refreshed.status_code == 200
    assert kid_of(refreshed.json()["access_token"]) == new_kid
    # A relying party holding only the published JWKS verifies both generations.
    keys = KeySet.from_jwks((await client.get("/.well-known/jwks.json")).json())
    for token in (old_pair["access_token"], new_pair["access_token"]):
        claims = verify(token, keys, audience=settings.audience, issuer=settings.issuer)
        assert claims["sub"]


async def test_requests_in_flight_during_a_rotation_are_all_served(
    served: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = served
    pair = await token_pair(client)
    checks = [client.get("/api/me", headers=bearer(pair["access_token"])) for _ in range(20)]
    rotation = asyncio.ensure_future(asyncio.to_thread(rotate_from_the_cli))
    responses = await asyncio.gather(*checks)
    new_kid = await rotation
    assert new_kid in await published_kids(client)
    assert [response.status_code for response in responses] == [200] * len(checks)


async def test_the_old_key_retires_after_the_token_lifetime_and_its_tokens_are_refused(
    served: tuple[FastAPI, httpx.AsyncClient], settings: Settings, clock: Clock
) -> None:
    _app, client = served
    old_pair = await token_pair(client)
    old_kid = kid_of(old_pair["access_token"])
    # Verified once before the rotation: a cached verification must not outlive the key.
    assert await accepted(client, old_pair["access_token"])
    new_kid = await asyncio.to_thread(rotate_from_the_cli)

    # At the end of the access-token lifetime after the new key started signing, the old
    # key is still inside the skew margin.
    clock.now += PUBLISH_AHEAD.total_seconds() + settings.access_token_ttl.total_seconds()
    assert await published_kids(client) == {old_kid, new_kid}
    assert await accepted(client, old_pair["access_token"])

    # Past the retirement point: gone from the JWKS, its tokens refused.
    clock.now += RETIRE_MARGIN.total_seconds() + 2
    assert await published_kids(client) == {new_kid}
    refused = await client.get("/api/me", headers=bearer(old_pair["access_token"]))
    assert refused.status_code == 401
    assert "invalid_token" in refused.headers["www-authenticate"]
    # Tokens of the new key, and the refresh family of the old login, carry on.
    new_pair = await token_pair(client)
    assert await accepted(client, new_pair["access_token"])
    refreshed = await refresh(client, old_pair["refresh_token"])
    assert refreshed.status_code == 200
    assert kid_of(refreshed.json()["access_token"]) == new_kid
    assert await accepted(client, refreshed.json()["access_token"])


async def test_a_second_app_on_the_same_data_folder_follows_an_emergency_rotation(
    served: tuple[FastAPI, httpx.AsyncClient], settings: Settings
) -> None:
    _app, client = served
    async with running(settings) as (_other_app, other):
        before = await token_pair(client)
        new_kid = await asyncio.to_thread(rotate_from_the_cli, "--now")
        # The other app's users table is its own SQLite file in the same folder: same user.
        after = await token_pair(other)
        assert kid_of(after["access_token"]) == new_kid
        assert await accepted(client, after["access_token"])
        assert await accepted(other, before["access_token"])


@asynccontextmanager
async def relying_party(app: FastAPI, settings: Settings, clock: Clock) -> AsyncIterator[Verifier]:
    """A resource server that knows this server only by its JWKS URL."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        remote = RemoteKeySet(f"{BASE_URL}/.well-known/jwks.json", client=http, clock=clock)
        yield Verifier(keys=remote, audience=settings.audience, issuer=settings.issuer)


async def test_a_relying_party_that_fetched_just_before_a_rotation_accepts_every_token(
    served: tuple[FastAPI, httpx.AsyncClient], settings: Settings, clock: Clock
) -> None:
    app, client = served
    rp_clock = Clock(1_000.0)
    async with relying_party(app, settings, rp_clock) as verifier:
        old_pair = await token_pair(client)
        assert (await verifier.verify_async(old_pair["access_token"]))["sub"]
        await asyncio.to_thread(rotate_from_the_cli)
        # Right after the rotation, tokens still carry the key the relying party knows.
        rp_clock.now += 5
        soon = await token_pair(client)
        assert (await verifier.verify_async(soon["access_token"]))["sub"]
        # When the new key starts signing, the relying party's JWKS copy has expired.
        clock.now += PUBLISH_AHEAD.total_seconds() + 1
        rp_clock.now += PUBLISH_AHEAD.total_seconds() + 1
        later = await token_pair(client)
        assert kid_of(later["access_token"]) != kid_of(old_pair["access_token"])
        assert (await verifier.verify_async(later["access_token"]))["sub"]
        assert (await verifier.verify_async(old_pair["access_token"]))["sub"]


async def test_after_an_emergency_rotation_a_relying_party_refetches_on_the_unknown_kid(
    served: tuple[FastAPI, httpx.AsyncClient], settings: Settings
) -> None:
    app, client = served
    rp_clock = Clock(1_000.0)
    async with relying_party(app, settings, rp_clock) as verifier:
        old_pair = await token_pair(client)
        assert (await verifier.verify_async(old_pair["access_token"]))["sub"]
        await asyncio.to_thread(rotate_from_the_cli, "--now")
        new_pair = await token_pair(client)
        # Past the unknown-kid cooldown (30 s) but well inside the JWKS max-age (300 s):
        # the unknown kid makes it refetch instead of waiting for its copy to expire.
        rp_clock.now += 31
        assert (await verifier.verify_async(new_pair["access_token"]))["sub"]
        assert (await verifier.verify_async(old_pair["access_token"]))["sub"]
