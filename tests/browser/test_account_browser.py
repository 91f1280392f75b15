"""The dashboard's API logins and password change in real headless Chromium.

Pages are checked with axe-core (WCAG 2 A/AA rules), run through the DevTools protocol
so the strict CSP stays on; a CSP violation would show as a console error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from browser.browser_helpers import axe_violations, screenshot
from gatepass.tokens.jws import decode_unverified

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

pytestmark = pytest.mark.browser

EMAIL = "lin@example.com"
PASSWORD = "a long and quiet passphrase"
NEW_PASSWORD = "another long and quiet passphrase"


def _csp_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", keep)
    return errors


def _token_pair(base: str, password: str = PASSWORD) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/auth/token",
        json={"email": EMAIL, "password": password},
        headers={"user-agent": "curl/8.5.0"},
    )
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def _refreshes(base: str, pair: dict[str, Any]) -> bool:
    response = httpx.post(f"{base}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    return response.status_code == 200


def _register(page: Page, base: str) -> None:
    page.goto(f"{base}/register")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/dashboard")


def _change_password(page: Page, base: str, current: str) -> None:
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(f"{base}/dashboard")


def test_dashboard_lists_api_logins_and_ends_one(live_server: str, page: Page) -> None:
    csp_errors = _csp_errors(page)
    _register(page, live_server)
    ended, kept = _token_pair(live_server), _token_pair(live_server)

    page.reload()
    assert page.get_by_role("heading", name="API logins").is_visible()
    assert page.locator("table.logins tbody tr").count() == 2
    screenshot(page, "dashboard-api-logins")
    assert axe_violations(page) == []
    policy = page.request.get(f"{live_server}/dashboard").headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[-1].split(";", 1)[0]

    sid = decode_unverified(ended["access_token"]).claims["sid"]
    page.locator(f'form[action="/logins/{sid}/revoke"]').get_by_role("button", name="End").click()
    page.wait_for_url(f"{live_server}/dashboard")
    assert page.get_by_text("That API login has been ended.").is_visible()
    assert page.locator("table.logins tbody tr").count() == 1
    assert not _refreshes(live_server, ended)
    assert _refreshes(live_server, kept)
    assert csp_errors == []


def test_dashboard_changes_the_password_and_ends_the_api_logins(
    live_server: str, page: Page
) -> None:
    csp_errors = _csp_errors(page)
    _register(page, live_server)
    pair = _token_pair(live_server)
    page.reload()

    _change_password(page, live_server, "not my password")
    assert page.get_by_text("The current password is not correct.").is_visible()
    assert axe_violations(page) == []

    _change_password(page, live_server, PASSWORD)
    assert page.get_by_text("Your password has been changed.").is_visible()
    assert page.get_by_text("Ended 1 API login.").is_visible()
    screenshot(page, "dashboard-password-changed")
    assert axe_violations(page) == []
    assert not _refreshes(live_server, pair)
    _token_pair(live_server, NEW_PASSWORD)
    assert csp_errors == []
