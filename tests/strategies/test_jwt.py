"""JWTStrategy on gatepass.tokens: extractors, RFC 6750 challenges, claims and scopes."""

from __future__ import annotations

import base64
import functools
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from starlette.requests import HTTPConnection

from gatepass.errors import ConfigurationError, UnknownKeyError
from gatepass.strategies import Fail, JWTStrategy, Success, extractors
from gatepass.testing import FrozenClock, mint_token, run_strategy
from gatepass.tokens import Key, KeySet, Verifier

KEY = Key.generate("ES256", kid="k1")
OTHER = Key.generate("ES256", kid="k2")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def strategy(clock: FrozenClock) -> JWTStrategy:
    return JWTStrategy(
        KeySet([KEY.public_key()]), audience="api", issuer="https://id.example", clock=clock
    )


def token(clock: Callable[[], float], *, key: Key = KEY, **kwargs: Any) -> str:
    options: dict[str, Any] = {"audience": "api", "issuer": "https://id.example", **kwargs}
    return mint_token(key, subject="u1", clock=clock, **options)


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


async def test_valid_token_succeeds_with_claims_and_scopes(
    strategy: JWTStrategy, clock: FrozenClock
) -> None:
    outcome = await run_strategy(
        strategy, headers=bearer(token(clock, scopes=["reports:read", "reports:write"]))
    )
    assert isinstance(outcome, Success)
    assert outcome.claims is not None
    assert outcome.claims["sub"] == "u1"
    assert outcome.scopes == ("reports:read", "reports:write")
    assert outcome.user == outcome.claims


async def test_missing_token_gets_bare_bearer_challenge(strategy: JWTStrategy) -> None:
    outcome = await run_strategy(strategy)
    assert outcome == Fail('Bearer realm="api"', message="A bearer token is required.", sent=False)


async def test_expired_token_fails_with_invalid_token_challenge(
    strategy: JWTStrategy, clock: FrozenClock
) -> None:
    minted = token(clock, expires_in=timedelta(minutes=5))
    clock.advance(timedelta(minutes=6))
    outcome = await run_strategy(strategy, headers=bearer(minted))
    assert isinstance(outcome, Fail)
    assert outcome.code == "token_expired"
    assert outcome.challenge is not None
    assert outcome.challenge.startswith('Bearer realm="api", error="invalid_token", ')
    assert 'error_description="' in outcome.challenge


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"audience": "other"}, "invalid_audience"),
        ({"issuer": "https://evil.example"}, "invalid_issuer"),
        ({"key": OTHER}, "unknown_key"),
    ],
)
async def test_token_refusals_name_the_reason(
    strategy: JWTStrategy, clock: FrozenClock, kwargs: dict[str, Any], code: str
) -> None:
    outcome = await run_strategy(strategy, headers=bearer(token(clock, **kwargs)))
    assert isinstance(outcome, Fail)
    assert outcome.code == code
    assert outcome.status == 401


async def test_garbage_token_is_a_failure_not_an_error(strategy: JWTStrategy) -> None:
    outcome = await run_strategy(strategy, headers=bearer('not.a"token'))
    assert isinstance(outcome, Fail)
    assert outcome.challenge is not None
    # The description is a quoted-string without quotes or backslashes (RFC 6750 §3).
    description = outcome.challenge.split('error_description="', 1)[1]
    assert description.count('"') == 1


async def test_cookie_extractor_and_verify_callback(clock: FrozenClock) -> None:
    users = {"u1": {"id": "u1", "name": "Ann"}}

    async def load(request: HTTPConnection, claims: dict[str, Any]) -> Any:
        return users.get(claims["sub"]), {"via": request.url.path}

    strategy = JWTStrategy(
        Verifier(keys=KEY, audience="api", issuer="https://id.example", clock=clock),
        verify=load,
        pass_request=True,
        extract=extractors.from_cookie("at"),
    )
    outcome = await run_strategy(strategy, path="/p", headers={"cookie": f"at={token(clock)}"})
    assert isinstance(outcome, Success)
    assert outcome.user == {"id": "u1", "name": "Ann"}
    assert outcome.info == {"method": "jwt", "via": "/p"}
    users.clear()
    refused = await run_strategy(strategy, headers={"cookie": f"at={token(clock)}"})
    assert isinstance(refused, Fail)
    assert refused.message == "The token's user is not known."


def test_claim_options_beside_a_verifier_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="set audience"):
        JWTStrategy(Verifier(keys=KEY, audience="api"), audience="api")


async def test_scp_list_claim_becomes_scopes(strategy: JWTStrategy, clock: FrozenClock) -> None:
    minted = token(clock, claims={"scp": ["a", "b"]})
    outcome = await run_strategy(strategy, headers=bearer(minted))
    assert isinstance(outcome, Success)
    assert outcome.scopes == ("a", "b")


