"""Security events: one JSON object per line, and never a secret in them."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from gatepass.server.logging import SECURITY_LOGGER, SecurityLog, account_hash
from server.server_helpers import BROWSER, PASSWORD, bearer, csrf_from, login, register


async def test_security_events_are_json_lines_without_secrets(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    await register(client)
    await login(other_client, password="not the password at all")
    await login(other_client)
    pair = (
        await client.post("/auth/token", json={"email": "ada@example.com", "password": PASSWORD})
    ).json()
    await client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    await client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    second = (
        await client.post("/auth/token", json={"email": "ada@example.com", "password": PASSWORD})
    ).json()
    await client.post("/auth/logout", headers=bearer(second["access_token"]))
    page = await other_client.get("/dashboard", headers=BROWSER)
    await other_client.post("/logout", data={"csrf_token": csrf_from(page.text)}, headers=BROWSER)

    records = [r for r in caplog.records if r.name == SECURITY_LOGGER]
    events = [json.loads(r.getMessage()) for r in records]
    names = [event["event"] for event in events]
    for expected in (
        "user.registered",
        "login.failure",
        "login.success",
        "refresh.reuse",
        "logout",
    ):
        assert expected in names
    failure = next(e for e in events if e["event"] == "login.failure")
    assert failure["account"] == account_hash("ada@example.com")
    everything = caplog.text + "".join(r.getMessage() for r in caplog.records)
    secrets = [PASSWORD, "not the password at all", "ada@example.com"]
    secrets += [pair["access_token"], pair["refresh_token"], second["access_token"]]
    for secret in secrets:
        assert secret not in everything
    for cookie in client.cookies.values():
        assert cookie not in everything


def test_an_event_refuses_fields_that_would_carry_secrets() -> None:
    log = SecurityLog(logging.getLogger("gatepass.security.test"))
    with pytest.raises(ValueError, match="never carry"):
        log.event("login.failure", password="hunter2")


def test_an_event_is_one_line_even_with_newlines_in_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    SecurityLog(clock=lambda: 1_700_000_000.0).event("login.failure", address="1.2.3.4\nforged")
    (record,) = caplog.records
    line = record.getMessage()
    assert "\n" not in line
    assert json.loads(line) == {
        "event": "login.failure",
        "time": 1_700_000_000.0,
        "address": "1.2.3.4\nforged",
    }
