"""Random user ids and the clock, as parameters of every store."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def new_user_id() -> str:
    """Return a fresh random user id: 128 bits, URL-safe, never sequential.

    Sequential ids let anyone count accounts and guess neighbours (OWASP ASVS 4.2.1,
    insecure direct object references).

    Returns:
        A 22-character URL-safe string.
    """
    return secrets.token_urlsafe(16)


def utc_now() -> datetime:
    """Return the current time in UTC (the default clock).

    Returns:
        A timezone-aware ``datetime``.
    """
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Return the same instant in UTC; a naive ``datetime`` is taken to be UTC already.

    Args:
        moment: what a clock returned.

    Returns:
        A timezone-aware ``datetime`` in UTC.
    """
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
