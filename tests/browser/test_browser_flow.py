"""The whole flow in real headless Chromium: register, log in, reload, log out, back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from browser.browser_helpers import screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

EMAIL = "grace@example.com"
PASSWORD = "a long and quiet passphrase"


def _register(page: Page, base: str) -> None:
    page.goto(f"{base}/register")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/dashboard")


def test_register_dashboard_reload_logout_and_back(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/register")
    screenshot(page, "register")
    _register(page, live_server)
    assert page.get_by_role("heading", name=f"Welcome, {EMAIL}").is_visible()
    assert page.get_by_text("this device").is_visible()
    screenshot(page, "dashboard")

    page.reload()
    assert page.url == f"{live_server}/dashboard"
    assert page.get_by_text(EMAIL).first.is_visible()

    page.click("nav button:has-text('Log out')")
    page.wait_for_url(f"{live_server}/login")
    assert page.get_by_text("You have been logged out.").is_visible()

    # Back must not show the account: the page was sent with Cache-Control: no-store.
    page.go_back()
    page.wait_for_load_state()
    assert "/login" in page.url
    assert page.get_by_role("heading", name=re.compile("Welcome")).count() == 0


def test_login_with_wrong_password_shows_the_flash(
    live_server: str, page: Page, browser: object
) -> None:
    _register(page, live_server)
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    screenshot(page, "login")
    page.fill("#email", EMAIL)
    page.fill("#password", "not my passphrase")
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/login")
    assert page.get_by_text("Incorrect email or password.").is_visible()
    screenshot(page, "login-failed")

    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/dashboard")


def test_guarded_page_sends_to_login_and_back_after(live_server: str, page: Page) -> None:
    _register(page, live_server)
    page.context.clear_cookies()
    page.goto(f"{live_server}/dashboard")
    page.wait_for_url(re.compile(r"/login\?next=%2Fdashboard"))
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/dashboard")


def test_register_shows_policy_errors_inline(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/register")
    page.fill("#email", EMAIL)
    page.fill("#password", "password")
    page.click("button.primary")
    assert page.locator("#password-error").is_visible()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    screenshot(page, "register-errors")


def test_a_form_post_without_csrf_token_fails_with_a_clear_page(
    live_server: str, page: Page
) -> None:
    page.goto(f"{live_server}/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Request refused").is_visible()
    screenshot(page, "csrf-refused")


def test_dashboard_lists_sessions_and_logs_out_the_others(
    live_server: str, page: Page, browser: Browser
) -> None:
    _register(page, live_server)
    laptop = browser.new_context(user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    try:
        other = laptop.new_page()
        other.goto(f"{live_server}/login")
        other.fill("#email", EMAIL)
        other.fill("#password", PASSWORD)
        other.click("button.primary")
        other.wait_for_url(f"{live_server}/dashboard")

        page.reload()
        assert page.locator("table.sessions tbody tr").count() == 2
        assert page.get_by_role("button", name="Log out this one").is_visible()
        screenshot(page, "dashboard-sessions")
        page.get_by_role("button", name="Log out all other sessions").click()
        page.wait_for_url(f"{live_server}/dashboard")
        assert page.get_by_text("Logged out 1 other session.").is_visible()
        assert page.locator("table.sessions tbody tr").count() == 1

        other.reload()
        assert "/login" in other.url
    finally:
        laptop.close()
