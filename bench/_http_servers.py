"""Server processes for the HTTP benchmark: pinned to a core, waited for, stopped by pid.

Also a private ``redis-server`` on a free port (no persistence), so no benchmark ever
writes to, fills or flushes the Redis other programs on this machine use.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # every benchmark talks to this machine only
START_TIMEOUT = 30.0
_TICKS = os.sysconf("SC_CLK_TCK")


class ServerError(RuntimeError):
    """A server process did not start or answer."""


@dataclass(frozen=True, slots=True)
class Server:
    """A running server process.

    Attributes:
        url: ``http://127.0.0.1:PORT``.
        pid: its process id (``taskset`` execs the program, so this is the server).
    """

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far, all threads, user + system.

        Returns:
            Seconds.
        """
        # /proc/<pid>/stat fields 14 and 15 (utime, stime) in clock ticks; the command
        # name (field 2) may hold spaces, so count from the closing parenthesis.
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS


def free_port() -> int:
    """A TCP port nothing listens on right now.

    Returns:
        The port number.
    """
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerError(f"no answer on port {port} after {START_TIMEOUT:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def pinned_process(
    command: Sequence[str],
    *,
    port: int,
    core: int,
    log: Path,
    env: Mapping[str, str] | None = None,
    ready_path: str | None = None,
) -> Iterator[Server]:
    """Start ``command`` on one core, wait until it listens, stop it afterwards.

    Args:
        command: the program and its arguments.
        port: the port it listens on.
        core: the CPU it is pinned to (``taskset -c``).
        log: where its output goes.
        env: extra environment variables.
        ready_path: a path that must answer 200 before the server counts as up.

    Yields:
        The server: its URL and pid.

    Raises:
        ServerError: it exited or did not answer in time.
    """
    full_env = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["taskset", "-c", str(core), *command],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        base = f"http://{HOST}:{port}"
        if ready_path is not None:
            deadline = time.monotonic() + START_TIMEOUT
            while httpx.get(base + ready_path, timeout=5).status_code != 200:
                if time.monotonic() > deadline:
                    raise ServerError(f"{base}{ready_path} does not answer 200")
                time.sleep(0.1)
        yield Server(base, process.pid)
    finally:
        _stop(process)


def uvicorn_command(factory: str, port: int) -> list[str]:
    """One uvicorn worker serving an app factory, access log off.

    Args:
        factory: ``module:function`` returning the ASGI app.
        port: the port.

    Returns:
        The command.
    """
    return [
        sys.executable, "-m", "uvicorn", "--factory", factory, "--host", HOST,
        "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def redis_server_path() -> str | None:
    """Where ``redis-server`` is, if installed.

    Returns:
        The path, or ``None``.
    """
    return shutil.which("redis-server")


@contextmanager
def private_redis(*, core: int, log: Path) -> Iterator[str]:
    """A throwaway ``redis-server`` on a free port: no RDB, no AOF, killed afterwards.

    Args:
        core: the CPU to pin it to.
        log: where its output goes.

    Yields:
        Its URL, ``redis://127.0.0.1:PORT/0``.

    Raises:
        ServerError: redis-server is missing or did not start.
    """
    binary = redis_server_path()
    if binary is None:
        raise ServerError("redis-server is not installed")
    port = free_port()
    command = [
        binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
        "--protected-mode", "yes", "--dir", str(log.parent),
    ]  # fmt: skip
    with pinned_process(command, port=port, core=core, log=log):
        yield f"redis://{HOST}:{port}/0"
