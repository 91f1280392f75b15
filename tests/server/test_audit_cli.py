"""``gatepass audit list``: the stored trail as JSON lines, filtered by account and type."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatepass.server.app import create_app
from gatepass.server.settings import Settings
from server.server_helpers import PASSWORD, fast_hasher
from server.test_cli import EMAIL, add_admin, data_dir, run

__all__ = ["data_dir"]  # the fixture, shared with the CLI tests


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


async def _traffic(data_dir: Path) -> None:
    app = create_app(Settings(data_dir=data_dir), hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            agent = {"user-agent": "cli-test"}
            await http.post("/auth/token", json={"email": EMAIL, "password": "no"}, headers=agent)
            await http.post("/auth/token", json={"email": EMAIL, "password": PASSWORD})
            await http.post("/auth/token", json={"email": "x@example.com", "password": "no"})


async def test_audit_list_prints_an_accounts_events_as_json_lines(data_dir: Path) -> None:
    await asyncio.to_thread(add_admin)
    await _traffic(data_dir)
    status, output = await asyncio.to_thread(run, "audit", "list", "--user", EMAIL)
    assert status == 0, output
    events = _lines(output)
    assert [event["type"] for event in events] == [
        "login.succeeded",
        "login.failed",
        "user.created",
    ]
    failed = events[1]
    assert failed["ip"] == "127.0.0.1"
    assert failed["user_agent"] == "cli-test"
    assert failed["detail"] == {"channel": "api"}
    assert events[2]["detail"] == {"channel": "cli"}
    assert PASSWORD not in output


async def test_audit_list_filters_by_type_across_accounts(data_dir: Path) -> None:
    await asyncio.to_thread(add_admin)
    await _traffic(data_dir)
    status, output = await asyncio.to_thread(run, "audit", "list", "--type", "login.failed")
    assert status == 0
    events = _lines(output)
    assert [event["type"] for event in events] == ["login.failed", "login.failed"]
    assert len({event["account"] for event in events}) == 2
    status, output = await asyncio.to_thread(run, "audit", "list", "--limit", "1")
    assert len(_lines(output)) == 1


@pytest.mark.parametrize("argv", [["audit"], ["audit", "list"]])
def test_audit_commands_have_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(*argv, "--help")
    assert exit_info.value.code == 0
    assert "usage: gatepass" in capsys.readouterr().out
