"""The server's Prometheus metrics: one registry per app, counters fed by security events.

No metric uses the process-wide default registry: each app (tests build several)
owns its ``CollectorRegistry``. Label values come from short fixed lists (result,
channel, limit, route template), never from input, so a client cannot grow the
series count and no email, address or token reaches a label (CWE-532).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from gatepass.errors import StoreUnavailableError

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
CHANNELS: Final = ("api", "form", "social")
_RESULTS: Final = {"login.success": "success", "login.failure": "failure"}
_LIMITS: Final = ("login", "register", "refresh")
# Seconds; an argon2id login takes tens of milliseconds, a token check far less.
BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The counters and the request-duration histogram of one server app.

    Attributes:
        registry: the app's own registry; ``/metrics`` renders it.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.logins = Counter(
            "gatepass_logins",
            "Login attempts by result (success, failure, throttled) and channel.",
            ["result", "channel"],
            registry=registry,
        )
        self.refreshes = Counter(
            "gatepass_refreshes", "Refresh tokens rotated for a new pair.", registry=registry
        )
        self.refresh_reuse = Counter(
            "gatepass_refresh_reuse",
            "Spent refresh tokens presented again; each revoked its family.",
            registry=registry,
        )
        self.mfa = Counter(
            "gatepass_mfa_verifications",
            "Second-factor checks by result.",
            ["result"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "gatepass_rate_limited",
            "Requests refused by a rate limit, by limit.",
            ["limit"],
            registry=registry,
        )
        self.store_errors = Counter(
            "gatepass_store_errors",
            "Requests answered 503 because a store could not be reached.",
            registry=registry,
        )
        self.audit_write_failures = Counter(
            "gatepass_audit_write_failures",
            "Security events that could not be stored in the audit trail.",
            registry=registry,
        )
        self.request_duration = Histogram(
            "gatepass_request_duration_seconds",
            "Time to answer a request, by method and route template.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )
        # Every series exists from the start, so a rate() has a zero to begin from.
        for result in ("success", "failure", "throttled"):
            for channel in (*CHANNELS, "other"):
                self.logins.labels(result, channel)
        for result in ("success", "failure"):
            self.mfa.labels(result)
        for limit in (*_LIMITS, "other"):
            self.rate_limited.labels(limit)

    def security_event(self, name: str, fields: Mapping[str, Any]) -> None:
        """A ``SecurityLog`` listener: count the event it logged.

        Args:
            name: the event name.
            fields: its fields (only ``channel`` is read, and kept to a fixed list).
        """
        channel = fields.get("channel")
        channel = channel if channel in CHANNELS else "other"
        if name in _RESULTS:
            self.logins.labels(_RESULTS[name], channel).inc()
        elif name == "token.refreshed":
            self.refreshes.inc()
        elif name == "refresh.reuse":
            self.refresh_reuse.inc()
        elif name in ("mfa.verified", "mfa.failed"):
            self.mfa.labels("success" if name == "mfa.verified" else "failure").inc()
        elif name.endswith(".throttled"):
            limit = name.partition(".")[0]
            self.rate_limited.labels(limit if limit in _LIMITS else "other").inc()
            if limit == "login":
                self.logins.labels("throttled", channel).inc()

    def server_error(self, exc: BaseException) -> None:
        """An error observer (``gatepass._http.ERROR_OBSERVER``): count store outages.

        Args:
            exc: the error a 5xx answer was made from.
        """
        if isinstance(exc, StoreUnavailableError):
            self.store_errors.inc()

    def render(self) -> bytes:
        """The registry in the Prometheus text format.

        Returns:
            The exposition body.
        """
        return generate_latest(self.registry)
