"""APIKeyStrategy: lookup by id, SHA-256 digests compared in constant time."""

from __future__ import annotations

from gatepass.strategies import APIKeyRecord, APIKeyStrategy, Fail, Success
from gatepass.strategies.api_key import generate_api_key, hash_api_key
from gatepass.testing import run_strategy

KEY, DIGEST = generate_api_key("k1")
RECORDS = {"k1": APIKeyRecord(DIGEST, {"id": "svc"}, scopes=("reports:read",))}


def test_generated_key_has_id_and_digest_is_sha256_hex() -> None:
    assert KEY.startswith("k1.")
    assert hash_api_key(KEY) == DIGEST
    assert len(DIGEST) == 64
    assert KEY not in DIGEST


async def test_valid_key_in_header_succeeds_with_scopes() -> None:
    strategy = APIKeyStrategy(RECORDS.get)
    outcome = await run_strategy(strategy, headers={"x-api-key": KEY})
    assert outcome == Success({"id": "svc"}, {"method": "api_key"}, scopes=("reports:read",))


async def test_async_lookup_and_query_parameter() -> None:
    async def lookup(key_id: str) -> APIKeyRecord | None:
        return RECORDS.get(key_id)

    strategy = APIKeyStrategy(lookup, header=None, query_param="api_key")
    assert isinstance(await run_strategy(strategy, query={"api_key": KEY}), Success)


async def test_wrong_secret_with_known_id_fails() -> None:
    outcome = await run_strategy(APIKeyStrategy(RECORDS.get), headers={"x-api-key": "k1.wrong"})
    assert outcome == Fail('APIKey header="X-API-Key"', message="The API key is not valid.")


async def test_unknown_id_and_garbage_digest_fail_the_same_way() -> None:
    broken = {"k2": APIKeyRecord("not-hex", "x")}
    strategy = APIKeyStrategy(broken.get)
    unknown = await run_strategy(strategy, headers={"x-api-key": "k9.secret"})
    garbage = await run_strategy(strategy, headers={"x-api-key": "k2.secret"})
    assert unknown == garbage
    assert isinstance(unknown, Fail)


async def test_query_parameter_is_not_read_unless_enabled() -> None:
    outcome = await run_strategy(APIKeyStrategy(RECORDS.get), query={"api_key": KEY})
    assert outcome == Fail(
        'APIKey header="X-API-Key"', message="An API key is required.", sent=False
    )
