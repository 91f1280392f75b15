"""The HTTP layer of a real ``gatepass serve``, attacked over real sockets.

Each finding lives below the app, in the protocol that parses the bytes, so these
tests run the server as a subprocess on both HTTP implementations it can use
(httptools, the default, and h11) and talk to it with raw sockets: an endless header
(CWE-407/770), too many header fields, a connection that never finishes its head
(slowloris, CWE-400), and more connections than one address may hold.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from gatepass.server.http_limits import HttpLimits
from gatepass.server.settings import Settings
from server.server_helpers import free_port

STARTUP_SECONDS = 30.0
# Bounds for waiting on the server, never the measure of a test.
ANSWER_SECONDS = 15.0
HEADER_LIMIT = 8 * 1024
FIELD_LIMIT = 20
PER_ADDRESS = 4
IN_ALL = 4

pytestmark = pytest.mark.timeout(120)


def _start(tmp_path: Path, settings: dict[str, str]) -> Iterator[str]:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GATEPASS_")}
    environment.update({"GATEPASS_DATA_DIR": str(tmp_path / "data"), **settings})
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "gatepass.server.cli", "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, f"gatepass serve exited: {log.read_text()}"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "gatepass serve did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in log.read_text()


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``gatepass serve`` with small head limits and one-second timeouts."""
    settings = {
        "GATEPASS_HTTP": request.param,
        "GATEPASS_MAX_HEADER_BYTES": str(HEADER_LIMIT),
        "GATEPASS_MAX_HEADER_COUNT": str(FIELD_LIMIT),
        "GATEPASS_HEADER_TIMEOUT": "1s",
        "GATEPASS_KEEP_ALIVE_TIMEOUT": "1s",
    }
    yield from _start(tmp_path_factory.mktemp(request.param), settings)


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``gatepass serve`` allowing few connections per address, and slow heads."""
    settings = {
        "GATEPASS_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
        "GATEPASS_HEADER_TIMEOUT": "5m",
    }
    yield from _start(tmp_path_factory.mktemp("capped"), settings)


@pytest.fixture(scope="module")
def full_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``gatepass serve`` allowing few connections in all, and slow heads."""
    settings = {
        "GATEPASS_MAX_CONNECTIONS": str(IN_ALL),
        "GATEPASS_MAX_CONNECTIONS_PER_ADDRESS": "0",
        "GATEPASS_HEADER_TIMEOUT": "5m",
    }
    yield from _start(tmp_path_factory.mktemp("full"), settings)


def _connect(base: str, source: str = "127.0.0.1") -> socket.socket:
    port = int(base.rsplit(":", 1)[1])
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=ANSWER_SECONDS, source_address=(source, 0)
    )
    sock.settimeout(ANSWER_SECONDS)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def _healthz(base: str, source: str = "127.0.0.1") -> int:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=ANSWER_SECONDS) as client:
        return client.get(f"{base}/healthz").status_code


HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def test_a_header_past_the_limit_is_refused_with_431(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(HEAD + b"X-Big: " + b"a" * (HEADER_LIMIT + 1024) + b"\r\n\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"error":"headers_too_large"' in answer


def test_an_endless_header_does_not_stop_other_requests(server: str) -> None:
    refused = threading.Event()

    def attack() -> None:
        with _connect(server) as sock:
            sock.sendall(HEAD + b"X-Big: ")
            try:
                for _ in range(100):  # 100 MB, unless the server hangs up first
                    sock.sendall(b"a" * 1024 * 1024)
            except OSError:
                refused.set()

    attacker = threading.Thread(target=attack)
    attacker.start()
    try:
        assert _healthz(server) == 200
    finally:
        attacker.join(timeout=60)
    assert refused.is_set(), "the server read a 100 MB header to its end"


def test_too_many_header_fields_are_refused_with_431(server: str) -> None:
    fields = b"".join(b"X-F%d: 1\r\n" % number for number in range(FIELD_LIMIT + 5))
    with _connect(server) as sock:
        sock.sendall(HEAD + fields + b"\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_a_request_with_headers_within_the_limits_is_served(server: str) -> None:
    fields = b"".join(b"X-F%d: 1\r\n" % number for number in range(FIELD_LIMIT - 5))
    with _connect(server) as sock:
        sock.sendall(HEAD + fields + b"Connection: close\r\n\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_connection_that_sends_nothing_is_closed(server: str) -> None:
    with _connect(server) as sock:
        assert _answer(sock) == b""


def test_a_head_that_never_ends_gets_408_and_is_closed(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(HEAD + b"X-Slow: ")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_head_trickled_byte_by_byte_is_closed_at_its_deadline(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(HEAD)
        closed = False
        for _ in range(200):  # one byte per 50 ms would take 10 s; the deadline is 1 s
            try:
                sock.sendall(b"a")
            except OSError:
                closed = True
                break
            time.sleep(0.05)
        if not closed:
            closed = _answer(sock).startswith(b"HTTP/1.1 408 ")
    assert closed


def test_an_idle_keep_alive_connection_is_closed(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(HEAD + b"\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_connections_past_the_per_address_cap_get_503_and_others_are_served(
    capped_server: str,
) -> None:
    with ExitStack() as stack:
        held = [stack.enter_context(_connect(capped_server)) for _ in range(PER_ADDRESS)]
        for sock in held:
            sock.sendall(b"G")  # a head begun, never finished
        # Accepted in the order they were made, so this one is past the cap.
        with _connect(capped_server) as extra:
            answer = _answer(extra)
        assert answer.startswith(b"HTTP/1.1 503 ")
        # Another address (all of 127.0.0.0/8 is loopback) is still served.
        assert _healthz(capped_server, source="127.0.0.2") == 200


def test_connections_past_the_process_cap_get_503_and_give_their_slot_back(
    full_server: str,
) -> None:
    with ExitStack() as stack:
        for number in range(IN_ALL):
            held = stack.enter_context(_connect(full_server, source=f"127.0.0.{number + 10}"))
            held.sendall(b"G")
        with _connect(full_server, source="127.0.0.99") as extra:
            assert _answer(extra).startswith(b"HTTP/1.1 503 ")
    # Once the held connections are closed, their slots serve others again.
    for _ in range(50):
        try:
            if _healthz(full_server) == 200:
                return
        except httpx.RemoteProtocolError:
            pass
        time.sleep(0.1)
    pytest.fail("the slots of closed connections never came back")


def test_the_per_address_cap_is_off_behind_a_trusted_proxy(tmp_path: Path) -> None:
    direct = Settings(data_dir=tmp_path, max_connections_per_address=7)
    proxied = direct.model_copy(update={"forwarded_allow_ips": "10.0.0.1"})

    assert HttpLimits.from_settings(direct).max_connections_per_address == 7
    assert HttpLimits.from_settings(proxied).max_connections_per_address == 0
