"""A form app tested over Starlette's TestClient default ``http://testserver``.

The session cookie is Secure there (any host but localhost), so the client never
sends it back. The user learns why: a warning naming ``secure=False`` / https, and a
refusal that names the cause instead of only "The form has expired".
"""

from __future__ import annotations

import re
import warnings

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from gatepass.security.csrf import CSRFMiddleware, csrf_token
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.sessions.cookies import InsecureCookieWarning
from sessions.session_helpers import KEY

with warnings.catch_warnings():
    # This Starlette asks for httpx2 behind TestClient; with httpx it works the same.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


def signup_app(**session_options: object) -> Starlette:
    async def form(request: Request) -> Response:
        token = csrf_token(request)
        return HTMLResponse(f'<form method=post><input name=csrf_token value="{token}"></form>')

    async def submit(request: Request) -> Response:
        return PlainTextResponse("thanks")

    return Starlette(
        routes=[Route("/signup", form), Route("/signup", submit, methods=["POST"])],
        middleware=[
            Middleware(
                SessionMiddleware,
                store=MemorySessionStore(),
                secret_keys=[KEY],
                **session_options,  # type: ignore[arg-type]
            ),
            Middleware(CSRFMiddleware),
        ],
    )


def token_of(page: str) -> str:
    found = re.search(r'value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_secure_cookie_over_plain_http_warns_and_the_refusal_names_the_cause() -> None:
    with TestClient(signup_app()) as client:
        with pytest.warns(InsecureCookieWarning, match=r"secure=False.*https://"):
            page = client.get("/signup")
        refused = client.post(
            "/signup", data={"csrf_token": token_of(page.text)}, headers={"accept": "*/*"}
        )
    assert refused.status_code == 403
    message = refused.json()["message"]
    assert "plain http" in message
    assert "secure=False" in message


def test_with_secure_false_the_same_test_passes_without_warning() -> None:
    with TestClient(signup_app(secure=False)) as client:
        page = client.get("/signup")
        sent = client.post("/signup", data={"csrf_token": token_of(page.text)})
    assert (sent.status_code, sent.text) == (200, "thanks")


def test_with_an_https_base_url_the_same_test_passes_without_warning() -> None:
    with TestClient(signup_app(), base_url="https://testserver") as client:
        page = client.get("/signup")
        sent = client.post("/signup", data={"csrf_token": token_of(page.text)})
    assert (sent.status_code, sent.text) == (200, "thanks")


def test_a_forged_form_over_https_keeps_the_usual_message() -> None:
    with TestClient(signup_app(), base_url="https://testserver") as client:
        refused = client.post("/signup", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert "plain http" not in refused.json()["message"]
