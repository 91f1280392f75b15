"""Private services for tests: a Redis process, a cuttable TCP proxy, scratch databases.

The machine's shared Redis and PostgreSQL are never stopped: Redis outages use a
``redis-server`` of the test's own on a free port, PostgreSQL outages a proxy in front
of the shared server that the test cuts and restores. Scratch databases, schemas and
Redis key prefixes get random names and are removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from gatepass.users import async_database_url

REQUIRE_SERVICES = os.environ.get("GATEPASS_REQUIRE_SERVICES") == "1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), 0.2):
            return True
    except OSError:
        return False


class RedisProcess:
    """A ``redis-server`` of this test only, without persistence, that can be killed.

    Args:
        port: the port it listens on, kept across restarts.
        directory: its working folder (where it would write, were persistence on).
    """

    def __init__(self, port: int, *, directory: Path | None = None) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        """Whether ``redis-server`` is installed."""
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        """Start it and wait until it accepts connections (at most 10 s)."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--loglevel", "warning"]
        if self._directory is not None:
            command += ["--dir", str(self._directory)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def kill(self) -> None:
        """Kill it at once (SIGKILL, as a crash would), and wait until it is gone."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None


@dataclass
class TcpProxy:
    """A local TCP forwarder to a real server; ``cut()`` drops every link and refuses new ones.

    Args:
        target_port: the port of the real server on 127.0.0.1.
    """

    target_port: int
    up: bool = True
    armed: bool = False
    forward_then_cut: bool = False
    hang_up_after_hello: bool = False
    hello_chunks: int = 1
    _links: set[asyncio.StreamWriter] = field(default_factory=set)

    def cut_at_next_query(self, *, delivered: bool = False) -> None:
        """Cut everything the moment a client next sends bytes (a query in flight).

        Args:
            delivered: forward those bytes first, so the server runs the query and
                its answer is lost; else the query itself is lost.
        """
        self.armed = True
        self.forward_then_cut = delivered

    def cut(self, *, after_hello: int | None = None) -> None:
        """Drop every open connection and refuse new ones.

        Args:
            after_hello: let new connections pass this many client messages of their
                handshake (SSL request, startup packet...) and then hang up, instead of
                closing them at once: the client sees the link die mid-handshake.
        """
        self.up = False
        self.hang_up_after_hello = after_hello is not None
        self.hello_chunks = after_hello or 0
        for link in self._links:
            link.close()
        self._links.clear()

    def restore(self) -> None:
        """Forward new connections again."""
        self.up = True

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        outgoing: bool,
        hello_chunks: int | None = None,
    ) -> None:
        try:
            while data := await reader.read(65536):
                if hello_chunks is not None:
                    if hello_chunks == 0:
                        # Mid-handshake: the client's next message finds the link dead.
                        return
                    hello_chunks -= 1
                if outgoing and self.armed:
                    # The connection dies under a query in flight.
                    self.armed = False
                    if self.forward_then_cut:
                        writer.write(data)
                        await writer.drain()
                    self.cut()
                    return
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection."""
        if not self.up and not self.hang_up_after_hello:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        self._links.update({writer, upstream_writer})
        hello = self.hello_chunks if not self.up else None
        await asyncio.gather(
            self._pipe(reader, upstream_writer, outgoing=True, hello_chunks=hello),
            self._pipe(upstream_reader, writer, outgoing=False),
        )


@asynccontextmanager
async def tcp_proxy(target_port: int) -> AsyncIterator[tuple[int, TcpProxy]]:
    """Run a :class:`TcpProxy` on a free port; yields ``(port, proxy)``."""
    proxy = TcpProxy(target_port)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], proxy
    finally:
        proxy.cut()
        server.close()
        with suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


@contextmanager
def running_redis(directory: Path | None = None) -> Iterator[RedisProcess]:
    """A started :class:`RedisProcess` on a free port, killed afterwards.

    Skips the test when ``redis-server`` is not installed, fails it in CI
    (``GATEPASS_REQUIRE_SERVICES=1``).
    """
    if not RedisProcess.available():
        reason = "redis-server is not installed; the outage test starts its own"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    server = RedisProcess(free_port(), directory=directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@asynccontextmanager
async def _created(postgres_url: str, create: str, drop: str) -> AsyncIterator[None]:
    engine = create_async_engine(async_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(create))
        try:
            yield
        finally:
            async with engine.connect() as connection:
                await connection.execute(text(drop))
    finally:
        await engine.dispose()


@asynccontextmanager
async def fresh_database(postgres_url: str, prefix: str) -> AsyncIterator[str]:
    """A new PostgreSQL database ``<prefix><random>``, dropped afterwards; yields its URL."""
    name = f"{prefix}{secrets.token_hex(6)}"
    async with _created(
        postgres_url,
        f'CREATE DATABASE "{name}"',
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
    ):
        yield urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))


@asynccontextmanager
async def fresh_schema(postgres_url: str, prefix: str) -> AsyncIterator[str]:
    """A new schema ``<prefix><random>`` in the test database, dropped (only it) afterwards."""
    name = f"{prefix}{secrets.token_hex(6)}"
    async with _created(
        postgres_url, f'CREATE SCHEMA "{name}"', f'DROP SCHEMA IF EXISTS "{name}" CASCADE'
    ):
        yield name


async def delete_keys(client: Redis, pattern: str) -> None:
    """Delete every Redis key matching ``pattern`` (a test's own prefix)."""
    keys = [key async for key in client.scan_iter(match=pattern)]
    if keys:
        await client.delete(*keys)


@asynccontextmanager
async def scratch_prefix(redis_url: str, stem: str) -> AsyncIterator[str]:
    """A Redis key prefix ``<stem><random>:`` of this run only; its keys go afterwards."""
    prefix = f"{stem}{secrets.token_hex(6)}:"
    yield prefix
    client = Redis.from_url(redis_url)
    try:
        await delete_keys(client, f"*{prefix}*")
    finally:
        await client.aclose()
