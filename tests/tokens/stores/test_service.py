"""TokenService: pairs, rotation, logout and type confusion, with real ES256 keys."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from gatepass.errors import (
    ConfigurationError,
    ExpiredTokenError,
    MalformedTokenError,
    RevokedTokenError,
    StoreUnavailableError,
    TokenError,
    WrongTokenTypeError,
)
from gatepass.tokens.cache import VerifiedTokenCache
from gatepass.tokens.jws import decode_unverified
from gatepass.tokens.keys import Key
from gatepass.tokens.keyset import KeySet
from gatepass.tokens.service import TokenPair, TokenService
from gatepass.tokens.signing import sign
from gatepass.tokens.stores import (
    MemoryRefreshStore,
    MemoryRevocationStore,
    RedisRevocationStore,
    RefreshStore,
    RevocationStore,
)

from .helpers import START, Backend, FakeClock, unreachable_redis

KEY = Key.generate("ES256")


def make_service(
    clock: FakeClock | None = None,
    *,
    keys: Key | KeySet = KEY,
    refresh_store: RefreshStore | None = None,
    revocation_store: RevocationStore | None = None,
    **options: Any,
) -> TokenService:
    """The service under test: memory stores on ``clock`` unless others are given."""
    clock = clock or FakeClock()
    return TokenService(
        keys=keys,
        issuer="https://auth.example",
        audience="api",
        refresh_store=refresh_store or MemoryRefreshStore(clock=clock),
        revocation_store=revocation_store or MemoryRevocationStore(clock=clock),
        clock=clock,
        **options,
    )


def service_for(backend: Backend, keys: Key | KeySet = KEY, **options: Any) -> TokenService:
    return make_service(
        backend.clock,
        keys=keys,
        refresh_store=backend.refresh,
        revocation_store=backend.revocations,
        **options,
    )


async def test_issue_returns_an_at_jwt_with_rfc_9068_claims(backend: Backend) -> None:
    service = service_for(backend)

    pair = await service.issue("user-1", client_id="web", scope="openid profile")

    header, claims = decode_unverified(pair.access_token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert claims == pair.claims
    assert claims["iss"] == "https://auth.example"
    assert claims["sub"] == "user-1"
    assert claims["aud"] == "api"
    assert claims["client_id"] == "web"
    assert claims["scope"] == "openid profile"
    assert (claims["iat"], claims["exp"]) == (START, START + 900)
    assert claims["jti"]
    assert claims["sid"]
    assert pair.to_dict() == {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
        "expires_in": 900,
    }
    assert await service.verify(pair.access_token) == claims


async def test_refresh_token_is_opaque_and_has_256_bits(backend: Backend) -> None:
    pair = await service_for(backend).issue("user-1")

    assert "." not in pair.refresh_token
    assert len(pair.refresh_token) == 43


async def test_refresh_returns_a_new_pair_of_the_same_family(backend: Backend) -> None:
    service = service_for(backend)
    first = await service.issue("user-1", scope="read")
    backend.clock.advance(60)

    second = await service.refresh(first.refresh_token)

    assert second.refresh_token != first.refresh_token
    assert second.claims["jti"] != first.claims["jti"]
    assert second.claims["sid"] == first.claims["sid"]
    assert second.claims["scope"] == "read"
    assert second.claims["iat"] == START + 60
    assert (await service.verify(second.access_token))["sub"] == "user-1"


async def test_reused_refresh_token_revokes_the_family_and_its_access_tokens(
    backend: Backend,
) -> None:
    service = service_for(backend)
    first = await service.issue("user-1")
    second = await service.refresh(first.refresh_token)
    unrelated = await service.issue("user-1")

    with pytest.raises(RevokedTokenError):
        await service.refresh(first.refresh_token)

    for access_token in (first.access_token, second.access_token):
        with pytest.raises(RevokedTokenError):
            await service.verify(access_token)
    with pytest.raises(RevokedTokenError):
        await service.refresh(second.refresh_token)
    assert (await service.verify(unrelated.access_token))["sub"] == "user-1"


async def test_fifty_concurrent_refreshes_give_exactly_one_pair(backend: Backend) -> None:
    service = service_for(backend)
    pair = await service.issue("user-1")

    results = await asyncio.gather(
        *(service.refresh(pair.refresh_token) for _ in range(50)), return_exceptions=True
    )

    assert sum(isinstance(r, TokenPair) for r in results) == 1
    assert sum(isinstance(r, RevokedTokenError) for r in results) == 49


async def test_logout_revokes_the_access_token_and_its_family(backend: Backend) -> None:
    service = service_for(backend)
    pair = await service.issue("user-1")
    other_session = await service.issue("user-1")

    await service.logout(pair.access_token)

    with pytest.raises(RevokedTokenError):
        await service.verify(pair.access_token)
    with pytest.raises(RevokedTokenError):
        await service.refresh(pair.refresh_token)
    assert (await service.verify(other_session.access_token))["sub"] == "user-1"


async def test_revoking_a_refresh_token_revokes_its_access_tokens(backend: Backend) -> None:
    service = service_for(backend)
    pair = await service.issue("user-1")

    await service.revoke_refresh_token(pair.refresh_token)

    with pytest.raises(RevokedTokenError):
        await service.verify(pair.access_token)


async def test_logout_everywhere_revokes_earlier_tokens_but_not_later_ones(
    backend: Backend,
) -> None:
    service = service_for(backend)
    old = await service.issue("user-1")
    bystander = await service.issue("user-2")
    backend.clock.advance(30)

    await service.logout_everywhere("user-1")
    backend.clock.advance(1)
    new = await service.issue("user-1")

    with pytest.raises(RevokedTokenError):
        await service.verify(old.access_token)
    with pytest.raises(RevokedTokenError):
        await service.refresh(old.refresh_token)
    assert (await service.verify(new.access_token))["sub"] == "user-1"
    assert (await service.verify(bystander.access_token))["sub"] == "user-2"


async def test_refresh_token_is_never_accepted_as_an_access_token(backend: Backend) -> None:
    service = service_for(backend)
    pair = await service.issue("user-1")

    with pytest.raises(MalformedTokenError):
        await service.verify(pair.refresh_token)


async def test_access_token_is_never_accepted_as_a_refresh_token(backend: Backend) -> None:
    service = service_for(backend)
    pair = await service.issue("user-1")

    with pytest.raises(WrongTokenTypeError):
        await service.refresh(pair.access_token)
    assert (await service.refresh(pair.refresh_token)).claims["sub"] == "user-1"


async def test_other_jwt_types_signed_with_the_same_key_are_refused() -> None:
    clock = FakeClock()
    service = make_service(clock)
    claims = {"iss": "https://auth.example", "aud": "api", "jti": "x"}
    for headers in [None, {"typ": "JWT"}, {"typ": "id_token+jwt"}]:
        token = sign(claims, KEY, subject="user-1", headers=headers, clock=clock)
        with pytest.raises(WrongTokenTypeError):
            await service.verify(token)


async def test_access_token_expires_after_its_lifetime() -> None:
    clock = FakeClock()
    service = make_service(clock, access_ttl=timedelta(minutes=5))
    pair = await service.issue("user-1")
    assert pair.expires_in == 300
    clock.advance(300)

    with pytest.raises(ExpiredTokenError):
        await service.verify(pair.access_token)
    assert (await service.refresh(pair.refresh_token)).expires_in == 300


async def test_tokens_signed_before_a_key_rotation_still_verify() -> None:
    clock = FakeClock()
    keys = KeySet([Key.generate("ES256", kid="old")])
    service = make_service(clock, keys=keys)
    before = await service.issue("user-1")

    keys.rotate(Key.generate("ES256", kid="new"))
    after = await service.issue("user-1")

    assert decode_unverified(after.access_token).header["kid"] == "new"
    assert (await service.verify(before.access_token))["sub"] == "user-1"


async def test_verification_fails_closed_when_the_revocation_store_is_down() -> None:
    clock = FakeClock()
    client = unreachable_redis()
    service = make_service(clock, revocation_store=RedisRevocationStore(client, clock=clock))
    try:
        pair = await service.issue("user-1")
        with pytest.raises(StoreUnavailableError):
            await service.verify(pair.access_token)
        with pytest.raises(StoreUnavailableError):
            await service.refresh(pair.refresh_token)
    finally:
        await client.aclose()


def test_a_public_key_cannot_run_a_token_service() -> None:
    with pytest.raises(ConfigurationError, match="private"):
        TokenService(
            keys=KEY.public_key(),
            issuer="https://auth.example",
            audience="api",
            refresh_store=MemoryRefreshStore(),
            revocation_store=MemoryRevocationStore(),
        )


async def test_token_pair_repr_hides_the_tokens() -> None:
    clock = FakeClock()
    service = make_service(clock)
    pair = await service.issue("user-1")

    assert pair.access_token not in repr(pair)
    assert pair.refresh_token not in repr(pair)


async def test_unknown_refresh_token_is_a_token_error() -> None:
    service = make_service()

    with pytest.raises(TokenError) as caught:
        await service.refresh("never-issued")
    assert caught.value.status_code == 401


async def test_refresh_by_another_client_is_refused_and_revokes_the_family(
    backend: Backend,
) -> None:
    service = service_for(backend)
    pair = await service.issue("user-1", client_id="web")
    second = await service.refresh(pair.refresh_token, client_id="web")

    with pytest.raises(RevokedTokenError, match="another client"):
        await service.refresh(second.refresh_token, client_id="mobile")

    with pytest.raises(RevokedTokenError):
        await service.verify(second.access_token)


async def test_cached_tokens_are_refused_after_every_kind_of_revocation(backend: Backend) -> None:
    # With the memory store the cache keeps "not revoked" until the store's version
    # moves; with SQLite and Redis every verification asks. Either way, none lingers.
    service = service_for(backend, cache=VerifiedTokenCache())
    logged_out, reused, everywhere, other = [await service.issue(f"user-{n}") for n in range(4)]
    for pair in (logged_out, reused, everywhere, other):
        await service.verify(pair.access_token)
        await service.verify(pair.access_token)

    await service.refresh(reused.refresh_token)
    with pytest.raises(TokenError):
        await service.refresh(reused.refresh_token)  # reuse: the family is revoked
    with pytest.raises(RevokedTokenError):
        await service.verify(reused.access_token)

    backend.clock.advance(1)  # the cut-off spares tokens of its own second
    await service.logout_everywhere("user-2")
    with pytest.raises(RevokedTokenError):
        await service.verify(everywhere.access_token)

    await service.logout(logged_out.access_token)
    with pytest.raises(RevokedTokenError):
        await service.verify(logged_out.access_token)
    assert (await service.verify(other.access_token))["sub"] == "user-3"
