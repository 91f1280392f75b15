"""A cluster of ``gatepass serve`` processes for the load tests, and a tally of answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from faults.fault_helpers import free_port
from gatepass.server.cli import GRACEFUL_SHUTDOWN_SECONDS

START_TIMEOUT = 30.0
STOP_MARGIN_SECONDS = 15  # after the graceful window: closing the stores, a slow machine
USERS = 200


def email_of(number: int) -> str:
    """The email of load user ``number``."""
    return f"user{number}@load.example"


def inherited_environment() -> dict[str, str]:
    """This process's environment without any ``GATEPASS_*`` setting of the machine."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEPASS_")}


@dataclass
class Cluster:
    """Server processes on free ports of 127.0.0.1, sharing the environment's stores.

    Args:
        environment: the ``GATEPASS_*`` variables every process gets.
        logs: a folder for each process's output (read it when one fails).
        size: how many processes.
    """

    environment: dict[str, str]
    logs: Path
    size: int = 2
    ports: list[int] = field(default_factory=list)
    _processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def bases(self) -> list[str]:
        """The base URL of each process."""
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start_all(self) -> None:
        """Start every process and wait until each answers ``/readyz``."""
        self.ports = [free_port() for _ in range(self.size)]
        for index in range(self.size):
            self._spawn(index)
        for index in range(self.size):
            self.wait_healthy(index)

    def _spawn(self, index: int) -> None:
        port = self.ports[index]
        command = [sys.executable, "-m", "gatepass.server.cli", "serve", "--port", str(port)]
        log = (self.logs / f"server-{index}.log").open("ab")
        self._processes[index] = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env={**inherited_environment(), **self.environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_healthy(self, index: int) -> None:
        """Wait until process ``index`` answers ``/readyz`` with 200.

        Raises:
            RuntimeError: it exited or did not become healthy in time.
        """
        base, process = self.bases[index], self._processes[index]
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{base} exited with {process.returncode}; see {self.logs}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{base} did not become healthy; see {self.logs}")

    def stop(self, index: int) -> None:
        """Stop process ``index`` gracefully (SIGTERM) and wait for it."""
        process = self._processes.pop(index, None)
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                # Requests in flight get GRACEFUL_SHUTDOWN_SECONDS, then the lifespan
                # closes the stores; the rest is room for a slow shared machine.
                process.wait(timeout=GRACEFUL_SHUTDOWN_SECONDS + STOP_MARGIN_SECONDS)
            except subprocess.TimeoutExpired:
                # Say where it hangs before killing it: py-spy reads its Python stacks.
                spy = str(Path(sys.executable).with_name("py-spy"))
                dump = subprocess.run(
                    [spy, "dump", "--pid", str(process.pid)],
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=30,
                )
                process.kill()
                process.wait(timeout=5)
                raise AssertionError(
                    f"server {index} did not exit within "
                    f"{GRACEFUL_SHUTDOWN_SECONDS + STOP_MARGIN_SECONDS} s of SIGTERM; "
                    f"its stacks:\n"
                    f"{dump.stdout}{dump.stderr}"
                ) from None

    def restart(self, index: int) -> None:
        """Stop process ``index`` and start a new one on the same port."""
        self.stop(index)
        self._spawn(index)
        self.wait_healthy(index)

    def stop_all(self) -> None:
        """Stop every process."""
        for index in list(self._processes):
            self.stop(index)


@dataclass
class Tally:
    """Counts of what the load saw: requests by route and status, and named events."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def record(self, route: str, response: httpx.Response) -> httpx.Response:
        """Count one answer and return it."""
        self.statuses[(route, response.status_code)] += 1
        return response

    @property
    def requests(self) -> int:
        """How many answers were counted."""
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> dict[tuple[str, int], int]:
        """Every 5xx answer, by route and status."""
        return {key: count for key, count in self.statuses.items() if key[1] >= 500}
