"""Security events as one JSON object per line on the ``gatepass.security`` logger.

Login success and failure, lockouts, refresh-token reuse, logouts and key rotations
are logged so an operator can alert on them (OWASP ASVS 7.2.1, OWASP Logging Cheat
Sheet). Events name users by id and accounts by a keyed hash of the typed email;
passwords, tokens, session ids and secrets never reach a log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from typing import IO, Any, Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatepass.audit.events import FORBIDDEN_FIELDS

SECURITY_LOGGER: Final = "gatepass.security"
# A salt per purpose, so the log key could be shared without its uses meeting.
_PSEUDONYM_SALT: Final = b"gatepass.log-account\x00"
ACCESS_LOGGER: Final = "gatepass.access"
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

    The ``gatepass.access`` level turns :class:`AccessLog` on (``info``) or off.

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
    # The access log is gatepass's own (AccessLog: JSON lines, written in batches);
    # uvicorn's, a formatted record and a flush per request, is turned off.
    config["loggers"]["uvicorn.access"]["level"] = "WARNING"
    config["loggers"][ACCESS_LOGGER] = {"level": level.upper(), "propagate": False}
    return config


class AccessLog:
    """Pure-ASGI access log: one JSON object per request, written in batches.

    Each line has ``time``, ``client``, ``method``, ``path`` (never the query string:
    a callback's ``code`` and ``state`` are credentials, OWASP ASVS 7.1.1, CWE-532),
    ``status`` and ``ms``. Lines are collected and written at most ``flush_every``
    seconds later (or once ``max_lines`` wait, and at shutdown), one write for many
    requests instead of a logging record, a format and a flush for each. It is on when
    the ``gatepass.access`` logger is enabled for INFO (``gatepass serve --log-level
    info``, the default); uvicorn's own access log is off in ``uvicorn_log_config``.

    Args:
        app: the wrapped ASGI app.
        stream: where lines go; default standard output.
        flush_every: the longest, in seconds, a line waits.
        max_lines: lines that make a write at once.
        enabled: log at all; default whether ``gatepass.access`` logs INFO.
        clock: epoch seconds, for ``time``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        stream: IO[bytes] | None = None,
        flush_every: float = 0.5,
        max_lines: int = 256,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.enabled = (
            logging.getLogger(ACCESS_LOGGER).isEnabledFor(logging.INFO)
            if enabled is None
            else enabled
        )
        self._stream = stream
        self._flush_every = flush_every
        self._max_lines = max_lines
        self._clock = clock
        self._lines: list[bytes] = []
        self._timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            if scope["type"] == "lifespan":
                await self.app(scope, receive, self._flushing_on_shutdown(send))
                return
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response: it failed

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            client = scope.get("client")
            line = {
                "time": round(self._clock(), 3),
                "client": client[0] if client else None,
                "method": scope["method"],
                "path": scope["path"],  # the query string is a separate ASGI field
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            }
            self._add(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))

    def _add(self, line: bytes) -> None:
        self._lines.append(line)
        if len(self._lines) >= self._max_lines:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._flush_every, self.flush)

    def flush(self) -> None:
        """Write the lines collected so far."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        stream = self._stream or sys.stdout.buffer
        try:
            stream.write(b"".join(lines))
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream must not fail requests
            pass

    def _flushing_on_shutdown(self, send: Send) -> Send:
        async def flush_then_send(message: Message) -> None:
            if message["type"].startswith("lifespan.shutdown"):
                self.flush()
            await send(message)

        return flush_then_send
