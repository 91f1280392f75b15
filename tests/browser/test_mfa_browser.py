"""Two-step verification in real headless Chromium: enrol, log out, log in with a code.

The pages are checked with axe-core (WCAG 2 A/AA) on the dashboard's security section,
the QR set-up page, the recovery codes and the code step; the strict CSP stays on
(axe runs through the DevTools protocol, not as a page script).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from browser.browser_helpers import axe_violations, screenshot
from gatepass.mfa import code_at

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"


def _no_violations(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def test_enrol_then_log_in_with_password_and_code(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/register")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/dashboard")
    _no_violations(page)

    page.click("text=Set up two-step verification")
    page.wait_for_url(f"{live_server}/dashboard/mfa/setup")
    assert page.locator(".qr svg").is_visible()
    _no_violations(page)
    screenshot(page, "mfa-setup")
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#code", code_at(secret, time.time()))
    page.click("text=Turn on")
    codes = page.locator("ul.codes li").all_inner_texts()
    assert len(codes) == 10
    _no_violations(page)
    page.click("text=I have saved them")
    assert "Sign-in asks for a code" in page.inner_text("main")
    screenshot(page, "mfa-dashboard")

    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{live_server}/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/login/mfa")
    _no_violations(page)
    screenshot(page, "mfa-code")
    # The next step's code: the confirming step is spent (replay refusal).
    page.fill("#code", code_at(secret, time.time() + 30))
    page.click("text=Verify")
    page.wait_for_url(f"{live_server}/dashboard")
    assert EMAIL in page.inner_text("main")
