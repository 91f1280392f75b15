"""The stored audit trail over HTTP: ``GET /api/me/events`` and the dashboard's list."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from gatepass.audit import AuditEvent, MemoryAuditStore
from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from server.conftest import BASE_URL
from server.server_helpers import (
    BROWSER,
    PASSWORD,
    bearer,
    fast_hasher,
    login,
    post_form,
    register,
    token_pair,
)
from service_helpers import fresh_database

AGENT = {"user-agent": "audit-test/1.0"}


def _state(app: FastAPI) -> ServerState:
    state: ServerState = app.state.gatepass
    return state


async def _events(client: httpx.AsyncClient, token: str, **params: str) -> httpx.Response:
    return await client.get("/api/me/events", headers=bearer(token), params=params)


async def test_events_list_the_users_logins_newest_first_with_address_and_agent(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    await client.post(
        "/auth/token", json={"email": "ada@example.com", "password": "wrong"}, headers=AGENT
    )
    response = await client.post(
        "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}, headers=AGENT
    )
    token = response.json()["access_token"]
    answer = await _events(client, token)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    events = answer.json()["events"]
    assert [event["type"] for event in events] == [
        "login.succeeded",
        "login.failed",
        "email.verification_sent",
        "user.registered",
    ]
    newest = events[0]
    assert set(newest) >= {"type", "at", "ip", "user_agent"}
    assert newest["ip"] == "127.0.0.1"
    assert newest["user_agent"] == "audit-test/1.0"
    assert newest["at"].endswith("Z")
    assert events[1]["user_agent"] == "audit-test/1.0"


async def test_failed_logins_typed_in_another_case_still_reach_the_owner(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    await client.post("/auth/token", json={"email": "ADA@Example.com", "password": "nope"})
    token = (await token_pair(client))["access_token"]
    types = [event["type"] for event in (await _events(client, token)).json()["events"]]
    assert "login.failed" in types


async def test_a_user_never_sees_another_users_events(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    await register(other_client, email="bob@example.com")
    await client.post("/auth/token", json={"email": "bob@example.com", "password": "nope"})
    ada = (await token_pair(client))["access_token"]
    events = (await _events(client, ada)).json()["events"]
    assert [event["type"] for event in events] == [
        "login.succeeded",
        "email.verification_sent",
        "user.registered",
    ]


async def test_events_page_with_the_cursor_until_none_is_left(client: httpx.AsyncClient) -> None:
    await register(client)
    for _ in range(4):
        await token_pair(client)
    token = (await token_pair(client))["access_token"]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):  # bounded: registration, its mail and five logins, in pages of 2
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = (await _events(client, token, **params)).json()
        seen += [event["at"] for event in body["events"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7
    assert seen == sorted(seen, reverse=True)


async def test_events_need_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me/events", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]


@pytest.mark.parametrize("params", [{"cursor": "abc"}, {"cursor": "0"}, {"limit": "1000"}])
async def test_a_bad_cursor_or_limit_is_a_clear_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    await register(client)
    token = (await token_pair(client))["access_token"]
    response = await _events(client, token, **params)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


async def test_dashboard_shows_recent_security_activity(client: httpx.AsyncClient) -> None:
    await register(client)
    await post_form(client, "/dashboard", "/logout", {})
    await login(client)
    page = (await client.get("/dashboard", headers=BROWSER)).text
    assert "Recent security activity" in page
    section = page.partition("Recent security activity")[2]
    assert "Signed in" in section
    assert "Signed out" in section
    assert "Account created" in section


class BrokenSink:
    """An app's forwarder whose destination is down."""

    async def record(self, event: AuditEvent) -> None:
        raise ConnectionError("forwarder down")


@pytest.fixture
async def forwarding_app(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, MemoryAuditStore]]:
    forwarded = MemoryAuditStore()
    settings = Settings(data_dir=tmp_path / "data", metrics_token=SecretStr("m" * 32))
    app = create_app(
        settings,
        hasher=fast_hasher(),
        security=SecurityLog(),
        audit_sinks=[BrokenSink(), forwarded],
    )
    async with app.router.lifespan_context(app):
        yield app, forwarded


async def test_an_app_routes_events_to_its_own_sinks_and_a_failing_one_never_fails_a_login(
    forwarding_app: tuple[FastAPI, MemoryAuditStore],
) -> None:
    app, forwarded = forwarding_app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        await register(client)
        pair = await token_pair(client)
        await _state(app).audit.recorder.flush()
        assert [event.type for event in await forwarded.list_events()] == [
            "login.succeeded",
            "email.verification_sent",
            "user.registered",
        ]
        # The table still has them too, and the forwarder's failures were counted.
        events = (await _events(client, pair["access_token"])).json()["events"]
        assert len(events) == 3
        metrics = await client.get("/metrics", headers={"authorization": "Bearer " + "m" * 32})
        assert "gatepass_audit_write_failures_total 3.0" in metrics.text


@pytest.mark.postgres
async def test_events_are_stored_and_read_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    async with fresh_database(postgres_url, "gatepass_audit_http_") as url:
        settings = Settings(data_dir=tmp_path / "data", database_url=url)
        app = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                await register(client)
                await client.post(
                    "/auth/token", json={"email": "ada@example.com", "password": "nope"}
                )
                token = (await token_pair(client))["access_token"]
                events = (await _events(client, token)).json()["events"]
    assert [event["type"] for event in events] == [
        "login.succeeded",
        "login.failed",
        "email.verification_sent",
        "user.registered",
    ]


async def test_a_broken_audit_table_never_fails_a_login_and_is_counted(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", metrics_token=SecretStr("m" * 32))
    app = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            await register(client)
            await _state(app).audit.recorder.flush()
            # The table is gone (a bad manual migration): every insert fails for real.
            with sqlite3.connect(tmp_path / "data" / "gatepass.db") as db:
                db.execute("DROP TABLE gatepass_audit_events")
            pair = await client.post(
                "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
            )
            assert pair.status_code == 200
            await _state(app).audit.recorder.flush()
            metrics = await client.get("/metrics", headers={"authorization": "Bearer " + "m" * 32})
    assert "gatepass_audit_write_failures_total 1.0" in metrics.text
