"""The second factor on two app instances sharing Redis, PostgreSQL and the data folder.

An ``mfa_token`` issued by one instance is spent on the other; a code accepted by one
is a replay on the other; the attempt throttle is one count for both.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from gatepass.mfa import code_at
from gatepass.server.settings import Settings
from server.lifecycle_helpers import fresh_database, redis_prefix_scope, running
from server.mfa_helpers import Clock, enrol_api, mfa_token, wrong
from server.server_helpers import PASSWORD, register, token_pair

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
EMAIL = "ada@example.com"


@pytest.fixture
async def pair_of_apps(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, str]]:
    """Clients of two servers sharing every store; Ada has TOTP on (her secret last)."""
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(fresh_database(postgres_url))
        prefix = await stack.enter_async_context(redis_prefix_scope(redis_url))
        settings = Settings(
            data_dir=tmp_path / "shared",
            database_url=database_url,
            redis_url=redis_url,
            redis_prefix=prefix,
            mfa_limit="3/minute",
        )
        _a, first = await stack.enter_async_context(running(settings))
        _b, second = await stack.enter_async_context(running(settings))
        await register(first, EMAIL)
        pair = await token_pair(first, EMAIL)
        # The servers read the wall clock: enrol now, log in with the next step's code.
        secret, _ = await enrol_api(first, pair["access_token"], Clock(time.time()))
        yield first, second, secret


async def test_a_token_from_one_app_is_spent_on_the_other_and_the_code_is_not_replayable(
    pair_of_apps: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    first, second, secret = pair_of_apps
    code = code_at(secret, time.time() + 30)
    token = await mfa_token(first, EMAIL, PASSWORD)
    done = await second.post("/auth/mfa/verify", json={"mfa_token": token, "code": code})
    assert done.status_code == 200, done.text
    again = await first.post("/auth/mfa/verify", json={"mfa_token": token, "code": code})
    assert again.status_code == 401
    fresh = await mfa_token(second, EMAIL, PASSWORD)
    replay = await first.post("/auth/mfa/verify", json={"mfa_token": fresh, "code": code})
    assert replay.status_code == 401


async def test_wrong_codes_on_both_apps_share_one_throttle(
    pair_of_apps: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    first, second, secret = pair_of_apps
    bad = wrong(code_at(secret, time.time()))
    for attempt in range(3):
        client = (first, second)[attempt % 2]
        token = await mfa_token(client, EMAIL, PASSWORD)
        response = await client.post("/auth/mfa/verify", json={"mfa_token": token, "code": bad})
        assert response.status_code == 401, (attempt, response.text)
    token = await mfa_token(second, EMAIL, PASSWORD)
    blocked = await second.post(
        "/auth/mfa/verify", json={"mfa_token": token, "code": code_at(secret, time.time() + 30)}
    )
    assert blocked.status_code == 429
