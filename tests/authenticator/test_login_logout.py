"""``login``/``logout``: new session id, kept keys, scopes, hooks, Starlette conventions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from authenticator.conftest import MakeApp
from authenticator.support import ALICE, BOB, BY_ID
from gatepass.authenticator import USERS_SESSION_KEY, Authenticator
from gatepass.authenticator.user import cached_user
from gatepass.errors import ConfigurationError
from gatepass.sessions import Session

ClientFor = Callable[[ASGIApp], httpx.AsyncClient]


def app_for(make_app: MakeApp, auth: Authenticator) -> ASGIApp:
    async def login(request: Request) -> Response:
        who = BY_ID[request.query_params["id"]]
        scope = request.query_params.get("scope", "default")
        await auth.login(request, who, scope=scope, remember="remember" in request.query_params)
        return Response(status_code=204)

    async def logout(request: Request) -> Response:
        scope = request.query_params.get("scope")
        everywhere = "everywhere" in request.query_params
        await auth.logout(request, scope=scope or "default", everywhere=everywhere)
        return Response(status_code=204)

    async def logout_all(request: Request) -> Response:
        await auth.logout(request, scope=None)
        return Response(status_code=204)

    async def put(request: Request) -> Response:
        for key, value in request.query_params.items():
            request.session[key] = value
        return Response(status_code=204)

    async def state(request: Request) -> Response:
        admin = await auth.user(request, "admin")
        session = request.session
        return JSONResponse(
            {
                "user": request.user.identity if request.user.is_authenticated else None,
                "admin": admin.id if admin else None,
                "keys": sorted(k for k in session if not k.startswith("_gatepass")),
                "session_type": type(session).__name__,
                "user_id": session.user_id if isinstance(session, Session) else None,
                "remember": session.remember if isinstance(session, Session) else None,
            }
        )

    @requires("authenticated")
    async def members(request: Request) -> Response:
        return PlainTextResponse(f"hello {request.user.display_name}")

    @requires("reports:read")
    async def reports(request: Request) -> Response:
        return PlainTextResponse("reports")

    return make_app(
        auth,
        [
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/logout-all", logout_all, methods=["POST"]),
            Route("/put", put, methods=["POST"]),
            Route("/state", state),
            Route("/members", members),
            Route("/reports", reports),
        ],
    )


async def test_login_changes_session_id_and_old_cookie_is_not_logged_in(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    app = app_for(make_app, auth)
    client = client_for(app)
    await client.post("/put", params={"theme": "dark"})
    before = dict(client.cookies)
    assert before
    await client.post("/login", params={"id": "u1"})
    after = dict(client.cookies)
    assert after != before
    assert (await client.get("/state")).json()["user"] == "u1"
    # Session fixation (CVE-2022-25896): the id planted before login is not logged in.
    attacker = client_for(app)
    attacker.cookies.update(before)
    assert (await attacker.get("/state")).json()["user"] is None


async def test_login_keeps_only_return_to(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(app_for(make_app, auth))
    await client.post("/put", params={"return_to": "/reports", "cart": "3"})
    await client.post("/login", params={"id": "u1"})
    assert (await client.get("/state")).json()["keys"] == ["return_to"]


async def test_login_sets_user_id_and_remember_on_gatepass_session(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor, session_kind: str
) -> None:
    client = client_for(app_for(make_app, auth))
    await client.post("/login", params={"id": "u2", "remember": "1"})
    state = (await client.get("/state")).json()
    if session_kind == "gatepass":
        assert (state["session_type"], state["user_id"], state["remember"]) == (
            "Session",
            "u2",
            True,
        )
    else:
        assert state["session_type"] == "dict"


async def test_starlette_requires_sees_the_logged_in_user_and_its_scopes(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(app_for(make_app, auth))
    assert (await client.get("/members")).status_code == 403
    await client.post("/login", params={"id": "u1"})
    response = await client.get("/members")
    assert response.text == "hello alice@example.com"
    assert (await client.get("/reports")).status_code == 200
    await client.post("/login", params={"id": "u2"})
    assert (await client.get("/reports")).status_code == 403


async def test_two_scopes_live_in_one_session(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(app_for(make_app, auth))
    await client.post("/login", params={"id": "u1"})
    await client.post("/login", params={"id": "u2", "scope": "admin"})
    assert (await client.get("/state")).json()["user"] == "u1"
    assert (await client.get("/state")).json()["admin"] == "u2"
    await client.post("/logout", params={"scope": "admin"})
    state = (await client.get("/state")).json()
    assert (state["user"], state["admin"]) == ("u1", None)


async def test_logout_of_every_scope(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(app_for(make_app, auth))
    await client.post("/login", params={"id": "u1"})
    await client.post("/login", params={"id": "u2", "scope": "admin"})
    await client.post("/logout-all")
    state = (await client.get("/state")).json()
    assert (state["user"], state["admin"]) == (None, None)


async def test_logout_changes_the_session_id(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    app = app_for(make_app, auth)
    client = client_for(app)
    await client.post("/login", params={"id": "u1"})
    logged_in = dict(client.cookies)
    await client.post("/logout")
    assert (await client.get("/state")).json()["user"] is None
    replay = client_for(app)
    replay.cookies.update(logged_in)
    assert (await replay.get("/state")).json()["user"] is None


async def test_logout_everywhere_ends_the_other_devices_session_too(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor, session_kind: str
) -> None:
    app = app_for(make_app, auth)
    client = client_for(app)
    await client.post("/login", params={"id": "u1"})
    other_device = client_for(app)
    await other_device.post("/login", params={"id": "u1"})
    assert (await other_device.get("/state")).json()["user"] == "u1"
    await client.post("/logout", params={"everywhere": "1"})
    assert (await client.get("/state")).json()["user"] is None
    if session_kind == "gatepass":  # a plain dict session has no index of a user's sessions
        assert (await other_device.get("/state")).json()["user"] is None


async def test_hooks_run_in_order_with_their_arguments(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    events: list[tuple[str, Any, str]] = []

    def after_login(request: Request, user: Any, scope: str) -> None:
        events.append(("after_login", user.id, scope))

    async def before_logout(request: Request, user: Any, scope: str) -> None:
        events.append(("before_logout", user.id, scope))

    async def after_logout(request: Request, scope: str) -> None:
        events.append(("after_logout", request.user.is_authenticated, scope))

    auth.hooks.after_login.append(after_login)
    auth.hooks.before_logout.append(before_logout)
    auth.hooks.after_logout.append(after_logout)
    client = client_for(app_for(make_app, auth))
    await client.post("/login", params={"id": "u1"})
    await client.post("/logout")
    assert events == [
        ("after_login", "u1", "default"),
        ("before_logout", "u1", "default"),
        ("after_logout", False, "default"),
    ]


def test_hooks_are_per_instance() -> None:
    first, second = Authenticator(), Authenticator()
    first.hooks.after_login.append(lambda **_: None)
    assert second.hooks.after_login == []


async def test_user_without_serializer_is_a_clear_configuration_error(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    auth = Authenticator()
    session: dict[str, Any] = {}
    from gatepass.testing import build_request

    with pytest.raises(ConfigurationError, match=r"@auth\.serializer"):
        await auth.login(build_request(session=session), ALICE)


async def test_login_stores_only_the_serialized_id(auth: Authenticator) -> None:
    from gatepass.testing import build_request

    session = Session({"return_to": "/x", "junk": 1})
    request = build_request(session=session)
    await auth.login(request, BOB, scope="admin")
    assert dict(session) == {
        "return_to": "/x",
        USERS_SESSION_KEY: {"admin": "u2"},
        "_gatepass_uid": "u2",
    }
    assert session.regenerated
    assert cached_user(request, "admin") == (True, BOB)


async def test_admin_login_keeps_the_default_users_session_owner(auth: Authenticator) -> None:
    from gatepass.testing import build_request

    session = Session()
    await auth.login(build_request(session=session), ALICE)
    await auth.login(build_request(session=session), BOB, scope="admin")
    assert session.user_id == "u1"
    await auth.logout(build_request(session=session), scope="admin")
    assert session.user_id == "u1"
    assert session[USERS_SESSION_KEY] == {"default": "u1"}
    await auth.logout(build_request(session=session))
    assert session.user_id is None
    assert USERS_SESSION_KEY not in session
