"""PostgreSQL becomes unreachable under load: 503 for everyone, then service returns.

The users live in PostgreSQL (``GATEPASS_DATABASE_URL``). The shared server cannot be
stopped, so the server reaches it through a TCP proxy of the test's own that is cut
(every connection dropped, new ones refused) and restored. While it is cut, a token or
session whose user cannot be loaded is refused with 503, never accepted on the strength
of the token alone (fail closed: DESIGN.md, OWASP ASVS 1.14, CWE-636); a login cannot
check its password and answers 503. Restored, the same process serves again within a
second, with every session and token of before still good (the data was never lost).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from fastapi import FastAPI

from faults.fault_helpers import EMAIL, one_user_server, user_load
from server.server_helpers import PASSWORD, bearer
from service_helpers import TcpProxy, tcp_proxy

pytestmark = pytest.mark.postgres
RECOVERY_SECONDS = 1.0


@pytest.fixture
async def proxied(fault_database: str) -> AsyncIterator[tuple[str, TcpProxy]]:
    """The fresh database's URL through a cuttable proxy, and the proxy."""
    parts = urlsplit(fault_database)
    async with tcp_proxy(parts.port or 5432) as (port, proxy):
        netloc = f"{parts.username or 'postgres'}@127.0.0.1:{port}"
        yield urlunsplit(parts._replace(netloc=netloc)), proxy


@pytest.fixture
async def app(tmp_path: Path, proxied: tuple[str, TcpProxy]) -> AsyncIterator[FastAPI]:
    async with one_user_server(tmp_path / "data", database_url=proxied[0]) as application:
        yield application


async def test_postgres_outage_fails_closed_and_recovers_without_a_restart(
    app: FastAPI, proxied: tuple[str, TcpProxy]
) -> None:
    proxy = proxied[1]
    # Fewer workers than the pool has connections: no new connection is being set
    # up at the moment of the cut, the case of the known bug tested below.
    async with user_load(app, workers=1) as load, load.running():
        await asyncio.sleep(0.4)
        down_at = time.monotonic()
        proxy.cut()
        await asyncio.sleep(1.0)
        back_at = time.monotonic()
        proxy.restore()
        await asyncio.sleep(RECOVERY_SECONDS + 0.8)

    before = load.between(0, down_at)
    during = load.between(down_at, back_at)
    settled = load.between(back_at + RECOVERY_SECONDS, float("inf"))
    statuses = {sample.status for sample in load.samples}
    assert statuses <= {200, 503}, statuses
    assert before
    assert {s.status for s in before} == {200}
    assert len(during) >= 30
    assert {s.status for s in during} == {503}, [s for s in during if s.status != 503][:5]
    # Recovered in the same process, and nothing was lost: sessions too answer 200.
    assert settled
    assert {s.status for s in settled} == {200}
    first_ok = min(s.ended for s in load.samples if s.started >= back_at and s.status == 200)
    assert first_ok - back_at < RECOVERY_SECONDS
    # The figures SECURITY.md quotes (shown by ``pytest -rP``).
    recovery_ms = round((first_ok - back_at) * 1000)
    print(
        f"postgres outage: {len(load.samples)} requests, {len(during)} refused with 503,",
        f"back in {recovery_ms} ms",
    )


@pytest.mark.parametrize("delivered", [False, True], ids=["query-lost", "answer-lost"])
async def test_connection_lost_in_the_middle_of_a_query_is_503_not_500(
    app: FastAPI, proxied: tuple[str, TcpProxy], delivered: bool
) -> None:
    proxy = proxied[1]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as api:
        body = {"email": EMAIL, "password": PASSWORD}
        pair = (await api.post("/auth/token", json=body)).json()
        proxy.cut_at_next_query(delivered=delivered)
        cut = await api.get("/api/me", headers=bearer(pair["access_token"]))
        assert cut.status_code == 503, cut.text
        proxy.restore()
        assert (await api.get("/api/me", headers=bearer(pair["access_token"]))).status_code == 200


@pytest.mark.parametrize(
    "messages",
    [0, pytest.param(1, id="1-startup-packet-lost"), 2, 3],
)
async def test_connection_dropped_during_the_database_handshake_is_503_not_500(
    app: FastAPI, proxied: tuple[str, TcpProxy], messages: int
) -> None:
    proxy = proxied[1]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as api:
        body = {"email": EMAIL, "password": PASSWORD}
        access = (await api.post("/auth/token", json=body)).json()["access_token"]
        proxy.cut(after_hello=messages)
        # The first request finds its pooled connection dead; the next ones connect anew
        # and the link dies after the startup packet.
        statuses = [
            (await api.get("/api/me", headers=bearer(access))).status_code for _ in range(3)
        ]
        proxy.restore()
        assert statuses == [503, 503, 503]
        assert (await api.get("/api/me", headers=bearer(access))).status_code == 200
