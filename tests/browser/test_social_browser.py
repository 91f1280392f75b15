"""Social login in real headless Chromium: the button, the provider's pages, the dashboard.

Browser, server (uvicorn) and OpenID provider (``tests/oidc/provider.mjs``) all run on
127.0.0.1; the provider's client is registered with the server's callback URL. Each
page of ours is checked with axe-core (WCAG 2 A/AA rules), run through the DevTools
protocol so the pages keep their strict CSP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from browser.browser_helpers import axe_violations, screenshot, serve
from gatepass.server.settings import Settings
from oidc.oidc_peer import CLIENT_ID, CLIENT_SECRET, start_provider
from server.server_helpers import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

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
    assert axe_violations(page) == []
    _provider_sign_in(page, social_server, "rosa")
    assert page.get_by_role("heading", name="Welcome, Test rosa").is_visible()
    assert page.get_by_text("rosa@example.com").first.is_visible()
    assert page.get_by_role("heading", name="Linked sign-ins").is_visible()
    screenshot(page, "social-dashboard")
    assert axe_violations(page) == []

    # A second visit reuses the account: same id after logging out and back in.
    account = page.locator("dd code").inner_text()
    page.click("nav button:has-text('Log out')")
    page.wait_for_url(f"{social_server}/login")
    page.click(f"text=Sign in with {TITLE}")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert page.locator("dd code").inner_text() == account


def test_a_signed_in_user_links_the_provider_with_the_dashboard_button(
    social_server: str, page: Page
) -> None:
    page.goto(f"{social_server}/register")
    page.fill("#email", "tess@example.com")
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{social_server}/dashboard")
    # A plain link to the provider while signed in starts nothing (RFC 9700 §4.7).
    page.goto(f"{social_server}/auth/oidc")
    page.wait_for_url(f"{social_server}/dashboard")
    assert page.get_by_text("use its button on your dashboard").is_visible()
    assert page.get_by_text("No sign-in provider is linked to this account.").is_visible()

    page.get_by_role("button", name=f"Link {TITLE}").click()
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", "tess-alt")
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    page.click("button[type=submit]")
    page.wait_for_url(f"{social_server}/dashboard")
    flash = f"Your {TITLE} account tess-alt@example.com is now linked to this account."
    assert page.get_by_text(flash).is_visible()
    assert page.get_by_role("cell", name=TITLE, exact=True).is_visible()
    assert page.get_by_text("tess@example.com").first.is_visible()  # still this account
    screenshot(page, "social-linked")
    assert axe_violations(page) == []


def test_a_provider_sign_in_ends_the_hold_of_whoever_registered_the_email_first(
    social_server: str, page: Page, browser: Browser
) -> None:
    # The attacker registers the owner's address with a password, in a browser of theirs.
    attacker = browser.new_context().new_page()
    attacker.goto(f"{social_server}/register")
    attacker.fill("#email", "uma@example.com")
    attacker.fill("#password", "correct horse battery staple")
    attacker.click("button[type=submit]")
    attacker.wait_for_url(f"{social_server}/dashboard")

    # The owner signs in with the provider, which asserts the address as verified.
    _provider_sign_in(page, social_server, "uma")
    assert page.get_by_text("its password was removed and every other session ended").is_visible()
    assert page.get_by_text("uma@example.com").first.is_visible()
    screenshot(page, "social-takeover")
    assert axe_violations(page) == []

    # The attacker's session is gone, and so is the password.
    attacker.goto(f"{social_server}/dashboard")
    attacker.wait_for_url(re.compile(r"/login"))
    attacker.fill("#email", "uma@example.com")
    attacker.fill("#password", "correct horse battery staple")
    attacker.click("button[type=submit]")
    attacker.wait_for_url(re.compile(r"/login"))
    assert attacker.get_by_text("Incorrect email or password.").is_visible()
    attacker.context.close()
