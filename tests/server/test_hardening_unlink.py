"""Unlinking a provider never leaves a password-less account without a way in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from gatepass.authenticator import Authenticator
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.social import SocialLogin
from gatepass.users import SQLUserStore
from gatepass.users.identities import Identity
from gatepass.users.identities_sql import SQLIdentityStore


class _ListsTogether(SQLIdentityStore):
    """Two requests read the links before either writes: the race, made certain."""

    def __init__(self, users: SQLUserStore) -> None:
        super().__init__(users)
        self.barrier = asyncio.Barrier(2)

    async def list_for_user(self, user_id: str) -> list[Identity]:
        links = await super().list_for_user(user_id)
        await self.barrier.wait()
        return links


@pytest.fixture
async def social(tmp_path: Path) -> AsyncIterator[tuple[SQLUserStore, SocialLogin]]:
    """GitHub and Google configured, on a SQLite user database."""
    settings = Settings(
        data_dir=tmp_path,
        public_url="https://auth.example.com",
        github_client_id="gh",
        github_client_secret=SecretStr("gh-secret"),
        google_client_id="go",
        google_client_secret=SecretStr("go-secret"),
    )
    async with SQLUserStore(f"sqlite:///{tmp_path / 'users.db'}") as users:
        login = SocialLogin.configure(
            settings, auth=Authenticator(), users=users, security=SecurityLog()
        )
        try:
            yield users, login
        finally:
            await login.aclose()


async def test_concurrent_unlinks_keep_the_last_way_in(
    social: tuple[SQLUserStore, SocialLogin],
) -> None:
    users, login = social
    ann = await users.create(email="ann@example.com", password_hash=None)
    await login.identities.link(ann.id, "github", "1")
    await login.identities.link(ann.id, "google", "2")
    login.identities = _ListsTogether(users)
    results = await asyncio.gather(
        login.unlink(ann, "github", "1"), login.unlink(ann, "google", "2")
    )
    assert sorted(results) == ["last_way_in", "unlinked"]
    assert len(await SQLIdentityStore(users).list_for_user(ann.id)) == 1


async def test_a_repeated_unlink_of_one_link_is_not_linked(
    social: tuple[SQLUserStore, SocialLogin],
) -> None:
    users, login = social
    ann = await users.create(email="ann@example.com", password_hash="$argon2id$stand-in")
    await login.identities.link(ann.id, "github", "1")
    assert await login.unlink(ann, "github", "1") == "unlinked"
    assert await login.unlink(ann, "github", "1") == "not_linked"
