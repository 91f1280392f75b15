"""A revocation version lets a cached token skip the revocation check, exactly, never late."""

from __future__ import annotations

from typing import Any

import pytest

from gatepass import jwt
from gatepass.errors import RevokedTokenError
from gatepass.tokens import Key, VerifiedTokenCache, Verifier
from gatepass.tokens.stores import MemoryRevocationStore

NOW = 1_700_000_000


class Revocations:
    """A revocation check that counts its questions, with a version it moves on revoke."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()
        self.asked = 0
        self.number = 0

    def revoke(self, jti: str) -> None:
        self.revoked.add(jti)
        self.number += 1

    def version(self) -> int:
        return self.number

    def check(self, claims: dict[str, Any]) -> bool:
        self.asked += 1
        return claims["jti"] in self.revoked

    async def check_async(self, claims: dict[str, Any]) -> bool:
        return self.check(claims)


def verifier_for(key: Key, revocations: Revocations, *, cache: bool = True) -> Verifier:
    return Verifier(
        keys=key,
        cache=VerifiedTokenCache() if cache else None,
        revocation_check=revocations.check,
        revocation_version=revocations.version,
        clock=lambda: NOW,
    )


def test_a_cached_token_is_asked_about_again_only_when_the_version_moves(hs256: Key) -> None:
    revocations = Revocations()
    verifier = verifier_for(hs256, revocations)
    token = jwt.sign({}, hs256, jwt_id="t1", clock=lambda: NOW)

    for _ in range(3):
        verifier.verify(token)
    assert revocations.asked == 1

    revocations.revoke("another")
    verifier.verify(token)
    verifier.verify(token)
    assert revocations.asked == 2

    revocations.revoke("t1")
    with pytest.raises(RevokedTokenError):
        verifier.verify(token)


async def test_verify_async_keeps_the_answer_the_same_way(hs256: Key) -> None:
    revocations = Revocations()
    verifier = Verifier(
        keys=hs256,
        cache=VerifiedTokenCache(),
        revocation_check=revocations.check_async,
        revocation_version=revocations.version,
        clock=lambda: NOW,
    )
    token = jwt.sign({}, hs256, jwt_id="t1", clock=lambda: NOW)

    for _ in range(3):
        await verifier.verify_async(token)
    assert revocations.asked == 1

    revocations.revoke("t1")
    with pytest.raises(RevokedTokenError):
        await verifier.verify_async(token)
    with pytest.raises(RevokedTokenError):
        await verifier.verify_async(token)


def test_a_revocation_that_lands_during_the_check_makes_the_next_hit_ask(hs256: Key) -> None:
    revocations = Revocations()

    def check_while_someone_revokes(claims: dict[str, Any]) -> bool:
        answer = revocations.check(claims)  # "not revoked", read before the revocation
        revocations.revoke(claims["jti"])
        return answer

    verifier = Verifier(
        keys=hs256,
        cache=VerifiedTokenCache(),
        revocation_check=check_while_someone_revokes,
        revocation_version=revocations.version,
        clock=lambda: NOW,
    )
    token = jwt.sign({}, hs256, jwt_id="t1", clock=lambda: NOW)
    verifier.verify(token)

    with pytest.raises(RevokedTokenError):
        verifier.verify(token)


def test_without_a_cache_every_verification_asks(hs256: Key) -> None:
    revocations = Revocations()
    verifier = verifier_for(hs256, revocations, cache=False)
    token = jwt.sign({}, hs256, jwt_id="t1", clock=lambda: NOW)

    verifier.verify(token)
    verifier.verify(token)

    assert revocations.asked == 2


async def test_the_memory_store_version_moves_on_every_revocation() -> None:
    store = MemoryRevocationStore(clock=lambda: NOW)
    seen = [store.version()]

    await store.revoke_token("t1", expires_at=NOW + 60)
    seen.append(store.version())
    await store.revoke_family("f1", expires_at=NOW + 60)
    seen.append(store.version())
    await store.revoke_subject("u1", before=NOW, expires_at=NOW + 60)
    seen.append(store.version())
    await store.revoke_subject("u1", before=NOW - 10, expires_at=NOW + 60)  # not later

    assert len(set(seen)) == 4
    assert store.version() == seen[-1]
