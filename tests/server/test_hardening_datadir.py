"""The data folder and every file in it are owner-only (CWE-276)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import fast_hasher, register


@pytest.fixture
def ordinary_umask() -> Iterator[None]:
    """The usual 022 umask, under which files are created 0644 unless made private."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _run_server(data_dir: Path, email: str = "ada@example.com") -> None:
    app = create_app(Settings(data_dir=data_dir), hasher=fast_hasher(), security=SecurityLog())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            assert (await register(http, email)).status_code == 303
            assert (await http.post("/auth/token", json={})).status_code in {400, 422}


def _assert_private(data_dir: Path) -> None:
    assert _mode(data_dir) == 0o700
    files = [path for path in data_dir.iterdir() if path.is_file()]
    names = {path.name for path in files}
    assert {"gatepass.db", "sessions.db", "tokens.db", "revocations.db"} <= names
    assert {path.name: oct(_mode(path)) for path in files} == {path.name: "0o600" for path in files}


@pytest.mark.usefixtures("ordinary_umask")
async def test_a_fresh_data_folder_holds_only_owner_only_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    await _run_server(data_dir)
    _assert_private(data_dir)


@pytest.mark.usefixtures("ordinary_umask")
async def test_an_existing_0755_data_folder_is_made_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "existing"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    await _run_server(data_dir)
    _assert_private(data_dir)


@pytest.mark.usefixtures("ordinary_umask")
async def test_files_left_readable_by_an_older_version_are_made_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    await _run_server(data_dir)
    for path in data_dir.iterdir():
        path.chmod(0o644)
    data_dir.chmod(0o755)
    await _run_server(data_dir, "bea@example.com")
    _assert_private(data_dir)
