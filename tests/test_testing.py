"""gatepass.testing: the helpers shipped to users work as documented."""

from __future__ import annotations

import warnings
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from gatepass.authenticator import Authenticator
from gatepass.errors import ConfigurationError
from gatepass.integrations import AuthMiddleware
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.strategies import CustomStrategy, Success
from gatepass.testing import FrozenClock, build_request, login_as, mint_token, run_strategy
from gatepass.tokens import Key, Verifier

with warnings.catch_warnings():
    # This Starlette asks for httpx2 behind TestClient; with httpx it works the same.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


def test_frozen_clock_stands_still_and_advances() -> None:
    clock = FrozenClock(1_000)
    assert clock() == clock() == 1_000.0
    assert clock.advance(timedelta(minutes=2)) == 1_120.0
    assert clock() == 1_120.0


async def test_build_request_carries_method_headers_query_and_json() -> None:
    request = build_request(
        method="post", path="/p", headers={"X-A": "1"}, query={"q": "v"}, json={"k": 2}
    )
    assert (request.method, request.url.path, request.headers["x-a"]) == ("POST", "/p", "1")
    assert request.query_params["q"] == "v"
    assert await request.json() == {"k": 2}


async def test_run_strategy_passes_options_and_builds_a_form_request() -> None:
    async def echo(request: Request) -> Success:
        form = await request.form()
        return Success(form["name"], {"path": request.url.path})

    outcome = await run_strategy(
        CustomStrategy(echo),  # type: ignore[arg-type]
        method="POST",
        path="/x",
        form={"name": "ann"},
    )
    assert outcome == Success("ann", {"path": "/x"})


async def test_mint_token_is_accepted_by_a_verifier() -> None:
    key = Key.generate("EdDSA")
    clock = FrozenClock()
    token = mint_token(key, subject="u1", scopes=["a", "b"], audience="api", clock=clock)
    claims = Verifier(keys=key.public_key(), audience="api", typ="at+jwt", clock=clock).verify(
        token
    )
    assert (claims["sub"], claims["scope"], claims["exp"] - claims["iat"]) == ("u1", "a b", 900)


async def test_login_as_logs_the_client_in_through_the_apps_own_session() -> None:
    auth = Authenticator()
    auth.serializer(lambda user: user)
    auth.deserializer(lambda stored: stored)

    async def me(request: Request) -> Response:
        return PlainTextResponse(str(request.user.user if request.user.is_authenticated else ""))

    app = Starlette(
        routes=[Route("/me", me)],
        middleware=[
            Middleware(
                SessionMiddleware,
                store=MemorySessionStore(),
                secret_keys=["k" * 40],
                secure=False,
            ),
            Middleware(AuthMiddleware, authenticator=auth),
        ],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/me")).text == ""
        await login_as(client, "ann", auth=auth)
        assert (await client.get("/me")).text == "ann"
        await login_as(client, "bob", auth=auth)
        assert (await client.get("/me")).text == "bob"
        # The ticket is single-use: replaying the route logs nobody in.
        replay = await client.post("/__gatepass_test__/login-as", params={"ticket": "x"})
        assert replay.status_code == 404


async def test_login_as_needs_an_in_process_client() -> None:
    async with httpx.AsyncClient(base_url="http://testserver") as client:
        with pytest.raises(ConfigurationError, match="ASGITransport"):
            await login_as(client, "ann", auth=Authenticator())


def default_session_app(auth: Authenticator) -> Starlette:
    """An app as its docs write it: the session cookie's flags left to gatepass."""

    async def me(request: Request) -> Response:
        return PlainTextResponse(str(request.user.user) if request.user else "nobody")

    return Starlette(
        routes=[Route("/me", me)],
        middleware=[
            Middleware(SessionMiddleware, store=MemorySessionStore(), secret_keys=["k" * 40]),
            Middleware(AuthMiddleware, authenticator=auth),
        ],
    )


def plain_auth() -> Authenticator:
    auth = Authenticator()
    auth.serializer(lambda user: user)
    auth.deserializer(lambda stored: stored)
    return auth


def test_login_as_works_with_test_client_on_its_default_base_url() -> None:
    auth = plain_auth()
    with TestClient(default_session_app(auth)) as client:  # http://testserver
        assert client.get("/me").text == "nobody"
        login_as(client, "ann", auth=auth)
        assert client.get("/me").text == "ann"


async def test_login_as_works_with_an_async_client_on_plain_http_to_testserver() -> None:
    auth = plain_auth()
    transport = httpx.ASGITransport(app=default_session_app(auth))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await login_as(client, "bob", auth=auth)
        assert (await client.get("/me")).text == "bob"


async def test_login_as_keeps_the_secure_cookie_secure_over_https() -> None:
    auth = plain_auth()
    transport = httpx.ASGITransport(app=default_session_app(auth))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        await login_as(client, "cy", auth=auth)
        assert (await client.get("/me")).text == "cy"
        assert all(cookie.secure for cookie in client.cookies.jar)
