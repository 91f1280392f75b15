"""OAuth2Strategy and its parts: PKCE, the pending login, the token call, configuration."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gatepass.errors import ConfigurationError, ProviderError, ProviderUnavailableError
from gatepass.strategies import Fail, OAuth2Strategy, ProviderProfile, Redirect, Success
from gatepass.strategies.oauth._http import basic_credentials, exchange_code
from gatepass.strategies.oauth._state import begin, pkce_challenge, take
from gatepass.strategies.oauth.oauth2 import userinfo_profile
from gatepass.testing import run_strategy
from oidc.oidc_peer import free_port

CALLBACK = "https://app.test/auth/acme/callback"


def test_pkce_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pending_login_is_single_use_and_checked_for_state() -> None:
    session: dict[str, Any] = {}
    pending = begin(session, "acme", with_nonce=True, token=secrets.token_urlsafe, now=100.0)
    assert 43 <= len(pending.code_verifier) <= 128  # RFC 7636 §4.1
    assert len({pending.state, pending.code_verifier, pending.nonce}) == 3
    assert take(session, "acme", pending.state, now=101.0, max_age=600) == pending
    assert "_gatepass_oauth.acme" not in session
    again = take(session, "acme", pending.state, now=102.0, max_age=600)
    assert isinstance(again, str)
    assert "already used" in again


def test_pending_login_refuses_a_wrong_state_and_still_spends_the_entry() -> None:
    session: dict[str, Any] = {}
    begin(session, "acme", with_nonce=False, token=lambda n: "s" * n, now=0.0)
    assert "state mismatch" in str(take(session, "acme", "forged", now=1.0, max_age=600))
    assert session == {}


def test_pending_login_expires_after_its_ttl() -> None:
    session: dict[str, Any] = {}
    pending = begin(session, "acme", with_nonce=False, token=lambda n: "s" * n, now=0.0)
    assert "too long" in str(take(session, "acme", pending.state, now=601.0, max_age=600))


def test_pending_logins_of_two_strategies_use_two_keys() -> None:
    session: dict[str, Any] = {}
    begin(session, "github", with_nonce=False, token=lambda n: "a" * n, now=0.0)
    begin(session, "google", with_nonce=True, token=lambda n: "b" * n, now=0.0)
    assert sorted(session) == ["_gatepass_oauth.github", "_gatepass_oauth.google"]


def test_a_mangled_session_entry_is_refused_not_a_crash() -> None:
    session: dict[str, Any] = {"_gatepass_oauth.acme": {"state": 1}}
    assert isinstance(take(session, "acme", "x", now=0.0, max_age=600), str)


def test_basic_credentials_form_encode_before_base64_rfc_6749() -> None:
    value = basic_credentials("id:1", "sé cret")
    decoded = base64.b64decode(value.removeprefix("Basic ")).decode()
    assert decoded == "id%3A1:s%C3%A9%20cret"
    assert unquote(decoded.split(":")[1]) == "sé cret"


class TokenPeer:
    """A token endpoint whose next answer the test sets."""

    def __init__(self) -> None:
        self.status = 200
        self.body: Any = {"access_token": "at", "token_type": "Bearer", "expires_in": 60}
        self.seen: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []

    def app(self) -> Starlette:
        async def token(request: Request) -> Response:
            self.seen.append({k: str(v) for k, v in (await request.form()).items()})
            self.headers.append(dict(request.headers))
            if isinstance(self.body, str):
                return PlainTextResponse(self.body, self.status)
            return JSONResponse(self.body, self.status)

        async def me(request: Request) -> Response:
            return JSONResponse({"sub": 42, "email": "a@example.com", "email_verified": "true"})

        return Starlette(routes=[Route("/token", token, methods=["POST"]), Route("/me", me)])


@pytest.fixture
async def peer() -> AsyncIterator[tuple[TokenPeer, httpx.AsyncClient]]:
    token_peer = TokenPeer()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=token_peer.app())) as http:
        yield token_peer, http


async def exchange(http: httpx.AsyncClient, **options: Any) -> Any:
    arguments: dict[str, Any] = {
        "code": "c",
        "redirect_uri": CALLBACK,
        "code_verifier": "v" * 43,
        "client_id": "id",
        "client_secret": "secret",
        "client_auth": "client_secret_basic",
        "time_limit": 5,
        **options,
    }
    return await exchange_code(http, "https://acme.test/token", **arguments)


async def test_token_exchange_sends_code_verifier_and_basic_auth(
    peer: tuple[TokenPeer, httpx.AsyncClient],
) -> None:
    token_peer, http = peer
    tokens = await exchange(http)
    assert tokens.access_token == "at"
    assert tokens.expires_in == 60
    form = token_peer.seen[-1]
    assert form["grant_type"] == "authorization_code"
    assert form["code_verifier"] == "v" * 43
    assert "client_secret" not in form
    assert token_peer.headers[-1]["authorization"] == basic_credentials("id", "secret")


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"error": "invalid_grant"}, "refused the sign-in (invalid_grant)"),
        (200, {"error": "bad_verification_code"}, "bad_verification_code"),
        (200, {"token_type": "Bearer"}, "has no access_token"),
        (200, {"access_token": "a", "token_type": "mac"}, "not a bearer token"),
        (200, {"access_token": "a", "token_type": "Bearer", "id_token": 5}, "non-string id_token"),
        (200, ["a"], "not a JSON object"),
        (200, "access_token=a&token_type=bearer", "not JSON"),
        (400, {"error": "x\u0000<script>", "error_description": "d\n"}, "(x<script>: d)"),
    ],
)
async def test_token_answers_of_the_wrong_shape_are_provider_errors(
    peer: tuple[TokenPeer, httpx.AsyncClient], status: int, body: Any, message: str
) -> None:
    token_peer, http = peer
    token_peer.status, token_peer.body = status, body
    with pytest.raises(ProviderError) as caught:
        await exchange(http)
    assert type(caught.value) is ProviderError
    assert caught.value.status_code == 502
    assert message in caught.value.message


async def test_token_endpoint_failing_with_5xx_is_unavailable(
    peer: tuple[TokenPeer, httpx.AsyncClient],
) -> None:
    token_peer, http = peer
    token_peer.status, token_peer.body = 503, "maintenance"
    with pytest.raises(ProviderUnavailableError):
        await exchange(http)


async def test_unreachable_token_endpoint_is_unavailable_503() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ProviderUnavailableError) as caught:
            await exchange_code(
                http,
                f"http://127.0.0.1:{free_port()}/token",
                code="c",
                redirect_uri=CALLBACK,
                code_verifier="v" * 43,
                client_id="id",
                client_secret="s",
                client_auth="client_secret_post",
                time_limit=5,
            )
    assert caught.value.status_code == 503
    assert caught.value.code == "provider_unavailable"


def make_strategy(http: httpx.AsyncClient, **options: Any) -> OAuth2Strategy:
    return OAuth2Strategy(
        "https://acme.test/authorize?audience=api",
        "https://acme.test/token",
        "id",
        "secret",
        CALLBACK,
        ["read", "write"],
        profile=userinfo_profile("https://acme.test/me"),
        verify=lambda profile: profile,
        name="acme",
        client=http,
        **options,
    )


async def test_step_one_redirects_with_pkce_and_keeps_the_authorization_url_query(
    peer: tuple[TokenPeer, httpx.AsyncClient],
) -> None:
    _, http = peer
    session: dict[str, Any] = {}
    outcome = await run_strategy(make_strategy(http), session=session)
    assert isinstance(outcome, Redirect)
    assert outcome.status == 302
    query = parse_qs(urlsplit(outcome.url).query)
    assert query["audience"] == ["api"]
    assert query["scope"] == ["read write"]
    assert query["response_type"] == ["code"]
    assert query["code_challenge"] == [
        pkce_challenge(session["_gatepass_oauth.acme"]["code_verifier"])
    ]
    assert "nonce" not in query


async def test_generic_strategy_reads_the_profile_from_a_userinfo_url(
    peer: tuple[TokenPeer, httpx.AsyncClient],
) -> None:
    _, http = peer
    session: dict[str, Any] = {}
    strategy = make_strategy(http, client_auth="client_secret_post")
    await run_strategy(strategy, session=session)
    state = session["_gatepass_oauth.acme"]["state"]
    outcome = await run_strategy(strategy, session=session, query={"code": "c", "state": state})
    assert isinstance(outcome, Success)
    assert outcome.user == ProviderProfile(
        provider="acme",
        subject="42",
        email="a@example.com",
        email_verified=True,
        raw={"sub": 42, "email": "a@example.com", "email_verified": "true"},
    )
    assert outcome.info["method"] == "oauth"


async def test_provider_error_other_than_denial_fails_with_a_generic_message(
    peer: tuple[TokenPeer, httpx.AsyncClient],
) -> None:
    _, http = peer
    session: dict[str, Any] = {}
    strategy = make_strategy(http)
    await run_strategy(strategy, session=session)
    outcome = await run_strategy(strategy, session=session, query={"error": "server_error"})
    assert isinstance(outcome, Fail)
    assert outcome.code == "provider_refused"
    assert session == {}  # the pending login is spent


async def test_verify_returning_none_fails_and_pass_request_gives_the_request(
    peer: tuple[TokenPeer, httpx.AsyncClient],
) -> None:
    _, http = peer
    seen: list[Any] = []

    def verify(request: Request, profile: ProviderProfile) -> None:
        seen.append((request.url.path, profile.subject))

    session: dict[str, Any] = {}
    strategy = OAuth2Strategy(
        "https://acme.test/authorize",
        "https://acme.test/token",
        "id",
        "secret",
        CALLBACK,
        profile=userinfo_profile("https://acme.test/me"),
        verify=verify,
        pass_request=True,
        client=http,
    )
    await run_strategy(strategy, session=session)
    state = session["_gatepass_oauth.oauth2"]["state"]
    outcome = await run_strategy(
        strategy, session=session, path="/cb", query={"code": "c", "state": state}
    )
    assert isinstance(outcome, Fail)
    assert seen == [("/cb", "42")]


@pytest.mark.parametrize(
    ("client_id", "callback"),
    [("", CALLBACK), ("id", "/auth/acme/callback"), ("id", "javascript:alert(1)")],
)
def test_missing_credentials_or_a_relative_callback_fail_at_construction(
    client_id: str, callback: str
) -> None:
    with pytest.raises(ConfigurationError):
        OAuth2Strategy(
            "https://acme.test/authorize",
            "https://acme.test/token",
            client_id,
            "secret",
            callback,
            profile=userinfo_profile("https://acme.test/me"),
            verify=print,
        )
