"""Anonymous visitors write no session rows (issue 22, finding 9; OWASP ASVS 5.0 2.4.1).

Before: every cookieless ``GET /login`` stored a session (~270 bytes, kept 30 minutes),
so a loop of requests grew the store without bound.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from gatepass.server.settings import Settings
from server.server_helpers import BROWSER, login, register


def stored_sessions(settings: Settings) -> int:
    path = Path(settings.data_dir) / "sessions.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return sum(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables)  # noqa: S608


async def test_cookieless_login_page_visits_store_no_session(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for _ in range(200):
        client.cookies.clear()
        page = await client.get("/login", headers=BROWSER)
        assert page.status_code == 200
        assert 'name="csrf_token"' in page.text
    assert stored_sessions(settings) == 0


async def test_a_failed_login_flashes_without_a_stored_session(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, settings: Settings
) -> None:
    await register(other_client)
    failed = await login(client, password="not the password at all")
    assert failed.status_code == 303
    page = await client.get(failed.headers["location"], headers=BROWSER)
    assert "Incorrect email or password." in page.text
    rows_with_the_owner = stored_sessions(settings)
    assert rows_with_the_owner == 1  # the registered user's own session only

    ok = await login(client)
    assert ok.headers["location"] == "/dashboard"
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 200
    assert stored_sessions(settings) == 2
