"""Limits at the HTTP layer of ``gatepass serve``: request heads and connections.

uvicorn's protocols trust the peer in ways an attacker can use against every other
client (CWE-400, CWE-770):

- httptools (the ``server`` extra) has no limit on a request head, and its header
  buffer grows by concatenation, so one 100 MB header line costs seconds of CPU while
  the event loop serves no one (CWE-407). h11 bounds the head, but not the number of
  header fields.
- Neither closes a connection that never finishes its head: ``timeout_keep_alive`` only
  starts after a response, and any byte cancels it (slowloris).

:class:`BoundedHttpToolsProtocol` and :class:`BoundedH11Protocol` add those limits:
the head is refused with 431 past ``max_header_bytes`` or ``max_header_count`` (RFC
6585 §5), a head not complete within ``header_timeout`` gets 408 and the connection is
closed (RFC 9110 §15.5.9), and connections past ``max_connections`` (in all, and per
client address) are answered 503 and closed at once, so their file descriptors come
back. The limits travel in :class:`LimitedConfig`, which worker processes receive
pickled.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import h11
import orjson
from uvicorn import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from gatepass.security.ratelimit import address_key
from gatepass.server.settings import Settings

__all__ = [
    "BoundedH11Protocol",
    "BoundedHttpToolsProtocol",
    "HttpLimits",
    "LimitedConfig",
    "bounded_protocol",
]

_REASONS: Final = {
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one connection may cost the server.

    Args:
        max_header_bytes: request line and header fields together, in bytes.
        max_header_count: header fields in one request.
        header_timeout: seconds from a request's first byte (or from the connection's
            opening) until its head must be complete.
        max_connections: open connections of this process.
        max_connections_per_address: open connections of one client address (IPv6:
            of one /64); 0 for none (behind a reverse proxy every connection comes
            from the proxy).
    """

    max_header_bytes: int = 32 * 1024
    max_header_count: int = 100
    header_timeout: float = 10.0
    max_connections: int = 1000
    max_connections_per_address: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        """The limits the settings give.

        Args:
            settings: the validated settings.

        Returns:
            The limits; the per-address cap is off behind a trusted proxy, whose
            address every connection has.
        """
        behind_proxy = bool(settings.forwarded_allow_ips.strip())
        return cls(
            max_header_bytes=settings.max_header_bytes,
            max_header_count=settings.max_header_count,
            header_timeout=settings.header_timeout.total_seconds(),
            max_connections=settings.max_connections,
            max_connections_per_address=(
                0 if behind_proxy else settings.max_connections_per_address
            ),
        )


class LimitedConfig(Config):
    """uvicorn's ``Config`` carrying :class:`HttpLimits` to the bounded protocols.

    Args:
        app: the application or its import string.
        limits: the limits.
        **options: uvicorn's ``Config`` options.
    """

    def __init__(self, app: Any, *, limits: HttpLimits, **options: Any) -> None:
        super().__init__(app, **options)
        self.http_limits = limits
        # Per process: a worker receives this pickled, with its own empty counts.
        self.open_by_address: Counter[str] = Counter()


def bounded_protocol(implementation: str) -> type[asyncio.Protocol]:
    """The bounded protocol class for an HTTP implementation.

    Args:
        implementation: ``httptools`` (the ``server`` extra's parser, the default) or
            ``h11``.

    Returns:
        The protocol class, for uvicorn's ``http`` option.
    """
    return BoundedH11Protocol if implementation == "h11" else BoundedHttpToolsProtocol


def _refuse(transport: asyncio.Transport, status: int, error: str, message: str) -> None:
    # Written raw and closed: the parser's state is not trusted after a refusal.
    body = orjson.dumps({"error": error, "message": message})
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "cache-control: no-store\r\n"
        "connection: close\r\n\r\n"
    )
    if not transport.is_closing():
        transport.write(head.encode("ascii") + body)
        transport.close()


def _too_large(transport: asyncio.Transport) -> None:
    _refuse(transport, 431, "headers_too_large", "The request headers are too large.")


