"""Open-redirect defence for ``next`` and return-to values (OWASP ASVS 5.1.5)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.types import ASGIApp

from authenticator.conftest import MakeApp
from gatepass.authenticator import Authenticator
from gatepass.security.redirects import is_safe_redirect, safe_next

ClientFor = Callable[[ASGIApp], httpx.AsyncClient]

EVIL = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "HTTPS://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/%2f%2fevil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%252f%252fevil.example",
    "/%5cevil.example",
    "/%5C%5Cevil.example",
    "/\tevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript%3Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    " /dashboard",
    "dashboard",
    "",
    "/" + "a" * 3000,
]
SAFE = ["/", "/dashboard", "/reports?year=2026&q=a%20b", "/a/b#section", "/search?next=%2Fx"]


@pytest.mark.parametrize("value", EVIL)
def test_offsite_or_malformed_next_is_refused(value: str) -> None:
    assert not is_safe_redirect(value)
    assert safe_next(value, default="/home") == "/home"


@pytest.mark.parametrize("value", SAFE)
def test_same_site_path_is_kept(value: str) -> None:
    assert safe_next(value, default="/home") == value


def test_none_gives_default() -> None:
    assert safe_next(None, default="/home") == "/home"


@given(st.text(max_size=40))
def test_anything_accepted_is_a_single_slash_path(value: str) -> None:
    if is_safe_redirect(value):
        assert value.startswith("/")
        assert not value.startswith("//")
        assert "\\" not in value


@pytest.mark.parametrize("value", EVIL)
async def test_login_next_parameter_that_leaves_the_site_goes_to_default(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor, value: str
) -> None:
    login = auth.authenticate("local", success_return_to=True, success_redirect="/home")
    client = client_for(make_app(auth, [Route("/login", login, methods=["POST"])]))
    form = {"email": "alice@example.com", "password": "correct horse"}
    response = await client.post("/login", params={"next": value}, data=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/home"


async def test_login_next_parameter_on_site_is_followed(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    login = auth.authenticate("local", success_return_to=True, success_redirect="/home")
    client = client_for(make_app(auth, [Route("/login", login, methods=["POST"])]))
    form = {"email": "alice@example.com", "password": "correct horse"}
    response = await client.post("/login", params={"next": "/reports?y=1"}, data=form)
    assert response.headers["location"] == "/reports?y=1"
