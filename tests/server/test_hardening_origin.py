"""The public origin decides cookie security and provider callbacks, not the Host header."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import BROWSER, fast_hasher

GITHUB = {"github_client_id": "gh-id", "github_client_secret": "gh-secret"}


async def _login_page(settings: Settings) -> httpx.Response:
    app = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with app.router.lifespan_context(app):
        # What nginx sends after rewriting Host to the upstream address.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            answer = await http.get("/login", headers=BROWSER)
    assert answer.status_code == 200
    return answer


async def _login_page_cookie(settings: Settings) -> str:
    answer = await _login_page(settings)
    return answer.headers["set-cookie"]


async def test_hsts_is_sent_when_the_public_url_is_https(tmp_path: Path) -> None:
    answer = await _login_page(Settings(data_dir=tmp_path, public_url="https://auth.example.com"))
    assert answer.headers["strict-transport-security"] == "max-age=31536000"


async def test_no_hsts_on_local_http(tmp_path: Path) -> None:
    answer = await _login_page(Settings(data_dir=tmp_path))
    assert "strict-transport-security" not in answer.headers


async def test_cookies_behind_a_proxy_follow_the_https_public_url(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://auth.example.com")
    cookie = await _login_page_cookie(settings)
    assert cookie.startswith("__Host-")
    assert "secure" in cookie.lower()


async def test_cookies_on_local_http_stay_plain(tmp_path: Path) -> None:
    cookie = await _login_page_cookie(Settings(data_dir=tmp_path))
    assert not cookie.startswith("__Host-")
    assert "secure" not in cookie.lower()


@pytest.mark.parametrize(
    ("values", "secure"),
    [
        ({}, False),
        ({"issuer": "http://localhost:8000"}, False),
        ({"issuer": "https://auth.example.com"}, True),
        ({"public_url": "https://auth.example.com"}, True),
        ({"public_url": "http://127.0.0.1:9000", "issuer": "https://auth.example.com"}, False),
        ({"public_url": "https://auth.example.com", "secure_cookies": False}, False),
        ({"secure_cookies": True}, True),
    ],
)
def test_secure_cookies_derive_from_the_public_origin(
    tmp_path: Path, values: dict[str, object], secure: bool
) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, **values})
    assert settings.effective_secure_cookies is secure


def test_a_provider_needs_an_explicit_origin(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="set GATEPASS_PUBLIC_URL"):
        Settings.model_validate({"data_dir": tmp_path, **GITHUB})


def test_an_explicit_issuer_is_the_callback_origin(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"data_dir": tmp_path, "issuer": "https://auth.example.com/", **GITHUB}
    )
    assert settings.callback_url("github") == "https://auth.example.com/auth/github/callback"


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("gatepass", "http:// or https:// URL"),
        ("http://auth.example.com", "must use https://"),
        ("https://auth.example.com/?a=1", "no query or fragment"),
    ],
)
def test_an_issuer_that_is_not_a_web_origin_is_refused(
    tmp_path: Path, issuer: str, expected: str
) -> None:
    with pytest.raises(ValidationError, match=expected):
        Settings.model_validate({"data_dir": tmp_path, "issuer": issuer})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"login_limit": "lots"}, "is not a rate"),
        ({"access_token_ttl": "0s"}, "longer than zero"),
        ({"refresh_token_ttl": "-5m"}, "longer than zero"),
        ({"jwt_algorithm": "HS512", "jwt_secret": "x" * 40}, "at least 64 bytes for HS512"),
        ({"account_limit": "100/hour"}, "must allow more attempts than GATEPASS_LOGIN_LIMIT"),
        ({"account_limit": "lots"}, "is not a rate"),
        ({"header_timeout": "0s"}, "longer than zero"),
        ({"max_header_bytes": 100}, "greater than or equal to 1024"),
        ({"log_secret": "short"}, "at least 32 bytes"),
    ],
)
def test_start_up_errors_are_settings_errors(
    tmp_path: Path, values: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValidationError, match=expected):
        Settings.model_validate({"data_dir": tmp_path, **values})
