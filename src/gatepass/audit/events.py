"""``AuditEvent``: one stored security event, and the names events are stored under.

The server's security log names (``login.success``, ``refresh.reuse``...) stay as
they are, since operators grep them; the stored trail uses the names of the design
(``login.succeeded``, ``refresh.reuse_detected``...). :func:`stored_type` maps one to
the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

DetailValue = str | int | float | bool

# Field names that would carry a secret: never logged, never stored (CWE-532,
# OWASP Logging Cheat Sheet "Data to exclude").
FORBIDDEN_FIELDS: Final = frozenset(
    {"password", "token", "access_token", "refresh_token", "secret", "session_id", "cookie"}
)
# A small detail map: a stored row stays small and cannot be used to smuggle a payload.
MAX_DETAIL_KEYS: Final = 16
MAX_TEXT: Final = 200
MAX_USER_AGENT: Final = 512

LOGIN_SUCCEEDED: Final = "login.succeeded"
LOGIN_FAILED: Final = "login.failed"
LOGIN_THROTTLED: Final = "login.throttled"
LOGOUT: Final = "logout"
PASSWORD_CHANGED: Final = "password.changed"  # noqa: S105 (an event name)
MFA_ENABLED: Final = "mfa.enabled"
REFRESH_REUSE_DETECTED: Final = "refresh.reuse_detected"
SESSION_REVOKED: Final = "session.revoked"

# Security log name -> stored type, where they differ.
_STORED_TYPES: Final[Mapping[str, str]] = {
    "login.success": LOGIN_SUCCEEDED,
    "login.failure": LOGIN_FAILED,
    "refresh.reuse": REFRESH_REUSE_DETECTED,
}
# Logged but not stored: one row per token refresh would drown the trail; the
# ``gatepass_refreshes_total`` counter counts them.
NOT_STORED: Final = frozenset({"token.refreshed"})


def stored_type(log_name: str) -> str:
    """The audit type a security log event is stored under.

    Args:
        log_name: the security log's event name, such as ``login.success``.

    Returns:
        The stored type, such as ``login.succeeded``; other names are kept.
    """
    return _STORED_TYPES.get(log_name, log_name)


def check_fields(names: Mapping[str, object] | frozenset[str]) -> None:
    """Refuse field names that would carry a secret.

    Args:
        names: the fields of an event.

    Raises:
        ValueError: a field is one of :data:`FORBIDDEN_FIELDS`.
    """
    leaked = FORBIDDEN_FIELDS.intersection(names)
    if leaked:
        raise ValueError(f"Security events never carry {sorted(leaked)}.")


def clean_detail(fields: Mapping[str, object]) -> dict[str, DetailValue]:
    """A bounded detail map: plain values, long text cut, at most 16 keys.

    Args:
        fields: the facts of an event; ``None`` values are left out.

    Returns:
        The map to store.

    Raises:
        ValueError: a field name would carry a secret.
    """
    check_fields(fields)
    detail: dict[str, DetailValue] = {}
    for key, value in fields.items():
        if value is None or len(detail) >= MAX_DETAIL_KEYS:
            continue
        if isinstance(value, bool | int | float):
            detail[key[:64]] = value
        else:
            detail[key[:64]] = str(value)[:MAX_TEXT]
    return detail


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One security event of the audit trail.

    Attributes:
        type: what happened, such as ``login.succeeded``.
        at: when (timezone-aware, UTC).
        user_id: the user it concerns, when known.
        account: the keyed pseudonym of a typed account name (a failed login names
            no user: the typed text may be a password), when there is one.
        ip: the client address.
        user_agent: the client's ``User-Agent``, cut to 512 characters.
        detail: a few more facts (channel, reason, provider...), never a secret.
        id: the store's id, increasing with time; ``None`` until stored.
    """

    type: str
    at: datetime
    user_id: str | None = None
    account: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    detail: Mapping[str, DetailValue] = field(default_factory=dict)
    id: int | None = None

    def __post_init__(self) -> None:
        check_fields(self.detail)
        if self.at.tzinfo is None:
            raise ValueError("AuditEvent.at must be timezone-aware (UTC).")
