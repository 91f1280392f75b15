"""Background delivery: retries while the SMTP server is down, a clear log line if never."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path

import pytest

from gatepass.mail import MailSender, MailTemplates, SMTPTransport
from service_helpers import free_port
from smtp_helpers import SMTPServer, smtp_server

TEMPLATES = MailTemplates(sender="no-reply@example.com", site_name="Example")


async def test_submit_returns_at_once_and_the_mail_arrives(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        sender = MailSender(SMTPTransport("127.0.0.1", server.port, security="plain"))
        sender.submit(TEMPLATES.render("password_changed", to="carol@example.com"))
        await sender.aclose()
        assert [m["To"] for m in server.inbox.wait_for(1)] == ["carol@example.com"]


async def test_a_server_that_comes_back_gets_the_mail(tmp_path: Path) -> None:
    port = free_port()
    with ExitStack() as stack:
        started: list[SMTPServer] = []

        async def start_server_during_the_pause(seconds: float) -> None:
            if not started:
                started.append(stack.enter_context(smtp_server(tmp_path, port=port)))

        sender = MailSender(
            SMTPTransport("127.0.0.1", port, security="plain", timeout=2.0),
            sleep=start_server_during_the_pause,
        )
        assert await sender.deliver(TEMPLATES.render("password_changed", to="c@example.com"))
        assert len(started[0].inbox.wait_for(1)) == 1


async def test_a_server_that_stays_down_is_logged_and_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    sender = MailSender(
        SMTPTransport("127.0.0.1", free_port(), security="plain", timeout=2.0),
        attempts=3,
        backoff=1.0,
        sleep=record,
    )
    with caplog.at_level(logging.WARNING, logger="gatepass.mail"):
        delivered = await sender.deliver(TEMPLATES.render("password_changed", to="c@example.com"))
    assert not delivered
    assert pauses == [1.0, 2.0]
    assert "giving up" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.ERROR
