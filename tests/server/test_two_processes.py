"""Two server processes behind one PostgreSQL and one Redis share every piece of state.

Log in on one, use the session and the tokens on the other, log out on the other,
and the first refuses them. Each run gets its own database and Redis key prefix.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from gatepass.users import async_database_url
from server.server_helpers import BROWSER, PASSWORD, csrf_from, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
EMAIL = "lin@example.com"


@pytest.fixture
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"gp_{secrets.token_hex(6)}"
    engine = create_async_engine(async_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            parts = urlsplit(postgres_url)
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A Redis key prefix of this run only; its keys are deleted afterwards."""
    prefix = f"gptest{secrets.token_hex(6)}:"
    yield prefix
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"*{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server at {base} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server at {base} did not become healthy")


@pytest.fixture
def servers(
    database_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two ``gatepass serve`` processes on free ports, sharing the stores and the data dir."""
    environment = {
        **os.environ,
        "GATEPASS_DATA_DIR": str(tmp_path / "shared"),
        "GATEPASS_DATABASE_URL": database_url,
        "GATEPASS_REDIS_URL": redis_url,
        "GATEPASS_REDIS_PREFIX": redis_prefix,
        "GATEPASS_ARGON2_TIME_COST": "1",
        "GATEPASS_ARGON2_MEMORY_KIB": "1024",
    }
    environment.pop("GATEPASS_SETTINGS_FILE", None)
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    for _ in range(2):
        port = free_port()
        command = [sys.executable, "-m", "gatepass.server.cli", "serve", "--port", str(port)]
        processes.append(
            subprocess.Popen(
                [*command, "--log-level", "warning"],
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, process in zip(bases, processes, strict=True):
            _wait_healthy(base, process)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


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
