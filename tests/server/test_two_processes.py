"""Two server processes behind one PostgreSQL and one Redis share every piece of state.

Log in on one, use the session and the tokens on the other, log out on the other,
and the first refuses them. Each run gets its own database and Redis key prefix.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from load.load_helpers import Cluster
from server.server_helpers import BROWSER, PASSWORD, csrf_from
from service_helpers import fresh_database, scratch_prefix

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
EMAIL = "lin@example.com"


@pytest.fixture
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    async with fresh_database(postgres_url, "gp_") as url:
        yield url


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A Redis key prefix of this run only; its keys are deleted afterwards."""
    async with scratch_prefix(redis_url, "gptest") as prefix:
        yield prefix


@pytest.fixture
def servers(
    database_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two ``gatepass serve`` processes on free ports, sharing the stores and the data dir."""
    logs = tmp_path / "logs"
    logs.mkdir()
    cluster = Cluster(
        {
            "GATEPASS_DATA_DIR": str(tmp_path / "shared"),
            "GATEPASS_DATABASE_URL": database_url,
            "GATEPASS_REDIS_URL": redis_url,
            "GATEPASS_REDIS_PREFIX": redis_prefix,
            "GATEPASS_ARGON2_TIME_COST": "1",
            "GATEPASS_ARGON2_MEMORY_KIB": "1024",
        },
        logs,
    )
    try:
        cluster.start_all()
        yield cluster.bases[0], cluster.bases[1]
    finally:
        cluster.stop_all()


def test_session_and_tokens_are_shared_by_two_processes(servers: tuple[str, str]) -> None:
    first, second = servers
    with httpx.Client(headers=BROWSER, timeout=10) as browser:
        form = browser.get(f"{first}/register")
        registered = browser.post(
            f"{first}/register",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_from(form.text)},
        )
        assert registered.status_code == 303
        # The same session cookie is good on the other process.
        page = browser.get(f"{second}/dashboard")
        assert page.status_code == 200
        assert EMAIL in page.text

        api = {"accept": "application/json"}
        pair = httpx.post(f"{first}/auth/token", json={"email": EMAIL, "password": PASSWORD})
        assert pair.status_code == 200
        tokens = pair.json()
        me = httpx.get(
            f"{second}/api/me", headers={**api, "authorization": f"Bearer {tokens['access_token']}"}
        )
        assert me.status_code == 200
        assert me.json()["email"] == EMAIL

        refreshed = httpx.post(
            f"{second}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200
        fresh = refreshed.json()
        # The spent token is known as spent on the first process too: reuse detected.
        reuse = httpx.post(f"{first}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert reuse.status_code == 401
        assert reuse.json()["error"] == "token_revoked"

        second_pair = httpx.post(
            f"{first}/auth/token", json={"email": EMAIL, "password": PASSWORD}
        ).json()
        bearer = {**api, "authorization": f"Bearer {second_pair['access_token']}"}
        assert httpx.get(f"{first}/api/me", headers=bearer).status_code == 200
        assert httpx.post(f"{second}/auth/logout", headers=bearer).status_code == 204
        assert httpx.get(f"{first}/api/me", headers=bearer).status_code == 401
        stale = {**api, "authorization": f"Bearer {fresh['access_token']}"}
        assert httpx.get(f"{first}/api/me", headers=stale).status_code == 401

        page = browser.get(f"{second}/dashboard")
        logout = browser.post(f"{second}/logout", data={"csrf_token": csrf_from(page.text)})
        assert logout.status_code == 303
        assert browser.get(f"{first}/dashboard").status_code == 303
