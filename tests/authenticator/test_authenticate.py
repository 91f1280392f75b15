"""``authenticate(...)`` through real HTTP: every Passport option, fall-through, errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from authenticator.conftest import MakeApp
from authenticator.support import ALICE, User
from gatepass.authenticator import Authenticator
from gatepass.errors import ConfigurationError, RateLimitedError
from gatepass.sessions import get_flashed_messages
from gatepass.strategies import (
    PASS,
    CustomStrategy,
    Fail,
    HTTPBasicStrategy,
    LocalStrategy,
    Outcome,
    Redirect,
)

ClientFor = Callable[[ASGIApp], httpx.AsyncClient]
GOOD = {"email": "alice@example.com", "password": "correct horse"}
BAD = {"email": "alice@example.com", "password": "wrong"}


async def whoami(request: Request) -> Response:
    user = request.user
    flashes = [[m.category, m.text] for m in get_flashed_messages(request)]
    return JSONResponse(
        {
            "user": user.identity if user.is_authenticated else None,
            "flashes": flashes,
            "scopes": list(request.auth.scopes),
        }
    )


def login_app(make_app: MakeApp, auth: Authenticator, **options: Any) -> ASGIApp:
    return make_app(
        auth,
        [
            Route("/login", auth.authenticate("local", **options), methods=["POST"]),
            Route("/whoami", whoami),
        ],
    )


async def test_success_redirect_logs_in_and_restores_user_on_next_request(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(login_app(make_app, auth, success_redirect="/dashboard"))
    response = await client.post("/login", data=GOOD)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    me = (await client.get("/whoami")).json()
    assert me["user"] == "u1"
    assert "authenticated" in me["scopes"]
    assert "reports:read" in me["scopes"]


async def test_failure_redirect_with_strategy_message_flashed(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    app = login_app(make_app, auth, failure_redirect="/login", failure_flash=True)
    client = client_for(app)
    response = await client.post("/login", data=BAD)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    me = (await client.get("/whoami")).json()
    assert me == {"user": None, "flashes": [["error", "Invalid credentials."]], "scopes": []}


async def test_failure_flash_with_given_text(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    app = login_app(
        make_app, auth, failure_redirect="/login", failure_flash="Incorrect email or password."
    )
    client = client_for(app)
    await client.post("/login", data=BAD)
    me = (await client.get("/whoami")).json()
    assert me["flashes"] == [["error", "Incorrect email or password."]]


async def test_success_flash_uses_given_text(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    app = login_app(make_app, auth, success_redirect="/", success_flash="Welcome back!")
    client = client_for(app)
    await client.post("/login", data=GOOD)
    me = (await client.get("/whoami")).json()
    assert me["flashes"] == [["success", "Welcome back!"]]


async def test_success_flash_true_uses_info_message_from_verify(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    auth = Authenticator()
    auth.use(LocalStrategy(lambda u, p: ({"id": u}, {"message": f"Hello {u}"})))
    auth.serializer(lambda user: user["id"])
    auth.deserializer(lambda uid: {"id": uid})
    client = client_for(login_app(make_app, auth, success_redirect="/", success_flash=True))
    await client.post("/login", data={"username": "carol", "password": "x"})
    me = (await client.get("/whoami")).json()
    assert me["flashes"] == [["success", "Hello carol"]]
    assert me["user"] == "carol"


async def test_missing_credentials_is_400_not_an_error(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(login_app(make_app, auth))
    response = await client.post("/login", data={"email": "alice@example.com"})
    assert response.status_code == 400
    assert response.json() == {"error": "missing_credentials", "message": "Missing credentials."}


async def test_bad_password_without_redirect_is_401_json(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(login_app(make_app, auth))
    response = await client.post("/login", json=BAD)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_credentials", "message": "Invalid credentials."}


async def test_json_body_login_works_like_a_form(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(login_app(make_app, auth))
    response = await client.post("/login", json=GOOD)
    assert response.status_code == 204
    assert (await client.get("/whoami")).json()["user"] == "u1"


async def test_success_return_to_goes_back_to_the_stored_page(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    async def remember(request: Request) -> Response:
        request.session["return_to"] = request.query_params["to"]
        return Response(status_code=204)

    app = make_app(
        auth,
        [
            Route("/remember", remember),
            Route(
                "/login",
                auth.authenticate("local", success_return_to=True, success_redirect="/home"),
                methods=["POST"],
            ),
        ],
    )
    client = client_for(app)
    await client.get("/remember", params={"to": "/reports?year=2026"})
    response = await client.post("/login", data=GOOD)
    assert response.headers["location"] == "/reports?year=2026"
    # Used once: the next login goes to the default page.
    response = await client.post("/login", data=GOOD)
    assert response.headers["location"] == "/home"


@pytest.mark.parametrize("evil", ["//evil.example", "https://evil.example", "/\\evil.example"])
async def test_success_return_to_refuses_offsite_value(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor, evil: str
) -> None:
    async def remember(request: Request) -> Response:
        request.session["return_to"] = evil
        return Response(status_code=204)

    app = make_app(
        auth,
        [
            Route("/remember", remember),
            Route(
                "/login",
                auth.authenticate("local", success_return_to=True, success_redirect="/home"),
                methods=["POST"],
            ),
        ],
    )
    client = client_for(app)
    await client.get("/remember")
    response = await client.post("/login", data=GOOD)
    assert response.headers["location"] == "/home"


async def test_session_false_sets_user_for_this_request_only(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    async def endpoint(request: Request) -> Response:
        response = await auth.authenticate(request, "local", session=False)
        return PlainTextResponse(f"{response.status_code} {request.user.identity}")

    app = make_app(auth, [Route("/api", endpoint, methods=["POST"]), Route("/whoami", whoami)])
    client = client_for(app)
    response = await client.post("/api", data=GOOD)
    assert response.text == "204 u1"
    assert "set-cookie" not in response.headers
    assert (await client.get("/whoami")).json()["user"] is None


async def test_assign_property_puts_user_on_state_without_login(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    async def endpoint(request: Request) -> Response:
        await auth.authenticate(request, "local", assign_property="account")
        account: User = request.state.account
        return PlainTextResponse(f"{account.email} {request.user.is_authenticated}")

    app = make_app(auth, [Route("/link", endpoint, methods=["POST"]), Route("/whoami", whoami)])
    client = client_for(app)
    assert (await client.post("/link", data=GOOD)).text == "alice@example.com False"
    assert (await client.get("/whoami")).json()["user"] is None


async def test_custom_callback_receives_user_or_none_and_info(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    seen: list[tuple[Any, Mapping[str, Any]]] = []

    def callback(request: Request, user: Any, info: Mapping[str, Any]) -> Response:
        seen.append((user, info))
        return PlainTextResponse("yes" if user else "no", 200 if user else 418)

    client = client_for(login_app(make_app, auth, callback=callback))
    assert (await client.post("/login", data=GOOD)).text == "yes"
    response = await client.post("/login", data=BAD)
    assert (response.status_code, response.text) == (418, "no")
    assert seen[0][0] == ALICE
    assert seen[1] == (None, {"message": "Invalid credentials.", "challenges": []})
    # A callback decides about the session itself: nobody was logged in.
    assert (await client.get("/whoami")).json()["user"] is None


async def test_async_callback_is_awaited(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    async def callback(request: Request, user: Any, info: Mapping[str, Any]) -> Response:
        await auth.login(request, user)
        return PlainTextResponse("in")

    client = client_for(login_app(make_app, auth, callback=callback))
    assert (await client.post("/login", data=GOOD)).text == "in"
    assert (await client.get("/whoami")).json()["user"] == "u1"


async def test_strategy_redirect_outcome_becomes_redirect_response(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    auth.use(CustomStrategy(lambda r: Redirect("https://idp.example/authorize", 302), name="idp"))
    app = make_app(auth, [Route("/auth/idp", auth.authenticate("idp"))])
    response = await client_for(app).get("/auth/idp")
    assert response.status_code == 302
    assert response.headers["location"] == "https://idp.example/authorize"


def basic_auth(auth: Authenticator) -> None:
    auth.use(HTTPBasicStrategy(lambda u, p: None, realm="api"))
    auth.use(
        CustomStrategy(
            lambda r: Fail('Bearer realm="api"', message="Token required.", sent=False), name="t"
        )
    )


async def test_all_failing_strategies_give_one_401_listing_every_challenge(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    basic_auth(auth)
    app = make_app(auth, [Route("/api", auth.authenticate("basic", "t", session=False))])
    response = await client_for(app).get("/api")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Basic realm="api", charset="UTF-8", Bearer realm="api"'
    )
    assert response.json() == {
        "error": "unauthenticated",
        "message": "Basic credentials are required.",
    }


async def test_pass_falls_through_to_the_next_strategy(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    calls: list[str] = []

    def passing(request: HTTPConnection) -> Outcome:
        calls.append("pass")
        return PASS

    auth.use(CustomStrategy(passing, name="first"))
    app = make_app(
        auth,
        [
            Route(
                "/login",
                auth.authenticate("first", "local", success_redirect="/"),
                methods=["POST"],
            )
        ],
    )
    response = await client_for(app).post("/login", data=GOOD)
    assert calls == ["pass"]
    assert response.status_code == 303


async def test_first_success_wins_and_later_strategies_are_not_run(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    def boom(request: HTTPConnection) -> Outcome:
        raise AssertionError("must not run")

    auth.use(CustomStrategy(boom, name="never"))
    app = make_app(auth, [Route("/login", auth.authenticate("local", "never"), methods=["POST"])])
    assert (await client_for(app).post("/login", data=GOOD)).status_code == 204


async def test_verify_that_raises_gives_generic_500_and_is_logged(
    make_app: MakeApp, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    def verify(email: str, password: str) -> User:
        raise RuntimeError("database password is hunter2 at db.internal:5432")

    auth = Authenticator()
    auth.use(LocalStrategy(verify, username_field="email"))
    client = client_for(login_app(make_app, auth, success_redirect="/"))
    with caplog.at_level(logging.ERROR, logger="gatepass.authenticator"):
        response = await client.post("/login", data=GOOD)
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "An internal error occurred."}
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert any("hunter2" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_async_verify_that_raises_gives_html_500_to_a_browser(
    make_app: MakeApp, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    async def verify(email: str, password: str) -> User:
        raise ValueError("secret detail")

    auth = Authenticator()
    auth.use(LocalStrategy(verify, username_field="email"))
    client = client_for(login_app(make_app, auth))
    with caplog.at_level(logging.ERROR, logger="gatepass.authenticator"):
        response = await client.post("/login", data=GOOD, headers={"accept": "text/html"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "secret detail" not in response.text
    assert "ValueError" not in response.text
    assert caplog.records


async def test_gatepass_error_from_verify_keeps_its_status_and_body(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    def verify(email: str, password: str) -> User:
        raise RateLimitedError(retry_after=30)

    auth = Authenticator()
    auth.use(LocalStrategy(verify, username_field="email"))
    response = await client_for(login_app(make_app, auth)).post("/login", data=GOOD)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"] == "rate_limited"


async def test_unknown_strategy_name_is_a_logged_500(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(auth, [Route("/x", auth.authenticate("nope"))])
    with caplog.at_level(logging.ERROR, logger="gatepass.authenticator"):
        response = await client_for(app).get("/x")
    assert response.status_code == 500
    assert "nope" not in response.text
    assert any("Unknown strategy 'nope'" in r.getMessage() for r in caplog.records)


async def test_login_without_session_middleware_is_a_logged_500(
    auth: Authenticator, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    from starlette.applications import Starlette

    app = Starlette(routes=[Route("/login", auth.authenticate("local"), methods=["POST"])])
    with caplog.at_level(logging.ERROR, logger="gatepass.authenticator"):
        response = await client_for(app).post("/login", data=GOOD)
    assert response.status_code == 500
    assert any("SessionMiddleware" in r.getMessage() for r in caplog.records)


def test_failure_flash_without_failure_redirect_fails_at_construction(
    auth: Authenticator,
) -> None:
    with pytest.raises(ConfigurationError, match="failure_redirect"):
        auth.authenticate("local", failure_flash=True)
