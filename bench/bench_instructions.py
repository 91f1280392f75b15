"""Instructions per request, counted by valgrind's callgrind: ratios without the noise.

CPU time on a shared machine moves by tens of percent between runs; the number of
instructions a server process executes for one request does not. Each cell runs one
uvicorn server (httptools, uvloop) under ``valgrind --tool=callgrind``, warms it up,
zeroes the counters (``callgrind_control -z``), sends ``REQUESTS`` keep-alive requests
over loopback and dumps the counters: the server's user-space instructions for exactly
those requests, the HTTP parser and event loop included. System calls are not counted
(the kernel is outside valgrind), so these ratios sit a little below the CPU-time
ratios of ``bench_http``, which include the kernel's share of every request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import httpx

from bench import _http_serve as serve
from bench import _http_wrk as wrk
from bench._http_impls import Implementation, implementations, requests_for
from bench._http_servers import (
    HOST,
    ROOT,
    ServerError,
    free_port,
    private_redis,
    redis_server_path,
)

WARMUP = 300
REQUESTS = 1_000
START_TIMEOUT = 180.0  # uvicorn starts in tens of seconds under valgrind
DUMP_TIMEOUT = 60.0
CELLS = (
    ("gatepass", "open"),
    ("gatepass", "jwt"),
    ("gatepass", "session"),
    ("gatepass_redis_cached", "session"),
    ("starlette", "open"),
    ("starlette", "jwt"),
)
# `gatepass serve` imports far more than the bench apps: under valgrind on a busy 2-core
# machine it did not start within START_TIMEOUT, so its cells are opt-in.
SERVE_CELLS = (("serve", "healthz"), ("serve", "jwt"), ("serve", "dashboard"))
SERVE_VARIABLE = "GATEPASS_BENCH_SERVE_INSTRUCTIONS"
LABELS = {
    ("gatepass", "open"): "gatepass unprotected `GET /open`",
    ("gatepass", "jwt"): "gatepass JWT `GET /api/me`",
    ("gatepass", "session"): "gatepass session `GET /session/me` (memory store)",
    ("gatepass_redis_cached", "session"): "gatepass session (Redis store + local cache)",
    ("starlette", "open"): "Starlette + PyJWT unprotected `GET /open`",
    ("starlette", "jwt"): "Starlette + PyJWT JWT `GET /api/me`",
    ("serve", "healthz"): "`gatepass serve` (SQLite) unprotected `GET /healthz`",
    ("serve", "jwt"): "`gatepass serve` (SQLite) JWT `GET /api/me`",
    ("serve", "dashboard"): "`gatepass serve` (SQLite) `GET /dashboard` (session, HTML)",
}
RATIOS = (
    ("gatepass JWT / gatepass unprotected", ("gatepass", "jwt"), ("gatepass", "open"), "0.85x"),
    ("gatepass JWT / Starlette + PyJWT", ("gatepass", "jwt"), ("starlette", "jwt"), "1.7x"),
    (
        "gatepass session (Redis + local cache) / gatepass unprotected",
        ("gatepass_redis_cached", "session"),
        ("gatepass", "open"),
        "0.75x",
    ),
    ("serve `/api/me` / its `/healthz`", ("serve", "jwt"), ("serve", "healthz"), "0.8x"),
    ("(context) serve `/api/me` / bench app JWT", ("serve", "jwt"), ("gatepass", "jwt"), "-"),
    (
        "(context) gatepass session (memory) / gatepass unprotected",
        ("gatepass", "session"),
        ("gatepass", "open"),
        "-",
    ),
)

Cell = tuple[str, str]


def _missing() -> str | None:
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (Debian package valgrind)"
    return None


@contextmanager
def _under_callgrind(impl: Implementation, folder: Path) -> Iterator[tuple[str, int, Path]]:
    port = free_port()
    out = folder / f"{impl.key}-{port}.callgrind"
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
        *impl.command(port),
    ]  # fmt: skip
    log = folder / f"{impl.key}-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **impl.env}, stdout=sink, stderr=sink
        )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise ServerError(f"{impl.key} exited under valgrind; see {log}")
            try:
                if httpx.get(base + impl.ready_path, timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"{impl.key} did not start under valgrind in time")
            time.sleep(1)
        yield base, process.pid, out
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _send(client: httpx.Client, request: wrk.Request, count: int) -> None:
    for _ in range(count):
        answer = client.request(
            request.method, request.path, headers=dict(request.headers), content=request.body
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{request.path}: {answer.status_code} {answer.text}")


def _summary(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError(f"no summary line in {dump}")


def _count(impl: Implementation, route: str, folder: Path) -> float:
    # User-space instructions per request in the server process.
    with _under_callgrind(impl, folder) as (base, pid, out):
        found = requests_for(base, (route,), form_login=impl.form_login, timeout=START_TIMEOUT)
        request = found[route]
        with httpx.Client(base_url=base, timeout=60) as client:
            _send(client, request, WARMUP)
            subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
            _send(client, request, REQUESTS)
            subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
        dump = Path(f"{out}.1")  # callgrind numbers each requested dump
        deadline = time.monotonic() + DUMP_TIMEOUT
        while not (dump.exists() and "summary:" in dump.read_text()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"callgrind wrote no dump for {impl.key} {route}")
            time.sleep(0.5)
        return _summary(dump) / REQUESTS


def _try_count(impl: Implementation, route: str, folder: Path) -> float | str:
    # One cell that cannot run (a server too slow to start under valgrind on a busy
    # machine) is reported as such; the other cells still count.
    try:
        return _count(impl, route, folder)
    except (ServerError, RuntimeError, httpx.HTTPError) as exc:
        return str(exc).splitlines()[0]


def run() -> str:
    """Count and return the Markdown section."""
    title = "## Instructions per request (`bench/bench_instructions.py`)"
    missing = _missing()
    if missing:
        return f"{title}\n\nNot run: {missing}."
    with tempfile.TemporaryDirectory(prefix="gatepass-bench-ir-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        redis_url = None
        if redis_server_path() is not None:
            redis_url = stack.enter_context(private_redis(core=1, log=folder / "redis"))
        impls: dict[Cell, Implementation] = {}
        for impl in implementations(redis_url, {"serve": ("serve", {})}):
            wanted = CELLS + (SERVE_CELLS if os.environ.get(SERVE_VARIABLE) == "1" else ())
            for cell in wanted:
                if cell[0] != impl.key:
                    continue
                if impl.key == "serve":  # a data folder and user of each cell's own
                    environment = serve.base_environment(folder / f"serve-{cell[1]}")
                    # No login is counted here: a cheap hash keeps the set-up quick
                    # under valgrind (argon2 at full cost takes minutes there).
                    environment["GATEPASS_ARGON2_TIME_COST"] = "1"
                    environment["GATEPASS_ARGON2_MEMORY_KIB"] = "1024"
                    serve.add_user(environment)
                    impl = replace(impl, env=environment)
                impls[cell] = impl
        cells = [cell for cell in (*CELLS, *SERVE_CELLS) if cell in impls]
        print(f"instructions: {len(cells)} servers under valgrind", file=sys.stderr, flush=True)
        with ThreadPoolExecutor(max_workers=2) as pool:  # one per core
            found = pool.map(lambda cell: _try_count(impls[cell], cell[1], folder), cells)
            counted = dict(zip(cells, found, strict=True))
    counts = {cell: value for cell, value in counted.items() if isinstance(value, float)}
    failed = {cell: value for cell, value in counted.items() if isinstance(value, str)}
    rows = ["| server, route | instructions per request |", "|---|---|"]
    rows += [f"| {LABELS[cell]} | {counts[cell]:,.0f} |" for cell in cells if cell in counts]
    rows += [f"| {LABELS[cell]} | not counted: {reason} |" for cell, reason in failed.items()]
    ratios = ["| ratio of requests per instruction | measured | target (req/s) |", "|---|---|---|"]
    for label, top, bottom, target in RATIOS:
        if top in counts and bottom in counts:
            ratio = counts[bottom] / counts[top]
            ratios.append(f"| {label} | {ratio:.2f}x | {target} |")
    intro = (
        f"Each server under `valgrind --tool=callgrind`, {WARMUP} requests of warm-up, then "
        f"{REQUESTS} keep-alive requests from one client over loopback; the server "
        "process's user-space instructions for those requests, divided by their number. "
        "The same count for the same code on any run: where CPU time is noisy, these "
        "ratios show what the code itself costs. Kernel time (the socket system calls) "
        "is not counted."
    )
    return "\n\n".join([title, intro, "\n".join(rows), "\n".join(ratios)])
