"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the mail tests, and what it received.

The server runs in aiosmtpd's controller thread: plain, STARTTLS (with a certificate
made here by ``cryptography``) or implicit TLS, with AUTH when a password is given.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service_helpers import free_port

USERNAME = "mailer"
PASSWORD = "smtp-test-password"


@dataclass
class Inbox:
    """What the SMTP server received, parsed with the standard ``email`` package."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.arrived:
            self.messages.append(parsed)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until ``count`` messages arrived, and return them."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
            return list(self.messages)


@dataclass(frozen=True)
class Certificate:
    """A self-signed server certificate for 127.0.0.1 and localhost."""

    cert_pem: bytes
    key_pem: bytes

    def server_context(self, folder: Path) -> ssl.SSLContext:
        cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.cert_pem.decode())


def make_certificate() -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Certificate(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USERNAME.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok)


@dataclass
class SMTPServer:
    """A running server: where to reach it and what it received."""

    port: int
    inbox: Inbox
    security: Literal["plain", "starttls", "tls"]
    certificate: Certificate | None


@contextmanager
def smtp_server(
    folder: Path,
    *,
    security: Literal["plain", "starttls", "tls"] = "plain",
    auth: bool = False,
    port: int | None = None,
) -> Iterator[SMTPServer]:
    """Run an SMTP server on 127.0.0.1 (on ``port`` or a free one) until the block ends."""
    inbox = Inbox()
    port = port or free_port()
    certificate = make_certificate() if security != "plain" else None
    options: dict[str, Any] = {}
    if auth:
        options.update(authenticator=_authenticator, auth_required=True)
    if security == "starttls":
        assert certificate is not None
        options.update(tls_context=certificate.server_context(folder), require_starttls=True)
    elif security == "tls":
        assert certificate is not None
        # aiosmtpd only counts STARTTLS as TLS for AUTH; here the whole connection is TLS.
        # (auth_required with auth_require_tls=False would warn; the client logs in anyway.)
        options.update(ssl_context=certificate.server_context(folder), auth_require_tls=False)
        options.pop("auth_required", None)
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **options
    )
    controller.start()
    try:
        yield SMTPServer(port, inbox, security, certificate)
    finally:
        controller.stop()
