"""Property tests of the reference server's inputs: no request body or header gives a 5xx.

JSON bodies of any shape to the JSON endpoints, raw bytes under any content type, any
``Authorization`` header, any login form: the answer is a 2xx/3xx/4xx, and every API
error is ``{"error": code, "message": text}`` (OWASP ASVS 7.4.1: no stack trace, no
crash). The app runs in process with its lifespan started, over ``httpx.ASGITransport``;
one server serves all the examples of a test.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import BROWSER, PASSWORD, fast_hasher

PROPERTY = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON_ENDPOINTS = ["/auth/token", "/auth/refresh", "/auth/logout"]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

TEXT = st.text(max_size=40)
FIELD = st.one_of(
    TEXT,
    st.sampled_from(["fuzz@example.com", PASSWORD, "", "a" * 600, "\x00", "\ud7ff"]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), FIELD
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
BODIES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {}, optional={"email": JSON, "password": JSON, "refresh_token": JSON, "extra": JSON}
    ),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=latin-1", "text/plain",
     "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)  # fmt: skip


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings_ = Settings(data_dir=tmp_path / "data", address_limit="100000/minute")
    app: FastAPI = create_app(settings_, hasher=fast_hasher(), security=SecurityLog())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            yield http


def assert_handled(response: httpx.Response, path: str) -> None:
    """Below 500, and an API error in the house shape."""
    assert response.status_code < 500, (path, response.status_code, response.text[:300])
    if response.status_code >= 400 and path.startswith(("/auth/", "/api/")):
        body = response.json()
        assert set(body) >= {"error", "message"}
        assert isinstance(body["error"], str)


@PROPERTY
@given(path=st.sampled_from(JSON_ENDPOINTS), body=BODIES)
async def test_any_json_body_gets_an_answer_below_500(
    client: httpx.AsyncClient, path: str, body: Any
) -> None:
    response = await client.post(path, json=body)
    assert_handled(response, path)
    if path == "/auth/token" and response.status_code == 200:
        assert set(response.json()) >= {"access_token", "refresh_token"}


@PROPERTY
@given(
    path=st.sampled_from(JSON_ENDPOINTS), raw=st.binary(max_size=300), content_type=CONTENT_TYPES
)
async def test_any_raw_body_under_any_content_type_gets_an_answer_below_500(
    client: httpx.AsyncClient, path: str, raw: bytes, content_type: str
) -> None:
    response = await client.post(path, content=raw, headers={"content-type": content_type})
    assert_handled(response, path)


AUTH_HEADERS = st.one_of(
    st.builds(lambda t: f"Bearer {t}", st.text(alphabet=st.characters(codec="latin-1"))),
    st.text(alphabet=st.characters(codec="latin-1"), max_size=80),
    st.sampled_from(["Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "bearer a.b.c", "Bearer a.b.c"]),
)


@PROPERTY
@given(authorization=AUTH_HEADERS, path=st.sampled_from(["/api/me", "/auth/logout"]))
async def test_any_authorization_header_gets_401_or_400_never_500(
    client: httpx.AsyncClient, authorization: str, path: str
) -> None:
    headers = {b"authorization": authorization.encode("latin-1"), b"accept": b"application/json"}
    method = "GET" if path == "/api/me" else "POST"
    response = await client.request(method, path, headers=headers)
    assert_handled(response, path)
    assert response.status_code in {400, 401}


@PROPERTY
@given(
    fields=st.dictionaries(
        st.sampled_from(["email", "password", "remember", "next", "x"]) | TEXT, FIELD, max_size=6
    ),
    next_=st.none() | TEXT,
)
async def test_any_login_form_gets_an_answer_below_500(
    client: httpx.AsyncClient, fields: dict[str, str], next_: str | None
) -> None:
    page = await client.get("/login", headers=BROWSER)
    match = _CSRF.search(page.text)
    assert match is not None
    params = {} if next_ is None else {"next": next_}
    data = {**fields, "csrf_token": match.group(1)}
    response = await client.post(
        "/login", data=data, params=params, headers=BROWSER, follow_redirects=False
    )
    assert_handled(response, "/login")
    if response.status_code == 303:
        assert response.headers["location"].startswith("/")
        assert not response.headers["location"].startswith("//")
