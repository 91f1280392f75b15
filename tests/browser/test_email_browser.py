"""The mailed flows in real headless Chromium, with a real SMTP server on 127.0.0.1.

Forgot password -> the mail -> its link -> a new password -> log in; sign in by a mailed
code. Every page of ours on the way is checked with axe-core (WCAG 2 A/AA).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import SecretStr

from browser.browser_helpers import axe_violations, screenshot, serve
from gatepass.server.settings import Settings
from server.mail_flow_helpers import code_in, link_in
from server.server_helpers import free_port
from smtp_helpers import SMTPServer, smtp_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

EMAIL = "hedy@example.com"
PASSWORD = "a long and quiet passphrase"
NEW_PASSWORD = "another long and quiet passphrase"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SMTPServer]:
    with smtp_server(tmp_path) as server:
        yield server


@pytest.fixture
def mail_server(tmp_path: Path, smtp: SMTPServer) -> Iterator[str]:
    """The server, mailing through the test SMTP server, with one account."""
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        mail_url=SecretStr(f"smtp://127.0.0.1:{smtp.port}"),
        public_url=f"http://127.0.0.1:{port}",
    )
    with serve(settings, port) as origin:
        created = httpx.post(f"{origin}/auth/register", json={"email": EMAIL, "password": PASSWORD})
        assert created.status_code == 201
        smtp.inbox.wait_for(1)
        yield origin


def test_forgot_mail_reset_and_log_in_with_the_new_password(
    mail_server: str, smtp: SMTPServer, page: Page
) -> None:
    page.goto(f"{mail_server}/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.wait_for_url(f"{mail_server}/password/forgot")
    assert axe_violations(page) == []
    screenshot(page, "password-forgot")
    page.fill("#email", EMAIL)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(f"{mail_server}/login")
    assert page.get_by_text("If the address has an account, a mail is on its way.").is_visible()

    path, token = link_in(smtp.inbox.wait_for(2)[1])
    page.goto(f"{mail_server}{path}?token={token}")
    assert page.get_by_role("heading", name="Choose a new password").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "password-reset")
    page.fill("#password", NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url(f"{mail_server}/login")
    assert page.get_by_text("Your password was changed.").is_visible()
    assert axe_violations(page) == []
    assert "password was changed" in str(smtp.inbox.wait_for(3)[2]["Subject"])

    page.fill("#email", EMAIL)
    page.fill("#password", NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{mail_server}/dashboard")

    # The spent link gives a clear page.
    page.context.clear_cookies()
    page.goto(f"{mail_server}{path}?token={token}")
    page.fill("#password", NEW_PASSWORD + " again")
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url(f"{mail_server}/password/forgot")
    assert page.get_by_text(re.compile("This link is invalid")).is_visible()
    assert axe_violations(page) == []


def test_sign_in_by_email_code_and_verify_page(
    mail_server: str, smtp: SMTPServer, page: Page
) -> None:
    verify_path, verify_token = link_in(smtp.inbox.wait_for(1)[0])
    page.goto(f"{mail_server}{verify_path}?token={verify_token}")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_url(f"{mail_server}/login")
    assert page.get_by_text(f"Your email address {EMAIL} is confirmed.").is_visible()

    page.get_by_role("link", name="Sign in with a code by email").click()
    page.wait_for_url(f"{mail_server}/login/email")
    assert axe_violations(page) == []
    page.fill("#email", EMAIL)
    page.get_by_role("button", name="Mail me a code").click()
    assert page.get_by_label("Code").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "login-email-code")
    page.fill("#code", code_in(smtp.inbox.wait_for(2)[1]))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{mail_server}/dashboard")
