"""CSRF: synchronizer token in the session, checked on unsafe requests through real HTTP."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatepass.security.csrf import CSRFMiddleware, csrf_token, verify_csrf_token
from gatepass.sessions import MemorySessionStore, SessionMiddleware

KEY = "k" * 32


def assert_csrf_refused(response: httpx.Response) -> None:
    """Refused by the CSRF check itself (not by a route or another guard)."""
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


async def _form_page(request: Request) -> Response:
    return JSONResponse({"token": csrf_token(request)})


async def _submit(request: Request) -> Response:
    async with request.form() as form:
        fields = {
            name: (value if isinstance(value, str) else (await value.read()).decode())
            for name, value in form.multi_items()
        }
    return JSONResponse(fields)


async def _json(request: Request) -> Response:
    return JSONResponse(await request.json())


async def _login(request: Request) -> Response:
    session: Any = request.session
    session.regenerate()
    session.user_id = "alice"
    return JSONResponse({"ok": True})


async def _anything(request: Request) -> Response:
    return JSONResponse({"method": request.method})


def _app(**csrf_options: Any) -> SessionMiddleware:
    routes = [
        Route("/form", _form_page),
        Route("/submit", _submit, methods=["POST"]),
        Route("/json", _json, methods=["POST"]),
        Route("/login", _login, methods=["POST"]),
        Route("/anything", _anything, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/hooks/payment", _anything, methods=["POST"]),
    ]
    inner = CSRFMiddleware(Starlette(routes=routes), **csrf_options)
    return SessionMiddleware(inner, store=MemorySessionStore(), secret_keys=[KEY])


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def _token(client: httpx.AsyncClient) -> str:
    token: str = (await client.get("/form")).json()["token"]
    return token


async def test_form_post_with_the_token_reaches_the_app_with_its_form_intact() -> None:
    async with _client(_app()) as client:
        token = await _token(client)
        response = await client.post("/submit", data={"csrf_token": token, "email": "a@b.c"})
    assert response.status_code == 200
    assert response.json() == {"csrf_token": token, "email": "a@b.c"}


async def test_multipart_post_with_the_token_keeps_its_file_readable() -> None:
    async with _client(_app()) as client:
        token = await _token(client)
        response = await client.post(
            "/submit",
            data={"csrf_token": token},
            files={"upload": ("note.txt", b"file body", "text/plain")},
        )
    assert response.status_code == 200
    assert response.json()["upload"] == "file body"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_unsafe_request_with_the_session_cookie_and_no_token_is_refused(
    method: str,
) -> None:
    async with _client(_app()) as client:
        await _token(client)
        response = await client.request(method, "/anything")
    assert_csrf_refused(response)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_safe_methods_are_not_checked(method: str) -> None:
    async with _client(_app()) as client:
        await _token(client)
        response = await client.request(method, "/anything")
    assert response.status_code in (200, 405)
    assert response.status_code != 403


async def test_header_token_is_accepted_for_json_requests() -> None:
    async with _client(_app()) as client:
        token = await _token(client)
        response = await client.post("/json", json={"a": 1}, headers={"X-CSRF-Token": token})
        assert response.json() == {"a": 1}
        refused = await client.post("/json", json={"a": 1})
        assert_csrf_refused(refused)


async def test_login_form_post_without_any_cookie_is_refused() -> None:
    # Login CSRF: a foreign page posting the attacker's credentials (OWASP CSRF cheat sheet).
    async with _client(_app()) as client:
        response = await client.post("/submit", data={"email": "attacker@evil", "password": "x"})
    assert_csrf_refused(response)


async def test_text_plain_post_without_a_cookie_is_refused() -> None:
    async with _client(_app()) as client:
        response = await client.post(
            "/anything", content=b"x=1", headers={"content-type": "text/plain"}
        )
    assert_csrf_refused(response)


async def test_bearer_api_request_without_session_cookie_is_exempt() -> None:
    async with _client(_app()) as client:
        response = await client.post(
            "/json", json={"a": 1}, headers={"authorization": "Bearer abc.def.ghi"}
        )
    assert response.status_code == 200


async def test_bearer_header_does_not_exempt_a_request_that_sends_the_session_cookie() -> None:
    async with _client(_app()) as client:
        await _token(client)
        response = await client.post(
            "/json", json={"a": 1}, headers={"authorization": "Bearer abc.def.ghi"}
        )
    assert_csrf_refused(response)


async def test_json_post_without_cookie_needs_no_token() -> None:
    async with _client(_app()) as client:
        response = await client.post("/json", json={"a": 1})
    assert response.status_code == 200


async def test_bodyless_post_without_cookie_is_refused_but_delete_is_not_forgeable() -> None:
    async with _client(_app()) as client:
        assert_csrf_refused(await client.post("/anything"))
        assert (await client.delete("/anything")).status_code == 200


async def test_exempt_paths_are_not_checked() -> None:
    async with _client(_app(exempt_paths=["/hooks/payment"])) as client:
        await _token(client)
        assert (await client.post("/hooks/payment", data={"x": "1"})).status_code == 200
        assert_csrf_refused(await client.post("/anything", data={"x": "1"}))


async def test_token_from_another_session_is_refused() -> None:
    app = _app()
    async with _client(app) as attacker, _client(app) as victim:
        stolen = await _token(attacker)
        await _token(victim)
        response = await victim.post("/submit", data={"csrf_token": stolen})
    assert_csrf_refused(response)


async def test_login_rotates_the_token() -> None:
    async with _client(_app()) as client:
        before = await _token(client)
        assert (await client.post("/login", headers={"X-CSRF-Token": before})).status_code == 200
        refused = await client.post("/submit", data={"csrf_token": before})
        assert_csrf_refused(refused)
        after = await _token(client)
        assert (await client.post("/submit", data={"csrf_token": after})).status_code == 200


async def test_each_rendered_token_differs_but_all_are_valid() -> None:
    async with _client(_app()) as client:
        first, second = await _token(client), await _token(client)
        assert first != second
        for token in (first, second):
            response = await client.post("/submit", data={"csrf_token": token})
            assert response.status_code == 200


@pytest.mark.parametrize("bad", ["", "x", "é" * 86, "A" * 86, "!!!!", "A" * 10_000])
async def test_malformed_tokens_are_refused_not_crashed(bad: str) -> None:
    async with _client(_app()) as client:
        await _token(client)
        response = await client.post("/submit", data={"csrf_token": bad})
    assert_csrf_refused(response)


async def test_oversized_form_is_refused_but_header_token_still_works() -> None:
    async with _client(_app(max_body_size=1024)) as client:
        token = await _token(client)
        big = {"csrf_token": token, "blob": "x" * 4096}
        refused = await client.post("/submit", data=big)
        assert_csrf_refused(refused)
        assert "too large" in refused.json()["message"]
        allowed = await client.post("/submit", data=big, headers={"X-CSRF-Token": token})
        assert allowed.status_code == 200
        assert allowed.json()["blob"] == "x" * 4096


async def test_browsers_get_a_short_html_page() -> None:
    async with _client(_app()) as client:
        await _token(client)
        response = await client.post("/submit", data={}, headers={"accept": "text/html"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Request refused</h1>" in response.text


@pytest.mark.parametrize(
    "accept", ["application/json, text/html;q=0.1", "text/html;q=0", "application/json"]
)
async def test_api_clients_that_rank_json_first_get_json(accept: str) -> None:
    async with _client(_app()) as client:
        await _token(client)
        response = await client.post("/submit", data={}, headers={"accept": accept})
    assert_csrf_refused(response)


async def test_a_form_body_sent_in_chunks_is_replayed_unchanged() -> None:
    app = _app()
    async with _client(app) as client:
        token = await _token(client)
        cookie = client.cookies["gatepass_session"]
    body = f"email=a%40b.c&csrf_token={token}".encode()
    chunks = [body[:7], body[7:20], body[20:]]
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/submit",
        "raw_path": b"/submit",
        "root_path": "",
        "query_string": b"",
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", f"gatepass_session={cookie}".encode()),
        ],
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    assert b'"email":"a@b.c"' in sent[1]["body"]


def test_verify_without_a_session_middleware_says_how_to_fix_it() -> None:
    with pytest.raises(RuntimeError, match="SessionMiddleware"):
        verify_csrf_token(Request({"type": "http"}), "token")
