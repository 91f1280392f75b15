"""Drive ``wrk``: a Lua script per request shape, one pinned run, its numbers parsed.

``wrk --latency`` prints a latency distribution (HdrHistogram) and ``Requests/sec``;
non-2xx answers and socket errors are counted too, and a run with any of them is
refused, so a misconfigured route cannot pass for a fast one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


class WrkError(RuntimeError):
    """wrk is missing, failed, or the route answered errors."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request shape: method, path, headers, body."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: str = ""

    def lua(self) -> str:
        """The wrk script that sends this request on every connection.

        Returns:
            Lua source.
        """
        lines = [f"wrk.method = {_lua_string(self.method)}"]
        if self.body:
            lines.append(f"wrk.body = {_lua_string(self.body)}")
        for name, value in self.headers.items():
            lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Result:
    """One wrk run.

    Attributes:
        rps: requests per second.
        p50_ms: median latency in milliseconds.
        p99_ms: 99th-percentile latency in milliseconds.
        requests: requests completed.
    """

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int


def _lua_string(text: str) -> str:
    if "]==]" in text:
        raise ValueError("text cannot be quoted as a Lua long string")
    return f"[==[{text}]==]"


def wrk_path() -> str | None:
    """Where ``wrk`` is, if installed.

    Returns:
        The path, or ``None``.
    """
    return shutil.which("wrk")


def parse(output: str) -> Result:
    """Read requests/s and the 50th/99th percentiles out of ``wrk --latency`` output.

    Args:
        output: wrk's standard output.

    Returns:
        The numbers.

    Raises:
        WrkError: the output lacks them, or reports non-2xx answers or socket errors.
    """
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    percentiles = {p: float(v) * _UNITS[u] for p, v, u in _PERCENTILE.findall(output)}
    if rps is None or total is None or set(percentiles) != {"50", "99"}:
        raise WrkError(f"cannot read wrk output:\n{output}")
    bad = _NON_2XX.search(output)
    if bad is not None and int(bad.group(1)):
        raise WrkError(f"{bad.group(1)} non-2xx answers:\n{output}")
    socket = _SOCKET.search(output)
    if socket is not None and any(int(n) for n in socket.groups()):
        raise WrkError(f"socket errors:\n{output}")
    return Result(
        rps=float(rps.group(1)),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        requests=int(total.group(1)),
    )


def run(
    base_url: str,
    request: Request,
    *,
    seconds: int,
    connections: int,
    core: int,
    folder: Path,
) -> Result:
    """Run wrk once, pinned to one core, with one thread.

    Args:
        base_url: ``http://127.0.0.1:PORT``.
        request: what to send.
        seconds: how long to run (wrk takes whole seconds).
        connections: open connections (requests in flight).
        core: the CPU wrk runs on.
        folder: where the Lua script is written.

    Returns:
        The run's numbers.

    Raises:
        WrkError: wrk is missing, failed, or saw errors.
    """
    binary = wrk_path()
    if binary is None:
        raise WrkError("wrk is not installed; run bench/install-tools.sh")
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".lua", delete=False) as file:
        file.write(request.lua())
    script = file.name
    command = [
        "taskset", "-c", str(core), binary, "-t1", f"-c{connections}",
        f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", script,
        base_url + request.path,
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if done.returncode != 0:
        raise WrkError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    return parse(done.stdout)
