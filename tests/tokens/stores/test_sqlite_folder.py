"""SQLite token stores in a folder that does not exist yet."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gatepass.errors import ConfigurationError
from gatepass.tokens.stores import SQLiteRefreshStore, SQLiteRevocationStore

from .helpers import START, FakeClock, refresh_record


async def test_refresh_and_revocation_stores_create_their_private_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "tokens"
    record = refresh_record()
    async with SQLiteRefreshStore(folder / "refresh.db", clock=FakeClock()) as refresh:
        await refresh.add(record)
        assert (await refresh.spend(record.token_hash)).record == record
    async with SQLiteRevocationStore(folder / "revoked.db", clock=FakeClock()) as revoked:
        await revoked.revoke_token("j1", expires_at=START + 60)
        assert await revoked.is_revoked(jti="j1")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_folder_that_cannot_be_made_fails_at_start_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(
        ConfigurationError, match=r"token store .*refresh\.db, but .*a-file is not a folder"
    ):
        SQLiteRefreshStore(tmp_path / "a-file" / "tokens" / "refresh.db", clock=FakeClock())
