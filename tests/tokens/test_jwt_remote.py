"""RemoteKeySet against a real JWKS endpoint (a Starlette app, served in process)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatepass import jwt
from gatepass.errors import ConfigurationError, KeySetUnavailableError, UnknownKeyError
from gatepass.tokens import Key, KeySet, RemoteKeySet, VerifiedTokenCache, Verifier

URL = "http://issuer.test/.well-known/jwks.json"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """A JWKS endpoint that counts requests and can be told to misbehave."""

    def __init__(self, keys: list[Key]) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.conditional = 0
        self.status = 200
        self.cache_control = "public, max-age=300"
        self.body: bytes | None = None
        self.gate: asyncio.Event | None = None
        self.app = Starlette(routes=[Route("/.well-known/jwks.json", self.jwks)])

    def etag(self) -> str:
        return '"' + "-".join(key.kid for key in self.keys) + '"'

    async def jwks(self, request: Request) -> Response:
        self.fetches += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.status != 200:
            return JSONResponse({"error": "down"}, status_code=self.status)
        if self.body is not None:
            return Response(self.body, media_type="application/json")
        headers = {"Cache-Control": self.cache_control, "ETag": self.etag()}
        if request.headers.get("if-none-match") == self.etag():
            self.conditional += 1
            return Response(status_code=304, headers=headers)
        return JSONResponse(KeySet(self.keys).to_jwks(), headers=headers)


@pytest.fixture
def signing_keys() -> list[Key]:
    return [Key.generate("ES256", kid="a"), Key.generate("ES256", kid="b")]


@pytest.fixture
def issuer(signing_keys: list[Key]) -> Issuer:
    return Issuer(signing_keys)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=issuer.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://issuer.test") as client:
        yield client


@pytest.fixture
def remote(client: httpx.AsyncClient, clock: Clock) -> RemoteKeySet:
    return RemoteKeySet(URL, client=client, clock=clock, refresh_cooldown=30, max_stale="1h")


async def test_keys_are_fetched_once_and_then_served_from_cache(
    remote: RemoteKeySet, issuer: Issuer, signing_keys: list[Key]
) -> None:
    assert (await remote.get("a")).kid == "a"
    assert (await remote.get("b")).kid == "b"
    assert issuer.fetches == 1
    assert remote.fetches == 1
    key = await remote.get("a")
    assert key.verify_signature(b"m", signing_keys[0].sign(b"m"))
    assert not key.can_sign


async def test_stale_keys_are_served_while_a_conditional_get_revalidates(
    remote: RemoteKeySet, issuer: Issuer, clock: Clock
) -> None:
    await remote.get("a")
    clock.now += 301  # past max-age=300
    assert (await remote.get("a")).kid == "a"  # answered at once, from the stale copy
    await remote.refresh()  # joins the background revalidation, no extra request
    assert issuer.fetches == 2
    assert issuer.conditional == 1  # If-None-Match -> 304 Not Modified
    await remote.get("a")
    assert issuer.fetches == 2  # fresh again for another max-age


async def test_unknown_kid_refetches_at_most_once_per_cooldown(
    remote: RemoteKeySet, issuer: Issuer, clock: Clock
) -> None:
    await remote.get("a")
    clock.now += 31
    for _ in range(200):
        with pytest.raises(UnknownKeyError):
            await remote.get(uuid.uuid4().hex)
    assert issuer.fetches == 2  # one refetch for the flood, not two hundred
    clock.now += 31
    with pytest.raises(UnknownKeyError):
        await remote.get("still-unknown")
    assert issuer.fetches == 3


async def test_unknown_kid_is_not_echoed_at_length(remote: RemoteKeySet) -> None:
    with pytest.raises(UnknownKeyError) as info:
        await remote.get("K" * 11_000)
    assert len(info.value.message) <= 200 + len(URL)


async def test_new_key_is_found_by_refetch_on_unknown_kid(
    remote: RemoteKeySet, issuer: Issuer, clock: Clock
) -> None:
    await remote.get("a")
    issuer.keys.append(Key.generate("ES256", kid="c"))
    clock.now += 31
    assert (await remote.get("c")).kid == "c"
    assert issuer.fetches == 2


async def test_concurrent_misses_share_one_fetch(remote: RemoteKeySet, issuer: Issuer) -> None:
    issuer.gate = asyncio.Event()
    waiting = [asyncio.ensure_future(remote.get("a" if n % 2 else "b")) for n in range(50)]
    await asyncio.sleep(0.01)
    issuer.gate.set()
    keys = await asyncio.gather(*waiting)
    assert {key.kid for key in keys} == {"a", "b"}
    assert issuer.fetches == 1


async def test_removed_key_stops_verifying_after_refresh(
    remote: RemoteKeySet, issuer: Issuer, clock: Clock, signing_keys: list[Key]
) -> None:
    verifier = Verifier(keys=remote, cache=VerifiedTokenCache(ttl="1h"))
    token = jwt.sign({"sub": "x"}, signing_keys[0])
    assert await verifier.verify_async(token)
    assert await verifier.verify_async(token)  # cached
    issuer.keys = [signing_keys[1]]  # the issuer revokes key "a"
    clock.now += 301
    await remote.refresh()
    with pytest.raises(UnknownKeyError):
        await verifier.verify_async(token)
    other = jwt.sign({"sub": "y"}, signing_keys[1])
    assert (await verifier.verify_async(other))["sub"] == "y"


async def test_issuer_down_and_nothing_cached_is_a_503(
    remote: RemoteKeySet, issuer: Issuer, clock: Clock
) -> None:
    issuer.status = 500
    with pytest.raises(KeySetUnavailableError, match="HTTP 500") as info:
        await remote.get("a")
    assert info.value.status_code == 503
    assert info.value.code == "jwks_unavailable"
    # Retries are paced by the cooldown: a flood of requests makes no flood of fetches.
    for _ in range(20):
        with pytest.raises(KeySetUnavailableError):
            await remote.get("a")
    assert issuer.fetches == 1
    issuer.status = 200
    clock.now += 31
    assert (await remote.get("a")).kid == "a"  # recovers by itself


async def test_unreachable_issuer_is_a_503(clock: Clock) -> None:
    async with httpx.AsyncClient() as client:
        remote = RemoteKeySet("http://127.0.0.1:9/jwks.json", client=client, clock=clock)
        with pytest.raises(KeySetUnavailableError, match="cannot be fetched"):
            await remote.get("a")


async def test_closed_client_is_a_503(issuer: Issuer, clock: Clock) -> None:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer.app))
    await client.aclose()
    remote = RemoteKeySet(URL, client=client, clock=clock)
    with pytest.raises(KeySetUnavailableError, match="RuntimeError"):
        await remote.get("a")


async def test_issuer_down_serves_stale_keys_until_max_stale(
    remote: RemoteKeySet, issuer: Issuer, clock: Clock
) -> None:
    await remote.get("a")
    issuer.status = 503
    clock.now += 301
    assert (await remote.get("a")).kid == "a"
    with pytest.raises(KeySetUnavailableError):
        await remote.refresh()
    clock.now += 3600  # past max-age + max_stale: nothing usable remains
    with pytest.raises(KeySetUnavailableError):
        await remote.get("a")


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"not json", "not JSON"), (b'{"nokeys": 1}', "not a JWKS"), (b"[]", "not a JWKS")],
)
async def test_bad_documents_are_unavailable(
    remote: RemoteKeySet, issuer: Issuer, body: bytes, message: str
) -> None:
    issuer.body = body
    with pytest.raises(KeySetUnavailableError, match=message):
        await remote.get("a")


async def test_unusable_keys_are_skipped_and_missing_alg_is_pinned(
    remote: RemoteKeySet, issuer: Issuer
) -> None:
    rsa = Key.generate("RS256", kid="r")
    no_alg = {k: v for k, v in rsa.public_jwk().items() if k != "alg"}
    enc = {**Key.generate("ES256", kid="e").public_jwk(), "use": "enc"}
    secret = {"kty": "oct", "k": "A" * 43, "alg": "HS256", "kid": "s"}
    issuer.body = orjson.dumps({"keys": [no_alg, enc, secret, {"kty": "weird"}]})
    key = await remote.get("r")
    assert key.algorithm == "RS256"
    for kid in ("e", "s"):
        with pytest.raises(UnknownKeyError):
            await remote.get(kid)
    assert remote.find_cached("r") is key


@pytest.mark.parametrize(
    ("header", "ttl"),
    [
        ("max-age=600", 600),
        ("no-cache", 60),
        ("max-age=5", 60),
        ("max-age=999999", 86400),
        ("", 600),
    ],
)
async def test_freshness_follows_cache_control_within_bounds(
    client: httpx.AsyncClient, issuer: Issuer, clock: Clock, header: str, ttl: int
) -> None:
    issuer.cache_control = header
    remote = RemoteKeySet(URL, client=client, clock=clock, default_ttl="10m")
    await remote.get("a")
    clock.now += ttl - 1
    await remote.get("a")
    assert issuer.fetches == 1
    clock.now += 1
    await remote.get("a")
    await remote.refresh()
    assert issuer.fetches == 2


async def test_sync_verify_with_a_remote_key_set_says_to_use_verify_async(
    remote: RemoteKeySet, signing_keys: list[Key]
) -> None:
    verifier = Verifier(keys=remote)
    with pytest.raises(ConfigurationError, match="verify_async"):
        verifier.verify(jwt.sign({}, signing_keys[0]))


async def test_owned_client_is_made_and_closed(issuer: Issuer, clock: Clock) -> None:
    async with RemoteKeySet("http://127.0.0.1:9/jwks.json", clock=clock) as remote:
        with pytest.raises(KeySetUnavailableError):
            await remote.get("a")
        assert remote._client is not None
    assert remote._client is None
    assert repr(remote) == "RemoteKeySet('http://127.0.0.1:9/jwks.json', kids=[])"
