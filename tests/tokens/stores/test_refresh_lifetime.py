"""A refresh family has an absolute lifetime (RFC 9700 §4.14.2), and odd token text is
refused as an unknown token, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatepass.errors import ConfigurationError, ExpiredTokenError, TokenError
from gatepass.tokens.keys import Key
from gatepass.tokens.refresh import RefreshTokenService
from gatepass.tokens.revocation import RevocationList
from gatepass.tokens.service import TokenService

from .helpers import START, Backend

DAY = 86_400


def service(backend: Backend, *, family: timedelta = timedelta(days=30)) -> RefreshTokenService:
    revocations = RevocationList(backend.revocations, clock=backend.clock)
    return RefreshTokenService(
        backend.refresh,
        revocations,
        lifetime=timedelta(days=14),
        max_family_lifetime=family,
        clock=backend.clock,
    )


async def test_rotation_is_refused_once_the_family_is_older_than_its_lifetime(
    backend: Backend,
) -> None:
    refresh = service(backend, family=timedelta(days=30))
    current = await refresh.issue("user-1")
    for _ in range(4):  # used every week: never idle long enough to expire
        backend.clock.advance(7 * DAY)
        current = await refresh.rotate(current.token)
    assert backend.clock.now == START + 28 * DAY
    backend.clock.advance(2 * DAY)

    # The last token expired with its family.
    with pytest.raises(TokenError, match="expired"):
        await refresh.rotate(current.token)


async def test_tokens_never_outlive_their_family(backend: Backend) -> None:
    refresh = service(backend, family=timedelta(days=20))
    first = await refresh.issue("user-1")
    assert first.record.expires_at == START + 14 * DAY
    backend.clock.advance(10 * DAY)

    second = await refresh.rotate(first.token)

    assert second.record.expires_at == START + 20 * DAY
    assert second.record.family_issued_at == START


async def test_a_record_past_its_family_deadline_is_refused_even_if_unexpired(
    backend: Backend,
) -> None:
    # Issued under a longer family lifetime, then the setting was shortened.
    long = service(backend, family=timedelta(days=90))
    issued = await long.issue("user-1")
    backend.clock.advance(10 * DAY)
    current = await long.rotate(issued.token)
    backend.clock.advance(1 * DAY)

    with pytest.raises(ExpiredTokenError, match="sign in again") as caught:
        await service(backend, family=timedelta(days=7)).rotate(current.token)
    assert caught.value.expired_at is not None
    assert caught.value.expired_at.timestamp() == START + 7 * DAY


def test_family_lifetime_must_be_positive(backend: Backend) -> None:
    with pytest.raises(ConfigurationError, match="family"):
        service(backend, family=timedelta(0))


async def test_token_service_passes_the_family_lifetime_on(backend: Backend) -> None:
    tokens = TokenService(
        keys=Key.generate("ES256"),
        issuer="https://auth.example",
        audience="api",
        refresh_store=backend.refresh,
        revocation_store=backend.revocations,
        refresh_ttl=timedelta(days=14),
        max_family_lifetime=timedelta(days=3),
        clock=backend.clock,
    )
    pair = await tokens.issue("user-1")
    backend.clock.advance(2 * DAY)
    pair = await tokens.refresh(pair.refresh_token)
    backend.clock.advance(1 * DAY)

    with pytest.raises(TokenError):
        await tokens.refresh(pair.refresh_token)


@pytest.mark.parametrize("token", ["\ud800", "x\udfffy" * 4, "é" * 43, "\x00" * 43, "y" * 300])
async def test_token_text_no_issued_token_can_have_is_unknown(backend: Backend, token: str) -> None:
    refresh = service(backend)
    issued = await refresh.issue("user-1")

    with pytest.raises(TokenError, match="unknown"):
        await refresh.rotate(token)
    await refresh.revoke(token)  # RFC 7009 §2.2: quietly, as for any unknown token
    assert (await refresh.rotate(issued.token)).record.subject == "user-1"
