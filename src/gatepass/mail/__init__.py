"""gatepass.mail: mailed one-time links and codes, the messages, and their transports."""

from __future__ import annotations

from gatepass.mail.message import MailTemplates
from gatepass.mail.onetime import DEFAULT_LIFETIMES, OneTimeTokens, Purpose, Redeemed
from gatepass.mail.sender import MailSender
from gatepass.mail.stores import MemoryOneTimeStore, OneTimeRecord, OneTimeStore
from gatepass.mail.transports import (
    MailDeliveryError,
    MailTransport,
    OutboxTransport,
    SMTPTransport,
)

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
