"""Security events as one JSON object per line on the ``gatepass.security`` logger.

Login success and failure, lockouts, refresh-token reuse, logouts and key rotations
are logged so an operator can alert on them (OWASP ASVS 7.2.1, OWASP Logging Cheat
Sheet). Events name users by id and accounts by a keyed hash of the typed email;
passwords, tokens, session ids and secrets never reach a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final

import orjson

from gatepass.audit.events import FORBIDDEN_FIELDS

SECURITY_LOGGER: Final = "gatepass.security"
# A salt per purpose, so the log key could be shared without its uses meeting.
_PSEUDONYM_SALT: Final = b"gatepass.log-account\x00"
# Field names that must never be logged; refused loudly so a slip is caught in tests.
_FORBIDDEN: Final = FORBIDDEN_FIELDS
_log = logging.getLogger(__name__)
# A listener receives each event after it is logged: (name, fields without None).
Listener = Callable[[str, Mapping[str, Any]], None]


def account_hash(email: str, key: bytes | None = None) -> str:
    """A short stable pseudonym of a typed account name, so logs can correlate attempts.

    People type passwords into the email field, so the text itself is not logged
    (OWASP Logging Cheat Sheet, "Data to exclude"). The pseudonym is an HMAC under a
    server secret: a plain hash of what was typed is reversed by hashing a word list
    (CWE-532, CWE-759).

    Args:
        email: the email as typed.
        key: the server's log secret (``GATEPASS_LOG_SECRET`` or ``log-secret`` in the
            data folder). Omitting it is deprecated: the unkeyed hash can be reversed.

    Returns:
        16 hex characters of HMAC-SHA-256 of the trimmed, case-folded text.
    """
    text = email.strip().casefold().encode("utf-8", "surrogatepass")
    if key is None:
        warnings.warn(
            "account_hash() without a key is reversible and deprecated; pass the "
            "server's log secret (ServerState.account_hash does).",
            DeprecationWarning,
            stacklevel=2,
        )
        return hashlib.sha256(text).hexdigest()[:16]
    return hmac.new(key, _PSEUDONYM_SALT + text, hashlib.sha256).hexdigest()[:16]


class SecurityLog:
    """Writes security events.

    Args:
        logger: the logger; ``gatepass.security`` by default.
        clock: epoch seconds, for the ``time`` field.
    """

    def __init__(
        self, logger: logging.Logger | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.logger = logger or logging.getLogger(SECURITY_LOGGER)
        self._clock = clock
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Also hand every event to ``listener`` (the audit trail, metrics).

        Args:
            listener: called with the event name and its fields after the line is
                logged; an exception it raises is logged, never passed to the caller.
        """
        self._listeners.append(listener)

    def event(self, name: str, *, level: int = logging.INFO, **fields: Any) -> None:
        """Log one event as a JSON line.

        Args:
            name: the event name, such as ``login.failure``.
            level: the logging level.
            **fields: more facts (``user_id``, ``address``, ``reason``...); values that
                are ``None`` are left out.

        Raises:
            ValueError: a field name is one that would carry a secret.
        """
        leaked = _FORBIDDEN.intersection(fields)
        if leaked:
            raise ValueError(f"Security events never carry {sorted(leaked)}.")
        facts = {key: value for key, value in fields.items() if value is not None}
        record = {"event": name, "time": round(self._clock(), 3), **facts}
        self.logger.log(level, orjson.dumps(record, default=str).decode())
        for listener in self._listeners:
            try:
                listener(name, facts)
            except Exception:  # a listener (audit, metrics) never fails the request
                _log.exception("security event listener failed for %s", name)


class StripQueryFilter(logging.Filter):
    """Drops the query string from uvicorn's access-log lines.

    A callback's ``code`` and ``state`` (``/auth/github/callback?code=...``) are
    credentials for a few minutes; they must not reach a log file (OWASP ASVS 7.1.1,
    CWE-532, RFC 9700 §4.2.4). uvicorn logs ``(client, method, path, version, status)``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument of an access record; always keep the record.

        Args:
            record: the log record.

        Returns:
            ``True``.
        """
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].partition("?")[0]
            record.args = (*args[:2], path, *args[3:])
        return True


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config plus a plain stderr handler for security events.

    Args:
        level: the log level name for the server.

    Returns:
        A ``logging.config.dictConfig`` dictionary (applied in every worker).
    """
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = orjson.loads(orjson.dumps(LOGGING_CONFIG))
    config["formatters"]["gatepass_json"] = {"format": "%(message)s"}
    config["handlers"]["gatepass_security"] = {
        "class": "logging.StreamHandler",
        "formatter": "gatepass_json",
        "stream": "ext://sys.stderr",
    }
    config["loggers"][SECURITY_LOGGER] = {
        "handlers": ["gatepass_security"],
        "level": "INFO",
        "propagate": False,
    }
    config["loggers"]["gatepass"] = {"handlers": ["default"], "level": level.upper()}
    config.setdefault("filters", {})["gatepass_strip_query"] = {"()": StripQueryFilter}
    config["loggers"]["uvicorn.access"]["filters"] = ["gatepass_strip_query"]
    return config
