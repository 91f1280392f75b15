"""The seed flow end to end over real in-process HTTP, cookies carried like a browser's."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from gatepass.passwords import Argon2Parameters, PasswordHasher

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seed_flow.py"
# Cheap argon2 for tests: the parameters are not what is tested here.
FAST = Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1)
BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
EMAIL, PASSWORD = "user@example.com", "correct horse battery"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gatepass_example_seed_flow", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_example()


@pytest.fixture
def app(example: ModuleType) -> Any:
    return example.create_app(
        hasher=PasswordHasher(FAST), session_secret="s" * 40, secure_cookies=False
    )


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=BROWSER
    ) as client:
        yield client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


async def test_guarded_dashboard_sends_browser_to_login(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard"


async def test_wrong_password_flashes_and_returns_to_login(browser: httpx.AsyncClient) -> None:
    token = csrf_of((await browser.get("/login")).text)
    response = await browser.post(
        "/login", data={"email": EMAIL, "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    page = (await browser.get("/login")).text
    assert '<p class="flash error">Incorrect email or password.</p>' in page
    # Read once: gone on the next page.
    assert "Incorrect" not in (await browser.get("/login")).text


async def test_unknown_email_gets_the_same_answer(browser: httpx.AsyncClient) -> None:
    token = csrf_of((await browser.get("/login")).text)
    response = await browser.post(
        "/login", data={"email": "who@example.com", "password": "x", "csrf_token": token}
    )
    assert response.headers["location"] == "/login"
    assert "Incorrect email or password." in (await browser.get("/login")).text


async def test_full_flow_login_dashboard_logout(browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/dashboard")).status_code == 303
    login_page = (await browser.get("/login")).text
    before = dict(browser.cookies)
    response = await browser.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(login_page)}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert dict(browser.cookies) != before  # a new session id on login
    dashboard = await browser.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Signed in as user@example.com" in dashboard.text
    response = await browser.post("/logout", data={"csrf_token": csrf_of(dashboard.text)})
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert (await browser.get("/dashboard")).status_code == 303


async def test_login_without_csrf_token_is_refused(browser: httpx.AsyncClient) -> None:
    await browser.get("/login")
    response = await browser.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 403
    assert (await browser.get("/dashboard")).status_code == 303


async def test_api_token_then_me_with_bearer(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
        refused = await api.post("/api/token", json={"email": EMAIL, "password": "bad"})
        assert refused.status_code == 401
        issued = await api.post("/api/token", json={"email": EMAIL, "password": PASSWORD})
        body = issued.json()
        assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
        me = await api.get("/api/me", headers={"authorization": f"Bearer {body['access_token']}"})
        user = await app.state.users.find_one(EMAIL)
        assert me.json() == {"id": user.id, "email": EMAIL}
        anonymous = await api.get("/api/me")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Bearer realm="api"'
        assert anonymous.json()["error"] == "unauthenticated"
