"""Social login in real headless Chromium: the button, the provider's pages, the dashboard.

Browser, server (uvicorn) and OpenID provider (``tests/oidc/provider.mjs``) all run on
127.0.0.1; the provider's client is registered with the server's callback URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from browser.browser_helpers import screenshot, serve
from gatepass.server.settings import Settings
from oidc.oidc_peer import CLIENT_ID, CLIENT_SECRET, start_provider
from server.server_helpers import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TITLE = "Test Provider"


@pytest.fixture
def social_server(tmp_path: Path) -> Iterator[str]:
    """The server with the test provider configured, both on 127.0.0.1."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    provider = start_provider(origin)
    try:
        settings = Settings(
            data_dir=tmp_path / "data",
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            public_url=origin,
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=SecretStr(CLIENT_SECRET),
            oidc_name=TITLE,
        )
        with serve(settings, port) as base:
            yield base
    finally:
        provider.stop()


def _provider_sign_in(page: Page, base: str, login: str) -> None:
    page.goto(f"{base}/login")
    page.click(f"text=Sign in with {TITLE}")
    page.wait_for_selector("input[name=login]")
    screenshot(page, "social-provider-login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    # The consent page: one form whose button continues to the app.
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    screenshot(page, "social-provider-consent")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")


def test_sign_in_with_the_provider_lands_on_the_dashboard(social_server: str, page: Page) -> None:
    page.goto(f"{social_server}/login")
    button = page.get_by_role("link", name=f"Sign in with {TITLE}")
    assert button.is_visible()
    screenshot(page, "social-login")
    _provider_sign_in(page, social_server, "rosa")
    assert page.get_by_role("heading", name="Welcome, Test rosa").is_visible()
    assert page.get_by_text("rosa@example.com").first.is_visible()
    assert page.get_by_role("heading", name="Linked sign-ins").is_visible()
    screenshot(page, "social-dashboard")

    # A second visit reuses the account: same id after logging out and back in.
    account = page.locator("dd code").inner_text()
    page.click("nav button:has-text('Log out')")
    page.wait_for_url(f"{social_server}/login")
    page.click(f"text=Sign in with {TITLE}")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert page.locator("dd code").inner_text() == account
