"""Test helpers for apps built on gatepass (Passport's strategy harness, Warden's ``login_as``).

- :func:`run_strategy` runs one strategy on a request built in memory.
- :func:`login_as` gives a test client (``TestClient`` or ``httpx``) a logged-in session.
- :func:`mint_token` signs a valid access token.
- :class:`FrozenClock` is a clock tests move by hand.
"""

from __future__ import annotations

import json as jsonlib
import secrets
import time
import warnings
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, overload
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message

from gatepass.authenticator.authenticator import Authenticator
from gatepass.errors import ConfigurationError
from gatepass.sessions.cookies import InsecureCookieWarning
from gatepass.strategies.base import Strategy
from gatepass.strategies.outcomes import Outcome
from gatepass.tokens import Duration, Key, KeySet, sign

LOGIN_AS_PATH = "/__gatepass_test__/login-as"


def build_request(
    *,
    method: str = "GET",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    json: Any = None,
    body: bytes | None = None,
    session: dict[str, Any] | None = None,
    client: tuple[str, int] = ("127.0.0.1", 50000),
) -> Request:
    """Build a Starlette request in memory.

    Args:
        method: the HTTP method.
        path: the path.
        headers: request headers.
        query: query parameters.
        form: a urlencoded form body (sets ``Content-Type``).
        json: a JSON body (sets ``Content-Type``).
        body: a raw body.
        session: a session dict to put in ``scope["session"]``.
        client: the peer address.

    Returns:
        The request; its body can be read once.
    """
    all_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if form is not None:
        body = urlencode(form).encode()
        all_headers.setdefault("content-type", "application/x-www-form-urlencoded")
    elif json is not None:
        body = jsonlib.dumps(json).encode()
        all_headers.setdefault("content-type", "application/json")
    payload = body or b""
    if payload:
        all_headers["content-length"] = str(len(payload))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "server": ("testserver", 80),
        "client": client,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(query or {}).encode(),
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in all_headers.items()],
    }
    if session is not None:
        scope["session"] = session
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    return Request(scope, receive)


async def run_strategy(
    strategy: Strategy,
    *,
    method: str = "GET",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    json: Any = None,
    session: dict[str, Any] | None = None,
    **options: Any,
) -> Outcome:
    """Run one strategy on a request built from the arguments and return its outcome.

    Args:
        strategy: the strategy under test.
        method: the HTTP method.
        path: the path.
        headers: request headers.
        query: query parameters.
        form: a urlencoded form body.
        json: a JSON body.
        session: a session dict.
        **options: passed to ``strategy.authenticate`` (``scope="admin"``).

    Returns:
        ``Success``, ``Fail``, ``Redirect``, ``Pass`` or ``Error``; an exception the
        strategy raises propagates, so a test can assert on it.
    """
    request = build_request(
        method=method,
        path=path,
        headers=headers,
        query=query,
        form=form,
        json=json,
        session=session,
    )
    return await strategy.authenticate(request, **options)


def _mount_login_route(app: Starlette, auth: Authenticator, pending: dict[str, Any]) -> None:
    async def login_as_endpoint(request: Request) -> Response:
        ticket = request.query_params.get("ticket", "")
        entry = pending.pop(ticket, None)
        if entry is None:
            return Response(status_code=404)
        user, scope, remember = entry
        await auth.login(request, user, scope=scope, remember=remember)
        return Response(status_code=204)

    app.router.routes.insert(0, Route(LOGIN_AS_PATH, login_as_endpoint, methods=["POST"]))


def _in_process_app(client: httpx.Client | httpx.AsyncClient) -> Starlette:
    transport = getattr(client, "_transport", None)
    app = getattr(transport, "app", None)
    if not isinstance(app, Starlette):
        raise ConfigurationError(
            "login_as needs Starlette's TestClient(app) or "
            "httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) on a Starlette or "
            "FastAPI app."
        )
    return app


def _keep_over_plain_http(client: httpx.Client | httpx.AsyncClient, sent: httpx.Response) -> None:
    # TestClient's http://testserver is plain http to a host that is not localhost: the
    # session cookie is Secure (__Host-), and the client's jar would never send it back.
    # Only in this test client's jar, the cookies of the login answer lose the flag.
    if client.base_url.scheme != "http":
        return
    names = {cookie.name for cookie in sent.cookies.jar}
    for cookie in client.cookies.jar:
        if cookie.name in names and cookie.secure:
            cookie.secure = False


def _checked(client: httpx.Client | httpx.AsyncClient, response: httpx.Response) -> None:
    assert response.status_code == 204, f"login_as failed: {response.status_code}"
    _keep_over_plain_http(client, response)


