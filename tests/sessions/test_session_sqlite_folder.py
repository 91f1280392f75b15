"""An SQLite session file in a folder that does not exist yet, as a first app writes it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gatepass.errors import ConfigurationError
from gatepass.sessions import SQLiteSessionStore
from sessions.session_helpers import client_for, session_app


async def test_sessions_in_a_new_folder_work_and_the_folder_is_private(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "sessions"
    store = SQLiteSessionStore(folder / "sessions.db")
    try:
        async with client_for(session_app(store)) as client:
            assert (await client.post("/set", params={"theme": "dark"})).status_code == 200
            assert (await client.get("/show")).json()["data"] == {"theme": "dark"}
    finally:
        await store.close()
    assert (folder / "sessions.db").is_file()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700


def test_a_folder_that_cannot_be_made_fails_at_start_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(
        ConfigurationError, match=r"session store .*db\.sqlite3, but .*a-file is not a folder"
    ):
        SQLiteSessionStore(tmp_path / "a-file" / "sessions" / "db.sqlite3")


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    SQLiteSessionStore(folder / "sessions.db")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
