"""gatepass.mail: mailed one-time links and codes, the messages, and their transports.

One-time tokens need nothing extra; the messages (Jinja2) and the SMTP transport
(aiosmtplib) come with ``gatepass[mail]`` and load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.mail.onetime import DEFAULT_LIFETIMES, OneTimeTokens, Purpose, Redeemed
from gatepass.mail.stores import MemoryOneTimeStore, OneTimeRecord, OneTimeStore

if TYPE_CHECKING:
    from gatepass.mail.message import MailTemplates
    from gatepass.mail.sender import MailSender
    from gatepass.mail.transports import (
        MailDeliveryError,
        MailTransport,
        OutboxTransport,
        SMTPTransport,
    )

_LAZY = {
    "MailTemplates": "gatepass.mail.message",
    "MailSender": "gatepass.mail.sender",
    "MailDeliveryError": "gatepass.mail.transports",
    "MailTransport": "gatepass.mail.transports",
    "OutboxTransport": "gatepass.mail.transports",
    "SMTPTransport": "gatepass.mail.transports",
}

__all__ = [
    "DEFAULT_LIFETIMES",
    "MailDeliveryError",
    "MailSender",
    "MailTemplates",
    "MailTransport",
    "MemoryOneTimeStore",
    "OneTimeRecord",
    "OneTimeStore",
    "OneTimeTokens",
    "OutboxTransport",
    "Purpose",
    "Redeemed",
    "SMTPTransport",
]

__getattr__ = lazy_attributes(__name__, _LAZY)
