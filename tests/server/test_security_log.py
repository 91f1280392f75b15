"""Security events: one JSON object per line, and never a secret in them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from gatepass.server.datadir import log_secret
from gatepass.server.logging import SECURITY_LOGGER, SecurityLog, account_hash
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from server.server_helpers import (
    BROWSER,
    PASSWORD,
    bearer,
    csrf_from,
    fast_hasher,
    login,
    register,
)


async def test_security_events_are_json_lines_without_secrets(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
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
    key = log_secret(settings.data_dir).encode()
    assert failure["account"] == account_hash("ada@example.com", key)
    everything = caplog.text + "".join(r.getMessage() for r in caplog.records)
    secrets = [PASSWORD, "not the password at all", "ada@example.com"]
    secrets += [pair["access_token"], pair["refresh_token"], second["access_token"]]
    for secret in secrets:
        assert secret not in everything
    for cookie in client.cookies.values():
        assert cookie not in everything


# The ten most common passwords: what a reversal of the old unkeyed hash tried first.
COMMON = ["123456", "password", "12345678", "qwerty", "123456789", "12345", "1234", "111111"]


def test_account_pseudonyms_cannot_be_reversed_from_a_word_list(tmp_path: Path) -> None:
    state = ServerState.build(Settings(data_dir=tmp_path / "data"), hasher=fast_hasher())
    typed = "password"  # a password typed into the email field
    logged = state.account_hash(typed)

    with pytest.warns(DeprecationWarning, match="without a key is reversible"):
        unkeyed = {account_hash(word): word for word in COMMON}
    assert logged not in unkeyed
    assert logged == state.account_hash(" PASSWORD ")  # still correlates attempts


def test_account_pseudonyms_stay_the_same_across_restarts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = ServerState.build(settings, hasher=fast_hasher()).account_hash("ada@example.com")
    again = ServerState.build(settings, hasher=fast_hasher()).account_hash("ada@example.com")
    other = ServerState.build(Settings(data_dir=tmp_path / "other"), hasher=fast_hasher())

    assert first == again
    assert other.account_hash("ada@example.com") != first
    assert (tmp_path / "data" / "log-secret").stat().st_mode & 0o077 == 0


def test_a_configured_log_secret_keys_the_pseudonyms(tmp_path: Path) -> None:
    secret = "s" * 40
    one = Settings(data_dir=tmp_path / "one", log_secret=SecretStr(secret))
    two = Settings(data_dir=tmp_path / "two", log_secret=SecretStr(secret))
    hashes = {
        ServerState.build(settings, hasher=fast_hasher()).account_hash("ada@example.com")
        for settings in (one, two)
    }
    assert hashes == {account_hash("ada@example.com", secret.encode())}


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