class _Connection:
    """One connection's limits: its slot, and the head being read (bytes, fields, deadline)."""

    def __init__(self, config: Config, loop: asyncio.AbstractEventLoop) -> None:
        limits = getattr(config, "http_limits", None)
        self.limits: HttpLimits = limits if isinstance(limits, HttpLimits) else HttpLimits()
        self.counts: Counter[str] | None = getattr(config, "open_by_address", None)
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.address: str | None = None
        self.reading_head = True
        self.head_bytes = 0
        self.fields = 0
        self.deadline: asyncio.TimerHandle | None = None

    def admit(self, transport: asyncio.Transport, state: ServerState) -> bool:
        """Take a slot, or answer 503 and close; arm the first head's deadline."""
        self.transport = transport
        peer = transport.get_extra_info("peername")
        # IPv6 clients by their /64, as the rate limits count them.
        address = address_key(str(peer[0])) if isinstance(peer, tuple) and peer else None
        per_address = self.limits.max_connections_per_address
        full = len(state.connections) > self.limits.max_connections
        if not full and self.counts is not None and per_address and address is not None:
            full = self.counts[address] >= per_address
            if not full:
                self.counts[address] += 1
                self.address = address
        if full:
            _refuse(transport, 503, "too_many_connections", "Too many open connections.")
            return False
        self.arm()
        return True

    def release(self) -> None:
        """Give the slot back and drop the deadline (the connection is gone)."""
        self.disarm()
        if self.counts is not None and self.address is not None:
            self.counts[self.address] -= 1
            if self.counts[self.address] <= 0:
                del self.counts[self.address]
            self.address = None

    def arm(self) -> None:
        """Start the head's deadline unless it runs already."""
        if self.reading_head and self.deadline is None:
            self.deadline = self.loop.call_later(self.limits.header_timeout, self._expired)

    def disarm(self) -> None:
        """Stop the deadline."""
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def feed(self, data: bytes, parse: Callable[[bytes], None]) -> None:
        """Hand ``data`` to the parser, no more of a head than it may hold, else 431."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.reading_head:
            self.arm()
            room = self.limits.max_header_bytes - self.head_bytes
            if len(data) > room:
                # Never more than the head may hold: httptools would buffer all of it,
                # quadratically (CWE-407), and h11 parses a head that came whole.
                if room > 0:  # h11 reads empty data as the end of the stream
                    self.head_bytes += room
                    parse(data[:room])
                if transport.is_closing():
                    return
                if self.reading_head:
                    _too_large(transport)
                    return
                data = data[room:]
            else:
                self.head_bytes += len(data)
        if data and not transport.is_closing():
            parse(data)

    def head_done(self) -> None:
        """The head is complete: the request is the app's now."""
        self.reading_head = False
        self.disarm()

    def next_head(self) -> None:
        """A new head may start; its deadline starts with its first byte."""
        self.reading_head, self.head_bytes, self.fields = True, 0, 0

    def count_field(self) -> bool:
        """Count one header field; ``False`` when there are too many."""
        self.fields += 1
        return self.fields <= self.limits.max_header_count

    def _expired(self) -> None:
        self.deadline = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.head_bytes:
            _refuse(transport, 408, "request_timeout", "The request headers took too long.")
        else:
            # Nothing was asked: nothing to answer (RFC 9112 §9.5, closing an idle connection).
            transport.close()


class _TooManyFields(Exception):
    """Raised from a parser callback to stop httptools; answered with 431."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with :class:`HttpLimits` on heads and connections."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = _Connection(config, self.loop)
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._limits.admit(transport, self.server_state)

    def connection_lost(self, exc: Exception | None) -> None:
        self._limits.release()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._limits.feed(data, super().data_received)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._limits.arm()

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._limits.count_field():
            self._refused = True
            raise _TooManyFields
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._limits.head_done()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._limits.next_head()

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            _too_large(self.transport)
        else:
            super().send_400_response(msg)


class _BoundedConnection(h11.Connection):
    """h11's server connection, also bounding the number of header fields."""

    def __init__(self, limits: _Connection) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=limits.limits.max_header_bytes)
        self.limits = limits
        self.refused = False

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            # h11 hints 431 for a head past max_incomplete_event_size.
            self.refused = exc.error_status_hint == 431
            raise
        if isinstance(event, h11.Request):
            if len(event.headers) > self.limits.limits.max_header_count:
                self.refused = True
                raise h11.RemoteProtocolError("Too many header fields.", error_status_hint=431)
            self.limits.head_done()
        return event


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with :class:`HttpLimits` on heads and connections."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = _Connection(config, self.loop)
        self._bounded = _BoundedConnection(self._limits)
        self.conn = self._bounded

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._limits.admit(transport, self.server_state)

    def connection_lost(self, exc: Exception | None) -> None:
        self._limits.release()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._limits.feed(data, super().data_received)

    def on_response_complete(self) -> None:
        # Before uvicorn starts the next cycle, which may parse a buffered request.
        self._limits.next_head()
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        if self._bounded.refused:
            _too_large(self.transport)
        else:
            super().send_400_response(msg)
