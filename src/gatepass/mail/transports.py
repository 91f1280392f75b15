"""Where mail goes: an SMTP server (aiosmtplib), or an outbox folder for development."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Final, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from gatepass.errors import ConfigurationError

__all__ = ["MailDeliveryError", "MailTransport", "OutboxTransport", "SMTPTransport"]

logger = logging.getLogger("gatepass.mail")

_SCHEMES: Final = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}
_LINK: Final = re.compile(r"https?://\S+")


class MailDeliveryError(Exception):
    """A transport could not hand the message over; the sender retries or logs it."""


class MailTransport(Protocol):
    """Hands one message over for delivery."""

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; raise :class:`MailDeliveryError` when that fails."""


class SMTPTransport:
    """Sends through an SMTP server: plain, STARTTLS or implicit TLS, with optional AUTH.

    Args:
        hostname: the server's host.
        port: its port.
        security: ``"plain"``, ``"starttls"`` or ``"tls"`` (implicit TLS, port 465).
        username: for SMTP AUTH; credentials are only sent over TLS.
        password: for SMTP AUTH.
        tls_context: the TLS settings; the system's trusted CAs by default.
        timeout: seconds for each SMTP exchange.

    Raises:
        ConfigurationError: credentials without TLS.
    """

    def __init__(
        self,
        hostname: str,
        port: int,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> None:
        if security not in ("plain", "starttls", "tls"):
            raise ConfigurationError(f"Unknown SMTP security {security!r}.")
        if username is not None and security == "plain":
            # A password must never cross the network in clear (OWASP ASVS 9.2.1).
            raise ConfigurationError(
                "SMTP credentials need TLS: use smtp+starttls:// or smtps://, not smtp://."
            )
        self.hostname = hostname
        self.port = port
        self.security = security
        self._username = username
        self._password = password
        self._tls_context = tls_context
        self._timeout = timeout

    @classmethod
    def from_url(cls, url: str, *, tls_context: ssl.SSLContext | None = None) -> SMTPTransport:
        """Build from ``smtp://host:port``, ``smtp+starttls://user:pass@host:port`` or
        ``smtps://user:pass@host:port``.

        Raises:
            ConfigurationError: the URL is not one of those forms.
        """
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES or not parts.hostname:
            raise ConfigurationError(
                "GATEPASS_MAIL_URL must look like smtp://host:port, "
                "smtp+starttls://user:pass@host:port or smtps://user:pass@host:port."
            )
        default_port, security = _SCHEMES[parts.scheme]
        return cls(
            parts.hostname,
            parts.port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls_context=tls_context,
        )

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.hostname,
                port=self.port,
                username=self._username,
                password=self._password,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                tls_context=self._tls_context,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(f"{type(exc).__name__}: {exc}") from exc

    def __repr__(self) -> str:
        # Never the password: reprs end up in logs.
        return f"SMTPTransport({self.hostname!r}, {self.port}, security={self.security!r})"


class OutboxTransport:
    """Writes each message as an ``.eml`` file (mode 0600) and logs its links.

    For development: nothing leaves the machine, and the link to click is in the log.

    Args:
        folder: where the files go; created (0700) if missing.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    async def send(self, message: EmailMessage) -> None:
        try:
            path = await asyncio.to_thread(self._write, message)
        except OSError as exc:
            raise MailDeliveryError(f"{type(exc).__name__}: {exc}") from exc
        body = message.get_body(("plain",))
        links = _LINK.findall(body.get_content()) if body is not None else []
        logger.info(
            "Mail to %s (%s) written to %s; links: %s",
            message["To"],
            message["Subject"],
            path,
            " ".join(links) or "none",
        )

    def _write(self, message: EmailMessage) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{os.urandom(4).hex()}.eml"
        path = self.folder / name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.as_bytes())
        return path
