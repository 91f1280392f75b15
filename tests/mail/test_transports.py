"""Mail reaches a real SMTP server on loopback: plain, STARTTLS with AUTH, implicit TLS."""

from __future__ import annotations

import logging
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest

from gatepass.errors import ConfigurationError
from gatepass.mail import MailDeliveryError, MailTemplates, OutboxTransport, SMTPTransport
from service_helpers import free_port
from smtp_helpers import PASSWORD, USERNAME, smtp_server

TEMPLATES = MailTemplates(sender="Example <no-reply@example.com>", site_name="Example")


def reset_mail(to: str = "carol@example.com") -> EmailMessage:
    return TEMPLATES.render(
        "reset_password",
        to=to,
        link="https://example.com/password/reset?token=abc",
        expires_in="30 minutes",
    )


async def test_plain_smtp_delivers_text_and_html(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        await SMTPTransport.from_url(f"smtp://127.0.0.1:{server.port}").send(reset_mail())
        [received] = server.inbox.wait_for(1)
    assert received["To"] == "carol@example.com"
    assert received["Subject"] == "Reset your Example password"
    assert received["Message-ID"].endswith("@example.com>")
    text = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "https://example.com/password/reset?token=abc" in text.get_content()
    assert 'href="https://example.com/password/reset?token=abc"' in html.get_content()


async def test_starttls_with_auth_delivers(tmp_path: Path) -> None:
    with smtp_server(tmp_path, security="starttls", auth=True) as server:
        assert server.certificate is not None
        transport = SMTPTransport.from_url(
            f"smtp+starttls://{USERNAME}:{PASSWORD}@127.0.0.1:{server.port}",
            tls_context=server.certificate.client_context(),
        )
        await transport.send(reset_mail())
        assert len(server.inbox.wait_for(1)) == 1
    assert PASSWORD not in repr(transport)


async def test_implicit_tls_with_auth_delivers(tmp_path: Path) -> None:
    with smtp_server(tmp_path, security="tls", auth=True) as server:
        assert server.certificate is not None
        transport = SMTPTransport.from_url(
            f"smtps://{USERNAME}:{PASSWORD}@127.0.0.1:{server.port}",
            tls_context=server.certificate.client_context(),
        )
        await transport.send(reset_mail())
        assert len(server.inbox.wait_for(1)) == 1


async def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    with smtp_server(tmp_path, security="tls") as server:
        transport = SMTPTransport.from_url(f"smtps://127.0.0.1:{server.port}")
        with pytest.raises(MailDeliveryError):
            await transport.send(reset_mail())
        assert server.inbox.messages == []


async def test_wrong_smtp_password_is_a_delivery_error(tmp_path: Path) -> None:
    with smtp_server(tmp_path, security="starttls", auth=True) as server:
        assert server.certificate is not None
        transport = SMTPTransport.from_url(
            f"smtp+starttls://{USERNAME}:wrong@127.0.0.1:{server.port}",
            tls_context=server.certificate.client_context(),
        )
        with pytest.raises(MailDeliveryError):
            await transport.send(reset_mail())


async def test_a_server_that_is_down_is_a_delivery_error() -> None:
    transport = SMTPTransport("127.0.0.1", free_port(), security="plain", timeout=2.0)
    with pytest.raises(MailDeliveryError):
        await transport.send(reset_mail())


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:25", "smtp://", "smtp://user:pass@127.0.0.1:25", "127.0.0.1:25"],
)
def test_bad_mail_urls_are_refused_with_the_forms_that_work(url: str) -> None:
    with pytest.raises(ConfigurationError, match="smtp"):
        SMTPTransport.from_url(url)


def test_url_forms_choose_security_and_default_ports() -> None:
    assert SMTPTransport.from_url("smtp://mail.test").port == 25
    starttls = SMTPTransport.from_url("smtp+starttls://a%40b:p%3Aw@mail.test")
    assert (starttls.security, starttls.port) == ("starttls", 587)
    assert SMTPTransport.from_url("smtps://u:p@mail.test:2465").port == 2465


async def test_outbox_writes_private_eml_files_and_logs_the_link(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = OutboxTransport(tmp_path / "outbox")
    with caplog.at_level(logging.INFO, logger="gatepass.mail"):
        await outbox.send(reset_mail())
    [path] = list((tmp_path / "outbox").glob("*.eml"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"Subject: Reset your Example password" in path.read_bytes()
    assert "https://example.com/password/reset?token=abc" in caplog.text