async def _login_async(client: httpx.AsyncClient, ticket: str) -> None:
    with _quiet_cookie_warning():
        response = await client.post(LOGIN_AS_PATH, params={"ticket": ticket})
    _checked(client, response)


@contextmanager
def _quiet_cookie_warning() -> Iterator[None]:
    # The helper makes the Secure cookie usable itself; the app's own logins still warn.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureCookieWarning)
        yield


@overload
def login_as(
    client: httpx.Client,
    user: Any,
    *,
    auth: Authenticator,
    scope: str = "default",
    remember: bool = False,
) -> None: ...


@overload
def login_as(
    client: httpx.AsyncClient,
    user: Any,
    *,
    auth: Authenticator,
    scope: str = "default",
    remember: bool = False,
) -> Coroutine[Any, Any, None]: ...


def login_as(
    client: httpx.Client | httpx.AsyncClient,
    user: Any,
    *,
    auth: Authenticator,
    scope: str = "default",
    remember: bool = False,
) -> Coroutine[Any, Any, None] | None:
    """Log ``user`` in for a test client on an in-process app (Warden's ``login_as``).

    ``await login_as(async_client, user, auth=auth)`` with an ``httpx.AsyncClient``;
    ``login_as(test_client, user, auth=auth)`` with Starlette's ``TestClient``.

    How: the first call mounts a test-only route (``POST /__gatepass_test__/login-as``)
    at the front of the app's router, inside its middleware, so the app's own session
    middleware writes and signs the cookie. The user never crosses HTTP: the route
    takes a one-time random ticket and calls ``auth.login`` with the user held here.
    On a plain-http base URL (``http://testserver``) the session cookie is kept
    without its ``Secure`` flag in this client's jar, so it is sent back. Use only on
    test apps.

    Args:
        client: ``TestClient(app)``, or ``httpx.AsyncClient`` on
            ``httpx.ASGITransport(app=app)``.
        user: the user to log in (serialized by the app's serializers).
        auth: the app's Authenticator.
        scope: the auth scope.
        remember: ask for a persistent session.

    Returns:
        For an ``AsyncClient``, the coroutine to await; else ``None``.

    Raises:
        ConfigurationError: the client is not wired to an in-process Starlette app.
        AssertionError: the login route did not answer 204.
    """
    app = _in_process_app(client)
    pending: dict[str, Any] | None = getattr(app.state, "_gatepass_login_as", None)
    if pending is None:
        pending = {}
        app.state._gatepass_login_as = pending
        _mount_login_route(app, auth, pending)
    ticket = secrets.token_urlsafe(16)
    pending[ticket] = (user, scope, remember)
    if isinstance(client, httpx.AsyncClient):
        return _login_async(client, ticket)
    with _quiet_cookie_warning():
        response = client.post(LOGIN_AS_PATH, params={"ticket": ticket})
    _checked(client, response)
    return None


def mint_token(
    key: Key | KeySet | str | bytes,
    *,
    subject: str,
    scopes: Sequence[str] = (),
    audience: str | Sequence[str] | None = None,
    issuer: str | None = None,
    expires_in: Duration = timedelta(minutes=15),
    claims: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
) -> str:
    """Sign a valid access token for a test (``typ`` ``at+jwt``, RFC 9068 claims).

    Args:
        key: the signing key (or an HMAC secret).
        subject: the ``sub`` claim.
        scopes: joined into the ``scope`` claim.
        audience: the ``aud`` claim.
        issuer: the ``iss`` claim.
        expires_in: lifetime.
        claims: more claims.
        clock: epoch seconds (a :class:`FrozenClock`).

    Returns:
        The compact JWT.
    """
    payload = dict(claims or {})
    if scopes:
        payload["scope"] = " ".join(scopes)
    payload.setdefault("jti", secrets.token_urlsafe(12))
    return sign(
        payload,
        key,
        subject=subject,
        audience=audience,
        issuer=issuer,
        expires_in=expires_in,
        headers={"typ": "at+jwt"},
        clock=clock,
    )


class FrozenClock:
    """A clock that stands still until moved: ``clock()`` gives epoch seconds.

    Args:
        start: the initial time in epoch seconds.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        """The current frozen time in epoch seconds."""
        return self.now

    def advance(self, delta: timedelta) -> float:
        """Move the clock forward (or back, with a negative delta).

        Args:
            delta: how far.

        Returns:
            The new time.
        """
        self.now += delta.total_seconds()
        return self.now


__all__ = [
    "LOGIN_AS_PATH",
    "FrozenClock",
    "build_request",
    "login_as",
    "mint_token",
    "run_strategy",
]
