"""The server's mail: where it goes, the links it carries, and their one-time tokens.

``GATEPASS_MAIL_URL`` names an SMTP server; unset, each message is written to
``<data dir>/outbox/`` and its link logged (development). Links are built from the
public URL and carry the secret as the query parameter ``token``. Messages leave in
background tasks (:class:`~gatepass.mail.MailSender`), drained when the app stops.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from gatepass.mail import (
    MailSender,
    MailTemplates,
    MailTransport,
    OneTimeTokens,
    OutboxTransport,
    Purpose,
    SMTPTransport,
)
from gatepass.security.ratelimit import RateLimiter, account_key, address_key
from gatepass.server.backends import Backends
from gatepass.server.datadir import kept_secret
from gatepass.server.settings import Settings

__all__ = ["AccountMail", "one_time_secret"]

ONE_TIME_SECRET_FILE: Final = "one-time-secret"  # noqa: S105 - a file name, not a secret
OUTBOX: Final = "outbox"
MAIL_ADDRESS_LIMIT: Final = "mail-address"
MAIL_ACCOUNT_LIMIT: Final = "mail-account"


def one_time_secret(data_dir: Path) -> bytes:
    """The key of the one-time token hashes, kept in the data folder (0600).

    Args:
        data_dir: the data folder.

    Returns:
        The secret, made on first call (256 random bits) and kept, so a link mailed
        before a restart still works after it.
    """
    return kept_secret(data_dir / ONE_TIME_SECRET_FILE).encode()


def mail_transport(settings: Settings) -> MailTransport:
    """The SMTP server of ``GATEPASS_MAIL_URL``, else the outbox folder.

    Raises:
        ConfigurationError: the mail URL is not usable.
    """
    if settings.mail_url is None:
        return OutboxTransport(settings.data_dir / OUTBOX)
    return SMTPTransport.from_url(settings.mail_url.get_secret_value())


def mail_sender_address(settings: Settings) -> str:
    """``GATEPASS_MAIL_FROM``, else ``site <no-reply@public host>``."""
    if settings.mail_from:
        return settings.mail_from
    host = urlsplit(settings.effective_public_url).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        host = "localhost"  # an address literal is no mail domain
    return f"{settings.site_name} <no-reply@{host}>"


def describe(duration: timedelta) -> str:
    """A lifetime as a mail says it: ``30 minutes``, ``24 hours``."""
    minutes = round(duration.total_seconds() / 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(slots=True)
class AccountMail:
    """What the account flows mail with.

    Attributes:
        tokens: the one-time tokens and codes.
        templates: the messages.
        sender: background delivery with retries.
        limiter: per-address and per-account limits of every mail flow step.
        public_url: the origin links point at.
    """

    tokens: OneTimeTokens
    templates: MailTemplates
    sender: MailSender
    limiter: RateLimiter
    public_url: str

    @classmethod
    def build(cls, settings: Settings, backends: Backends) -> AccountMail:
        """Wire the mail of one server process from the settings.

        Raises:
            ConfigurationError: the mail URL is not usable.
        """
        return cls(
            tokens=OneTimeTokens(backends.one_time, secret=one_time_secret(settings.data_dir)),
            templates=MailTemplates(
                sender=mail_sender_address(settings), site_name=settings.site_name
            ),
            sender=MailSender(mail_transport(settings)),
            # Like login: each step per address and per account, so neither a code nor a
            # mailbox can be hammered (OWASP ASVS 2.2.1, 2.5.x; CWE-307, CWE-799).
            limiter=RateLimiter(
                backends.limits,
                {
                    MAIL_ADDRESS_LIMIT: settings.address_limit,
                    MAIL_ACCOUNT_LIMIT: settings.login_limit,
                },
                namespace=f"{settings.redis_prefix}mail",
            ),
            public_url=settings.effective_public_url,
        )

    def link(self, path: str, token: str) -> str:
        """The absolute link to ``path`` carrying ``token``."""
        return f"{self.public_url}{path}?{urlencode({'token': token})}"

    def expires_in(self, purpose: Purpose) -> str:
        """How long a token of ``purpose`` lives, in words."""
        return describe(self.tokens.lifetime(purpose))

    def send(self, template: str, *, to: str, **context: Any) -> None:
        """Render ``template`` for ``to`` and queue it; never waits for the SMTP server."""
        self.sender.submit(self.templates.render(template, to=to, **context))

    async def throttle(self, step: str, *, address: str, account: str | None = None) -> None:
        """Count one attempt at ``step``, or refuse it.

        Args:
            step: the flow step, such as ``"password.forgot"``.
            address: the client's IP address (one budget over every step).
            account: the email or user id the step is about, if any.

        Raises:
            RateLimitedError: too many attempts (429 with ``Retry-After``).
            StoreUnavailableError: the counters cannot be reached (fail closed).
        """
        await self.limiter.hit(MAIL_ADDRESS_LIMIT, address_key(address))
        if account is not None:
            await self.limiter.hit(MAIL_ACCOUNT_LIMIT, f"{step}:{account_key(account)}")

    async def aclose(self) -> None:
        """Give queued messages up to 10 seconds to leave, then stop."""
        await self.sender.aclose()
