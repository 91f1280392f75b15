"""The verified-token cache answers only for the key that would verify now, and never
shares the claims objects it hands out."""

from __future__ import annotations

from typing import Any

import pytest

from gatepass import jwt
from gatepass.errors import BadSignatureError
from gatepass.tokens import Key, VerifiedTokenCache, Verifier

NOW = 1_700_000_000


def clock() -> float:
    return NOW


class Tenants:
    """A multi-tenant resolver: the request's host picks the key."""

    def __init__(self) -> None:
        # Same kid on purpose: tenants choose their kids independently.
        self.keys = {
            "a.example": Key.generate("ES256", kid="k1"),
            "b.example": Key.generate("ES256", kid="k1"),
        }
        self.calls = 0

    def __call__(self, header: dict[str, Any], request: Any) -> Key:
        self.calls += 1
        return self.keys[request["host"] if request is not None else "a.example"]


async def test_token_cached_for_one_tenant_is_refused_for_another() -> None:
    tenants = Tenants()
    verifier = Verifier(keys=tenants, cache=VerifiedTokenCache(), clock=clock)
    token = jwt.sign({"sub": "alice"}, tenants.keys["a.example"], clock=clock)
    assert (await verifier.verify_async(token, {"host": "a.example"}))["sub"] == "alice"
    with pytest.raises(BadSignatureError):
        await verifier.verify_async(token, {"host": "b.example"})
    # Tenant A's own request still hits the cache.
    assert (await verifier.verify_async(token, {"host": "a.example"}))["sub"] == "alice"


async def test_async_resolver_is_asked_again_on_a_cache_hit() -> None:
    tenants = Tenants()

    async def resolve(header: dict[str, Any], request: Any) -> Key:
        return tenants(header, request)

    verifier = Verifier(keys=resolve, cache=VerifiedTokenCache(), clock=clock)
    token = jwt.sign({"sub": "alice"}, tenants.keys["a.example"], clock=clock)
    await verifier.verify_async(token, {"host": "a.example"})
    with pytest.raises(BadSignatureError):
        await verifier.verify_async(token, {"host": "b.example"})
    # Once to verify, once on the hit; the refused hit then resolves for its full check.
    assert tenants.calls == 3


def test_sync_resolver_that_changed_its_key_stops_a_cached_token() -> None:
    tenants = Tenants()
    verifier = Verifier(keys=tenants, cache=VerifiedTokenCache(), clock=clock)
    token = jwt.sign({"sub": "alice"}, tenants.keys["a.example"], clock=clock)
    verifier.verify(token)
    tenants.keys["a.example"] = Key.generate("ES256", kid="k1")  # rotated by the app
    with pytest.raises(BadSignatureError):
        verifier.verify(token)


def test_resolver_building_an_equal_key_each_time_still_hits_the_cache() -> None:
    original = Key.generate("ES256", kid="k1")
    jwk = original.public_jwk()
    verifier = Verifier(
        keys=lambda header, request: Key.from_jwk(jwk), cache=VerifiedTokenCache(), clock=clock
    )
    token = jwt.sign({"sub": "alice"}, original, clock=clock)
    assert verifier.verify(token)["sub"] == "alice"
    assert verifier.verify(token)["sub"] == "alice"
    assert verifier.cache is not None
    assert len(verifier.cache) == 1


@pytest.mark.parametrize("use_async", [False, True])
async def test_changing_nested_claims_never_changes_the_cached_entry(
    hs256: Key, use_async: bool
) -> None:
    verifier = Verifier(keys=hs256, cache=VerifiedTokenCache(), clock=clock)
    token = jwt.sign({"sub": "bob", "roles": ["reader"], "ctx": {"org": "a"}}, hs256, clock=clock)

    async def verify() -> dict[str, Any]:
        return await verifier.verify_async(token) if use_async else verifier.verify(token)

    first = await verify()
    first["roles"].append("admin")
    first["ctx"]["org"] = "b"
    second = await verify()  # a cache hit
    assert second["roles"] == ["reader"]
    assert second["ctx"] == {"org": "a"}
    second["roles"].append("admin")
    assert (await verify())["roles"] == ["reader"]
