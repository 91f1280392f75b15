"""ID token and discovery checks, against a small in-process issuer whose tokens we shape.

The issuer is a real Starlette app reached through ``httpx.ASGITransport``; the ID
tokens it hands out are signed with real keys (or forged, for the attacks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatepass.errors import ConfigurationError
from gatepass.strategies import Fail, OIDCStrategy, ProviderProfile, Redirect, Success
from gatepass.strategies.oauth._discovery import Discovery
from gatepass.testing import run_strategy
from gatepass.tokens import Key, sign

ISSUER = "https://issuer.test"
CLIENT = "client-1"
CALLBACK = "https://app.test/auth/oidc/callback"
NOW = 1_800_000_000.0
KEY = Key.generate("ES256", kid="k1")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Issuer:
    """What the issuer serves; tests change it between steps."""

    document: dict[str, Any] = field(
        default_factory=lambda: {
            "issuer": ISSUER,
            "authorization_endpoint": ISSUER + "/authorize",
            "token_endpoint": ISSUER + "/token",
            "jwks_uri": ISSUER + "/jwks",
            "userinfo_endpoint": ISSUER + "/userinfo",
            "id_token_signing_alg_values_supported": ["ES256", "HS256"],
        }
    )
    id_token: Callable[[str], str | None] = lambda nonce: None
    userinfo: dict[str, Any] = field(default_factory=dict)
    down: bool = False
    keys_down: bool = False

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            if self.down:
                return JSONResponse({"error": "down"}, 503)
            return JSONResponse(self.document)

        async def jwks(request: Request) -> Response:
            if self.keys_down:
                return JSONResponse({"error": "down"}, 503)
            return JSONResponse({"keys": [KEY.public_jwk()]})

        async def token(request: Request) -> Response:
            form = await request.form()
            body: dict[str, Any] = {"access_token": "at", "token_type": "Bearer"}
            id_token = self.id_token(str(form["code"]))
            if id_token is not None:
                body["id_token"] = id_token
            return JSONResponse(body)

        async def userinfo(request: Request) -> Response:
            return JSONResponse(self.userinfo)

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/token", token, methods=["POST"]),
                Route("/userinfo", userinfo),
            ]
        )


@dataclass
class Rig:
    issuer: Issuer
    strategy: OIDCStrategy
    session: dict[str, Any]
    profiles: list[ProviderProfile]

    async def start(self) -> Redirect:
        outcome = await run_strategy(self.strategy, session=self.session)
        assert isinstance(outcome, Redirect), outcome
        return outcome

    def nonce(self) -> str:
        pending = self.session["_gatepass_oauth.oidc"]
        nonce: str = pending["nonce"]
        return nonce

    async def callback(self, **query: str) -> Any:
        state = self.session["_gatepass_oauth.oidc"]["state"]
        return await run_strategy(
            self.strategy, session=self.session, query={"code": "c", "state": state, **query}
        )


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    issuer = Issuer()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer.app()))
    profiles: list[ProviderProfile] = []

    def verify(profile: ProviderProfile) -> ProviderProfile:
        profiles.append(profile)
        return profile

    strategy = OIDCStrategy(
        ISSUER, CLIENT, "secret", CALLBACK, verify=verify, client=http, clock=lambda: NOW
    )
    yield Rig(issuer, strategy, {}, profiles)
    await strategy.aclose()
    await http.aclose()


def id_token(sent_nonce: str, **changes: Any) -> str:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "user-1",
        "nonce": sent_nonce,
        "email": "ann@example.com",
        "email_verified": True,
        "iat": int(NOW),
        "exp": int(NOW) + 300,
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return sign(claims, KEY, expires_in=None, issued_at=False)


async def test_a_valid_id_token_gives_a_normalized_profile(rig: Rig) -> None:
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce, name="Ann")
    outcome = await rig.callback()
    assert isinstance(outcome, Success)
    profile = outcome.user
    assert profile == ProviderProfile(
        provider="oidc",
        subject="user-1",
        email="ann@example.com",
        email_verified=True,
        name="Ann",
        raw=profile.raw,
    )
    assert outcome.info["provider"] == "oidc"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"aud": ["client-1", "other"]}, "several audiences and no azp"),
        ({"azp": "other"}, "issued to another client"),
        ({"aud": "other"}, "meant for 'other'"),
        ({"iss": "https://evil.test"}, "issuer 'https://evil.test'"),
        ({"exp": int(NOW) - 60}, "expired"),
        ({"iat": None}, "'iat'"),
        ({"sub": None}, "'sub'"),
        ({"iat": int(NOW) + 3600}, "issued in the future"),
        ({"nonce": "another-login"}, "nonce does not match"),
        ({"nonce": None}, "nonce does not match"),
    ],
)
async def test_id_token_claims_that_break_oidc_core_are_refused(
    rig: Rig, changes: dict[str, Any], message: str
) -> None:
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce, **changes)
    outcome = await rig.callback()
    assert isinstance(outcome, Fail)
    assert message in (outcome.message or "")
    assert rig.profiles == []


async def test_several_audiences_with_this_client_as_azp_are_accepted(rig: Rig) -> None:
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce, aud=[CLIENT, "api"], azp=CLIENT)
    assert isinstance(await rig.callback(), Success)


async def test_hs256_token_keyed_with_the_public_key_is_refused(rig: Rig) -> None:
    # The classic algorithm confusion (CVE-2015-9235): HMAC keyed with the public key.
    await rig.start()
    nonce = rig.nonce()
    header = _b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    body = _b64(json.dumps({"iss": ISSUER, "aud": CLIENT, "sub": "x", "nonce": nonce}).encode())
    secret = json.dumps(KEY.public_jwk()).encode()
    mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    rig.issuer.id_token = lambda code: f"{header}.{body}.{_b64(mac)}"
    outcome = await rig.callback()
    assert isinstance(outcome, Fail)
    assert outcome.code == "unsupported_algorithm"


async def test_unsigned_alg_none_token_is_refused(rig: Rig) -> None:
    await rig.start()
    nonce = rig.nonce()
    header = _b64(b'{"alg":"none"}')
    body = _b64(json.dumps({"iss": ISSUER, "aud": CLIENT, "sub": "x", "nonce": nonce}).encode())
    rig.issuer.id_token = lambda code: f"{header}.{body}."
    outcome = await rig.callback()
    assert isinstance(outcome, Fail)
    assert outcome.code in {"unsupported_algorithm", "malformed_token"}


async def test_unreachable_keys_fail_cleanly_with_503(rig: Rig) -> None:
    rig.issuer.keys_down = True
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce)
    outcome = await rig.callback()
    assert isinstance(outcome, Fail)
    assert (outcome.status, outcome.code) == (503, "provider_unavailable")


async def test_token_answer_without_id_token_is_refused(rig: Rig) -> None:
    await rig.start()
    outcome = await rig.callback()
    assert isinstance(outcome, Fail)
    assert outcome.status == 502
    assert outcome.message == "The provider's token answer has no id_token."


async def test_callback_from_another_issuer_is_refused_rfc_9207(rig: Rig) -> None:
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce)
    outcome = await rig.callback(iss="https://evil.test")
    assert isinstance(outcome, Fail)
    assert outcome.code == "invalid_issuer"


async def test_missing_iss_parameter_is_refused_when_the_issuer_announces_it(rig: Rig) -> None:
    rig.issuer.document["authorization_response_iss_parameter_supported"] = True
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce)
    assert isinstance(await rig.callback(), Fail)
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce)
    assert isinstance(await rig.callback(iss=ISSUER), Success)


async def test_discovery_document_naming_another_issuer_is_refused(rig: Rig) -> None:
    rig.issuer.document["issuer"] = "https://evil.test"
    outcome = await run_strategy(rig.strategy, session={})
    assert isinstance(outcome, Fail)
    assert outcome.status == 502
    assert outcome.code == "provider_error"
    assert "names issuer 'https://evil.test'" in (outcome.message or "")


async def test_discovery_allowing_only_hmac_or_none_is_refused(rig: Rig) -> None:
    rig.issuer.document["id_token_signing_alg_values_supported"] = ["HS256", "none"]
    outcome = await run_strategy(rig.strategy, session={})
    assert isinstance(outcome, Fail)
    assert "refused here (none/HMAC)" in (outcome.message or "")


async def test_discovery_is_cached_and_a_stale_copy_serves_through_an_outage() -> None:
    issuer = Issuer()
    moments = [0.0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer.app())) as http:
        discovery = Discovery(
            ISSUER,
            http=lambda: http,
            ttl=timedelta(minutes=5),
            time_limit=5,
            clock=lambda: moments[0],
        )
        first = await discovery.get()
        await discovery.get()
        assert discovery.fetches == 1
        issuer.down = True
        moments[0] = 301.0
        assert await discovery.get() == first
        assert discovery.fetches == 2
        assert first.id_token_algorithms == ("ES256",)  # HS256 dropped


async def test_userinfo_about_another_subject_is_refused(rig: Rig) -> None:
    strategy = OIDCStrategy(
        ISSUER,
        CLIENT,
        "secret",
        CALLBACK,
        verify=lambda profile: profile,
        fetch_userinfo=True,
        client=rig.strategy._http(),
        clock=lambda: NOW,
    )
    rig.strategy = strategy
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce)
    rig.issuer.userinfo = {"sub": "someone-else", "email": "x@example.com"}
    outcome = await rig.callback()
    assert isinstance(outcome, Fail)
    assert outcome.message == "The userinfo answer is about another subject."
    rig.issuer.userinfo = {"sub": "user-1", "name": "From Userinfo"}
    await rig.start()
    nonce = rig.nonce()
    rig.issuer.id_token = lambda code: id_token(nonce)
    outcome = await rig.callback()
    assert isinstance(outcome, Success)
    assert outcome.user.name == "From Userinfo"


def test_scope_without_openid_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="openid"):
        OIDCStrategy(ISSUER, CLIENT, "secret", CALLBACK, "email profile", verify=print)


async def test_without_session_middleware_the_error_says_how_to_fix_it(rig: Rig) -> None:
    with pytest.raises(ConfigurationError, match="SessionMiddleware"):
        await run_strategy(rig.strategy)
