"""The dashboard's "Recent security activity" in real Chromium, checked with axe-core."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from browser.browser_helpers import axe_violations, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

EMAIL = "lin@example.com"
PASSWORD = "a long and quiet passphrase"


def _sign_in(page: Page, base: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", EMAIL)
    page.fill("#password", password)
    page.click("button.primary")


def test_dashboard_lists_recent_security_activity_accessibly(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/register")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/dashboard")
    page.context.clear_cookies()
    _sign_in(page, live_server, "not my passphrase")
    page.wait_for_url(f"{live_server}/login")
    _sign_in(page, live_server, PASSWORD)
    page.wait_for_url(f"{live_server}/dashboard")

    section = page.get_by_role("region", name="Recent security activity")
    assert section.get_by_role("heading", name="Recent security activity").is_visible()
    assert section.get_by_role("cell", name="Signed in", exact=True).is_visible()
    assert section.get_by_role("cell", name="Failed sign-in", exact=True).is_visible()
    assert section.get_by_role("cell", name="Account created", exact=True).is_visible()
    assert section.get_by_role("cell", name="127.0.0.1").first.is_visible()
    screenshot(page, "dashboard-security-activity")
    assert axe_violations(page) == []
