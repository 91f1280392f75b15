"""A Redis connection that reports every change to keys under a prefix, and reconnects.

Redis server-assisted client-side caching in broadcasting mode (Redis docs,
"Client-side caching in Redis"): the listener turns tracking on for a key prefix and
Redis names each key written, deleted or expired under it. The owner learns three
things through callbacks: the listener is connected (from then on every change is
reported), these keys changed (``None``: the whole database was flushed), and the
listener is lost (changes may go unreported until it is connected again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

logger = logging.getLogger("gatepass.stores")

INVALIDATE_CHANNEL = "__redis__:invalidate"
MIN_BACKOFF = 0.05  # seconds before the first reconnection attempt


async def _ask(connection: AbstractConnection, *command: str | int) -> Any:
    await connection.send_command(*command, check_health=False)
    return await connection.read_response()


class InvalidationListener:
    """Listen for changes to keys under ``prefix`` until :meth:`stop`, reconnecting as needed.

    Args:
        client: the app's client; the listener opens its own connection with its settings.
        prefix: the key prefix to hear about.
        heartbeat: seconds of silence before a PING; two unanswered count as lost.
        max_backoff: the longest wait, in seconds, between reconnection attempts.
        on_connected: called with the listener's client id once tracking is on.
        on_keys: called with the changed keys, or ``None`` for a flushed database.
        on_lost: called when the connection fails or closes.
        name: what the listener serves, for log lines.
    """

    def __init__(
        self,
        client: Redis,
        prefix: str,
        *,
        heartbeat: float,
        max_backoff: float,
        on_connected: Callable[[int], None],
        on_keys: Callable[[list[bytes] | None], None],
        on_lost: Callable[[], None],
        name: str = "session cache",
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._heartbeat = heartbeat
        self._max_backoff = max(max_backoff, MIN_BACKOFF)
        self._on_connected = on_connected
        self._on_keys = on_keys
        self._on_lost = on_lost
        self._stopped = False
        self._name = name
        self._connection: AbstractConnection | None = None
        self._peek: socket.socket | None = None  # a duplicate of its socket, to look in

    def stop(self) -> None:
        """Make :meth:`run` return after its current connection (cancel its task too)."""
        self._stopped = True

    async def run(self) -> None:
        """Connect, report, reconnect with backoff, until stopped or cancelled."""
        backoff = MIN_BACKOFF
        while not self._stopped:
            connection = self._new_connection()
            try:
                async with asyncio.timeout(2 * self._heartbeat):
                    client_id = await self._subscribe(connection)
                backoff = MIN_BACKOFF
                self._watch(connection)
                self._on_connected(client_id)
                await self._pump(connection)
            except (RedisError, OSError) as error:
                logger.warning("The %s's Redis listener failed.", self._name, exc_info=error)
            except Exception:  # the listener must outlive any one failure
                logger.exception("The %s's Redis listener failed unexpectedly.", self._name)
            finally:
                self._unwatch()
                self._on_lost()
                await connection.disconnect(nowait=True)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def quiet(self) -> bool:
        """Whether everything Redis sent has been read: connected, nothing unread.

        One non-blocking peek at the socket. Bytes waiting (an invalidation not yet
        handled) or a closed connection (Redis stopped: the kernel has already said so,
        before the listener's task has run) make it ``False``, so a cache asks Redis
        instead of answering from memory (fail closed at once, not a heartbeat later).

        Returns:
            ``True`` when no change can be pending.
        """
        connection, peek = self._connection, self._peek
        if connection is None or peek is None:
            return False
        try:
            # redis-py's own test of its read buffer (its client-side caching uses it).
            buffer_empty = getattr(connection, "_socket_is_empty", None)
            if buffer_empty is None or not buffer_empty():
                return False
            peek.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True  # nothing waiting
        except Exception:  # a closed, reset or odd connection: not quiet
            return False
        return False  # bytes waiting, or b"": the connection is closed

    def _watch(self, connection: AbstractConnection) -> None:
        writer = getattr(connection, "_writer", None)
        raw = None if writer is None else writer.get_extra_info("socket")
        if raw is None:
            return  # quiet() stays False: the cache is bypassed, never wrong
        peek = socket.socket(fileno=os.dup(raw.fileno()))
        peek.setblocking(False)
        self._connection, self._peek = connection, peek

    def _unwatch(self) -> None:
        peek, self._peek, self._connection = self._peek, None, None
        if peek is not None:
            peek.close()

    def _new_connection(self) -> AbstractConnection:
        # Its own connection, never one of the pool's, built from the same settings.
        # RESP2 whatever the app's client speaks: CLIENT TRACKING ... REDIRECT <own id>
        # plus SUBSCRIBE __redis__:invalidate (Redis docs, "Client-side caching in
        # Redis", "Two connections mode") reads invalidations as plain Pub/Sub replies,
        # which redis-py 8.1 asyncio parses alike with hiredis or the Python parser;
        # its RESP3 push handling has no public hook for invalidations.
        pool = self._client.connection_pool
        settings = dict(pool.connection_kwargs)
        settings.pop("maint_notifications_pool_handler", None)
        settings.update(protocol=2, decode_responses=False, health_check_interval=0)
        settings.update(maint_notifications_config=None)
        return pool.connection_class(**settings)

    async def _subscribe(self, connection: AbstractConnection) -> int:
        client_id = int(await _ask(connection, "CLIENT", "ID"))
        await _ask(
            connection,
            "CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", "PREFIX", self._prefix,
        )  # fmt: skip
        await _ask(connection, "SUBSCRIBE", INVALIDATE_CHANNEL)
        return client_id

    async def _pump(self, connection: AbstractConnection) -> None:
        ping_unanswered = False
        while True:
            message = await connection.read_response(timeout=self._heartbeat)
            if message is None:
                if ping_unanswered:
                    raise ConnectionError("Redis did not answer the listener's PING.")
                await connection.send_command("PING", check_health=False)
            elif isinstance(message, list) and len(message) == 3 and message[0] == b"message":
                self._on_keys(message[2])
            ping_unanswered = message is None