async def test_revocation_store_outage_fails_closed_with_503(clock: FrozenClock) -> None:
    from gatepass.authenticator import Authenticator
    from gatepass.testing import build_request

    def revoked(claims: dict[str, Any]) -> bool:
        raise ConnectionError("redis down")

    verifier = Verifier(
        keys=KEY, audience="api", issuer="https://id.example", clock=clock, revocation_check=revoked
    )
    auth = Authenticator()
    auth.use(JWTStrategy(verifier))
    request = build_request(headers=bearer(token(clock)))
    response = await auth.authenticate(request, "jwt", session=False)
    assert response.status_code == 503
    assert b"redis" not in response.body


async def test_error_outcome_from_a_strategy_is_a_generic_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from gatepass.authenticator import Authenticator
    from gatepass.strategies import CustomStrategy, Error
    from gatepass.testing import build_request

    auth = Authenticator()
    auth.use(CustomStrategy(lambda r: Error(OSError("disk 7 failed")), name="broken"))
    response = await auth.authenticate(build_request(), "broken", session=False)
    assert response.status_code == 500
    assert b"disk" not in response.body
    assert any("disk 7 failed" in r.getMessage() for r in caplog.records)


async def test_guard_answers_insufficient_scope_for_a_token_without_the_scope(
    clock: FrozenClock,
) -> None:
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from gatepass.authenticator import Authenticator

    auth = Authenticator()
    auth.use(JWTStrategy(KEY, audience="api", issuer="https://id.example", clock=clock))

    @auth.require_scopes("reports:write", strategies=("jwt",)).protect
    async def write(request: Request) -> Response:
        return PlainTextResponse("ok")

    transport = httpx.ASGITransport(app=Starlette(routes=[Route("/w", write)]))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        reader = await client.get("/w", headers=bearer(token(clock, scopes=["reports:read"])))
        writer = await client.get("/w", headers=bearer(token(clock, scopes=["reports:write"])))
    assert reader.status_code == 403
    assert reader.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="reports:write"'
    )
    assert writer.text == "ok"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_a_huge_echoed_kid_cannot_blow_up_the_challenge_header() -> None:
    def tenant_key(header: dict[str, Any], request: Any) -> Key:
        # An app's resolver that names the kid it could not find, as apps do.
        raise UnknownKeyError(f"No key {header.get('kid')} for this tenant.")

    header = _b64(orjson.dumps({"alg": "ES256", "kid": "A" * 2_500 + '"\\\r\n\u00e9'}))
    forged = f"{header}.{_b64(b'{}')}.{_b64(bytes(64))}"
    outcome = await run_strategy(JWTStrategy(Verifier(keys=tenant_key)), headers=bearer(forged))
    assert isinstance(outcome, Fail)
    assert outcome.challenge is not None
    description = outcome.challenge.split('error_description="', 1)[1].removesuffix('"')
    # RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E only.
    assert len(description) <= 200
    assert all(ch == " " or (ch.isascii() and ch.isprintable()) for ch in description)
    assert '"' not in description
    assert "\\" not in description


async def test_a_sync_claims_verify_runs_in_a_worker_thread(
    strategy: JWTStrategy, clock: FrozenClock
) -> None:
    threads: list[int] = []

    def load(claims: dict[str, Any]) -> str:
        threads.append(threading.get_ident())
        return str(claims["sub"])

    sync_strategy = JWTStrategy(
        Verifier(keys=KEY, audience="api", issuer="https://id.example", clock=clock), verify=load
    )
    outcome = await run_strategy(sync_strategy, headers=bearer(token(clock)))
    assert isinstance(outcome, Success)
    assert outcome.user == "u1"
    assert threads
    assert threading.get_ident() not in threads


async def test_an_async_claims_verify_is_awaited_on_the_event_loop(clock: FrozenClock) -> None:
    threads: list[int] = []

    async def load(claims: dict[str, Any]) -> str:
        threads.append(threading.get_ident())
        return str(claims["sub"])

    class Loader:
        async def __call__(self, claims: dict[str, Any]) -> str:
            return await load(claims)

    verifier = Verifier(keys=KEY, audience="api", issuer="https://id.example", clock=clock)
    for verify in (load, functools.partial(load), Loader()):
        outcome = await run_strategy(
            JWTStrategy(verifier, verify=verify), headers=bearer(token(clock))
        )
        assert isinstance(outcome, Success)
        assert outcome.user == "u1"
    assert threads == [threading.get_ident()] * 3


async def test_a_sync_verify_returning_an_awaitable_gets_it_awaited(clock: FrozenClock) -> None:
    async def user_of(claims: dict[str, Any]) -> str:
        return str(claims["sub"])

    def load(claims: dict[str, Any]) -> Any:
        return user_of(claims)

    verifier = Verifier(keys=KEY, audience="api", issuer="https://id.example", clock=clock)
    outcome = await run_strategy(JWTStrategy(verifier, verify=load), headers=bearer(token(clock)))
    assert isinstance(outcome, Success)
    assert outcome.user == "u1"
