"""Refresh rotation and reuse detection (RFC 9700 §4.14.2), on every backend."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest

from gatepass.errors import RevokedTokenError, TokenError, WrongTokenTypeError
from gatepass.tokens.refresh import IssuedRefreshToken, RefreshTokenService, hash_refresh_token
from gatepass.tokens.revocation import RevocationList

from .helpers import START, Backend


def services(backend: Backend) -> tuple[RefreshTokenService, RevocationList]:
    revocations = RevocationList(
        backend.revocations,
        access_ttl=timedelta(minutes=15),
        refresh_ttl=timedelta(days=14),
        clock=backend.clock,
    )
    refresh = RefreshTokenService(
        backend.refresh, revocations, lifetime=timedelta(days=14), clock=backend.clock
    )
    return refresh, revocations


async def test_rotation_returns_a_new_token_of_the_same_family(backend: Backend) -> None:
    refresh, _ = services(backend)
    first = await refresh.issue("user-1", client_id="web", scope="openid")
    backend.clock.advance(60)

    second = await refresh.rotate(first.token)

    assert second.token != first.token
    assert second.record.family_id == first.record.family_id
    assert second.record.subject == "user-1"
    assert (second.record.client_id, second.record.scope) == ("web", "openid")
    assert second.record.issued_at == START + 60
    assert second.record.expires_at == START + 60 + 14 * 86400
    assert second.record.family_issued_at == START


async def test_each_login_starts_its_own_family(backend: Backend) -> None:
    refresh, _ = services(backend)

    one, two = await refresh.issue("user-1"), await refresh.issue("user-1")

    assert one.record.family_id != two.record.family_id


async def test_reusing_a_spent_token_revokes_the_whole_family(backend: Backend) -> None:
    refresh, revocations = services(backend)
    stolen = await refresh.issue("user-1")
    legitimate = await refresh.rotate(stolen.token)
    family = stolen.record.family_id

    with pytest.raises(RevokedTokenError):
        await refresh.rotate(stolen.token)

    with pytest.raises(RevokedTokenError):
        await refresh.rotate(legitimate.token)
    # Every access token issued from the family is revoked too.
    claims = {"jti": "a1", "sub": "user-1", "sid": family, "iat": START, "exp": START + 900}
    assert await revocations.is_revoked(claims)
    other = {"jti": "a2", "sub": "user-1", "sid": "other", "iat": START, "exp": START + 900}
    assert not await revocations.is_revoked(other)


async def test_fifty_concurrent_refreshes_of_one_token_have_exactly_one_winner(
    backend: Backend,
) -> None:
    refresh, _ = services(backend)
    issued = await refresh.issue("user-1")

    results = await asyncio.gather(
        *(refresh.rotate(issued.token) for _ in range(50)), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, IssuedRefreshToken)]
    assert len(winners) == 1
    assert all(isinstance(r, RevokedTokenError) for r in results if r not in winners)


async def test_unknown_token_is_refused_without_revoking_anything(backend: Backend) -> None:
    refresh, _ = services(backend)
    issued = await refresh.issue("user-1")

    with pytest.raises(TokenError) as caught:
        await refresh.rotate("not-a-token-we-issued")

    assert not isinstance(caught.value, RevokedTokenError)
    assert (await refresh.rotate(issued.token)).record.family_id == issued.record.family_id


async def test_expired_refresh_token_is_refused(backend: Backend) -> None:
    refresh, _ = services(backend)
    issued = await refresh.issue("user-1")
    backend.clock.advance(14 * 86400)

    with pytest.raises(TokenError, match="expired"):
        await refresh.rotate(issued.token)


async def test_access_jwt_is_never_accepted_as_a_refresh_token(backend: Backend) -> None:
    refresh, _ = services(backend)

    with pytest.raises(WrongTokenTypeError):
        await refresh.rotate("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl")


@pytest.mark.parametrize("token", ["", "x" * 257])
async def test_empty_or_oversized_token_is_refused(backend: Backend, token: str) -> None:
    refresh, _ = services(backend)

    with pytest.raises(TokenError):
        await refresh.rotate(token)


async def test_revoking_a_refresh_token_ends_its_family(backend: Backend) -> None:
    refresh, revocations = services(backend)
    issued = await refresh.issue("user-1")
    current = await refresh.rotate(issued.token)

    await refresh.revoke(current.token)

    with pytest.raises(TokenError):
        await refresh.rotate(current.token)
    assert await revocations.is_revoked({"sid": issued.record.family_id, "sub": "user-1"})


async def test_revoking_an_unknown_refresh_token_is_a_quiet_no_op(backend: Backend) -> None:
    refresh, _ = services(backend)

    await refresh.revoke("never-issued")


async def test_log_out_everywhere_ends_families_started_before_the_cutoff(
    backend: Backend,
) -> None:
    refresh, revocations = services(backend)
    old = await refresh.issue("user-1")
    other_user = await refresh.issue("user-2")
    backend.clock.advance(3600)
    old = await refresh.rotate(old.token)  # rotated after login, family still old
    backend.clock.advance(10)

    await revocations.revoke_subject("user-1")
    backend.clock.advance(1)
    fresh = await refresh.issue("user-1")

    with pytest.raises(RevokedTokenError):
        await refresh.rotate(old.token)
    assert (await refresh.rotate(fresh.token)).record.subject == "user-1"
    assert (await refresh.rotate(other_user.token)).record.subject == "user-2"


async def test_refresh_tokens_are_stored_only_as_hashes(backend: Backend) -> None:
    refresh, _ = services(backend)
    issued = await refresh.issue("user-1")
    spent_too = await refresh.rotate(issued.token)
    tokens = [issued.token, spent_too.token]

    if backend.name == "sqlite":
        with closing(sqlite3.connect(backend.path)) as db:
            stored = db.execute("SELECT * FROM gatepass_refresh_tokens").fetchall()
        text = repr(stored)
        assert not any(token.encode() in backend.path.read_bytes() for token in tokens)
    elif backend.name == "redis":
        text = repr(await backend.redis_values())
    else:
        text = repr(vars(backend.refresh)) + repr(backend.refresh._records._values)  # type: ignore[attr-defined]

    assert hash_refresh_token(issued.token) in text
    assert not any(token in text for token in tokens)


def test_issued_token_repr_does_not_show_the_token() -> None:
    issued = IssuedRefreshToken(token="secret-token-text", record=None)  # type: ignore[arg-type]

    assert "secret-token-text" not in repr(issued)
