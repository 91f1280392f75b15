"""The implementations ``bench_http`` measures, the routes each serves, and their credentials.

Every implementation serves the same four routes with the same user, secret and argon2
costs (``bench/apps/common.py``): ``open`` (no authentication), ``jwt`` (``GET /api/me``
with a bearer token), ``session`` (``GET /session/me`` with a session cookie) and
``login`` (``POST /auth/token``, argon2id then a signed token). ``gatepass serve``
answers ``healthz`` (its unprotected route), ``jwt``, ``dashboard`` (``GET /dashboard``,
the HTML page of a session cookie) and ``login``; Express answers ``dashboard`` too
(the seed's ``res.render``). Credentials come from
each server's own login routes, and before any load each protected route is checked
to answer 200 with them and 401 without, so no number is of a route that lets
everyone in.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench._http_serve import serve_command
from bench._http_servers import ROOT, uvicorn_command
from bench._http_wrk import Request
from bench.apps import common

EXPRESS_DIR = ROOT / "bench" / "peers" / "express"
ROUTES = ("open", "jwt", "session", "login")
SERVE_ROUTES = ("healthz", "jwt", "dashboard", "login")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_BODY = json.dumps({"email": common.EMAIL, "password": common.PASSWORD})
JSON = {"Content-Type": "application/json"}
HTML = {"Accept": "text/html"}


@dataclass(frozen=True, slots=True)
class Implementation:
    """One server to measure.

    Attributes:
        key: short id used in tables of ratios.
        label: the name shown in the results.
        command: the server command for a port.
        routes: which of ``ROUTES`` to measure on it.
        env: extra environment variables for the server.
        session_note: what backs its sessions, shown next to the session route.
        ready_path: answers 200 once the server is up.
        form_login: logs in through the HTML form (CSRF token) for its session cookie.
    """

    key: str
    label: str
    command: Callable[[int], list[str]]
    routes: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    session_note: str = ""
    ready_path: str = "/open"
    form_login: bool = False

    def missing(self) -> str | None:
        """Why this implementation cannot run here, if it cannot.

        Returns:
            The reason, or ``None``.
        """
        if self.key == "express":
            if shutil.which("node") is None:
                return "node is not installed"
            if not (EXPRESS_DIR / "node_modules").is_dir():
                return "npm modules missing: run bench/install-tools.sh"
        return None


def _uvicorn(factory: str) -> Callable[[int], list[str]]:
    return lambda port: uvicorn_command(factory, port)


def implementations(
    redis_url: str | None, serve: dict[str, tuple[str, dict[str, str]]] | None = None
) -> list[Implementation]:
    """Every implementation, gatepass first.

    Args:
        redis_url: the private Redis for gatepass's Redis session store, if running.
        serve: ``{key: (label, environment)}`` of each ``gatepass serve`` set-up.

    Returns:
        The implementations.
    """
    gatepass = _uvicorn("bench.apps.gatepass_app:create")
    found = [
        Implementation(
            key="gatepass",
            label="gatepass",
            command=gatepass,
            routes=ROUTES,
            env={common.STORE_VARIABLE: "memory"},
            session_note="memory store",
        )
    ]
    if redis_url is not None:
        found.append(
            Implementation(
                key="gatepass_redis",
                label="gatepass",
                command=gatepass,
                routes=("session",),
                env={common.STORE_VARIABLE: "redis", common.REDIS_URL_VARIABLE: redis_url},
                session_note="Redis store, read on every request",
            )
        )
        found.append(
            Implementation(
                key="gatepass_redis_cached",
                label="gatepass",
                command=gatepass,
                routes=("session",),
                env={
                    common.STORE_VARIABLE: "redis-cached",
                    common.REDIS_URL_VARIABLE: redis_url,
                },
                session_note="Redis store + local cache, as the server runs it",
            )
        )
    for key, (label, environment) in (serve or {}).items():
        found.append(
            Implementation(
                key=key,
                label=label,
                command=serve_command,
                routes=SERVE_ROUTES,
                env=environment,
                ready_path="/healthz",
                form_login=True,
            )
        )
    found += [
        Implementation(
            key="starlette",
            label="Starlette + PyJWT",
            command=_uvicorn("bench.peers.starlette_pyjwt:create"),
            routes=ROUTES,
            session_note="signed cookie",
        ),
        Implementation(
            key="fastapi",
            label="FastAPI + PyJWT",
            command=_uvicorn("bench.peers.fastapi_pyjwt:create"),
            routes=ROUTES,
            session_note="signed cookie",
        ),
        Implementation(
            key="express",
            label="Express + passport",
            command=lambda port: ["node", str(EXPRESS_DIR / "app.js"), str(port)],
            routes=(*ROUTES, "dashboard"),
            session_note="MemoryStore",
        ),
    ]
    return found


def _cookie(response: httpx.Response) -> str:
    pair: str = response.headers.get("set-cookie", "").split(";", 1)[0]
    if "=" not in pair:
        raise RuntimeError(f"login set no cookie: {response.status_code} {response.text}")
    return pair


def _form_login(client: httpx.Client) -> str:
    page = client.get("/login", headers=HTML)
    found = _CSRF.search(page.text)
    if found is None:
        raise RuntimeError(f"no CSRF token on /login: {page.status_code}")
    form = {"email": common.EMAIL, "password": common.PASSWORD, "csrf_token": found.group(1)}
    answer = client.post("/login", data=form, headers=HTML)
    if answer.status_code != 303 or answer.headers.get("location") != "/dashboard":
        raise RuntimeError(f"form login failed: {answer.status_code} {answer.text[:200]}")
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def _build(client: httpx.Client, route: str, *, form_login: bool) -> Request:
    if route in ("open", "healthz"):
        return Request("GET", f"/{route}", {})
    if route in ("dashboard", "session"):
        client.cookies.clear()  # a login of its own: another route's session stays alive
    if route == "dashboard":
        if form_login:
            cookie = _form_login(client)
        else:
            answer = client.post("/login", content=LOGIN_BODY, headers=JSON)
            answer.raise_for_status()
            cookie = _cookie(answer)
        return Request("GET", "/dashboard", {"Cookie": cookie, **HTML})
    if route == "login":
        return Request("POST", "/auth/token", JSON, LOGIN_BODY)
    if route == "jwt":
        answer = client.post("/auth/token", content=LOGIN_BODY, headers=JSON)
        answer.raise_for_status()
        token = answer.json()["access_token"]
        return Request("GET", "/api/me", {"Authorization": f"Bearer {token}"})
    answer = client.post("/login", content=LOGIN_BODY, headers=JSON)
    answer.raise_for_status()
    return Request("GET", "/session/me", {"Cookie": _cookie(answer)})


def _check(base_url: str, route: str, request: Request, timeout: float) -> None:
    # Module-level calls: a fresh connection and no cookie jar each time.
    sent = httpx.request(
        request.method,
        base_url + request.path,
        headers=dict(request.headers),
        content=request.body,
        timeout=timeout,
    )
    if sent.status_code != 200:
        raise RuntimeError(f"{base_url} {route}: {sent.status_code} {sent.text}")
    if route in ("jwt", "session", "dashboard"):
        bare = httpx.get(base_url + request.path, headers=HTML, timeout=timeout)
        if bare.status_code not in (401, 303):
            raise RuntimeError(f"{base_url} {route} answers {bare.status_code} to anyone")


def requests_for(
    base_url: str, routes: tuple[str, ...], *, form_login: bool = False, timeout: float = 10
) -> dict[str, Request]:
    """Log in to a running server and build each route's request.

    Args:
        base_url: the server.
        routes: the routes wanted.
        form_login: get the session cookie through the HTML login form.
        timeout: seconds to wait for each answer (long under valgrind).

    Returns:
        ``{route: Request}``.

    Raises:
        RuntimeError: a login failed, or a protected route does not answer 200 with
            its credentials and 401 without.
    """
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        found = {route: _build(client, route, form_login=form_login) for route in routes}
    for route, request in found.items():
        _check(base_url, route, request, timeout)
    return found
