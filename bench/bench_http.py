"""HTTP throughput and latency: gatepass's routes against hand-written peers and Express.

Each server runs as one process pinned to CPU 0 (``taskset -c 0``; uvicorn with one
worker, or node); ``wrk`` runs on CPU 1 with one thread and a fixed number of
connections, and the private Redis of the Redis session store runs there too. Every
(implementation, route) cell gets a warm-up, then the repeats are interleaved (repeat
1 of every cell, then repeat 2, ...), so a busy moment on the machine hits every cell
alike; tables show medians, and ratios are medians of per-repeat ratios.

The login row is argon2id by design; gatepass's own share of it is measured in this
process by ``bench/_http_login.py`` (thread CPU time inside argon2 set apart).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import _http_serve as serve
from bench import _http_wrk as wrk
from bench._http_impls import Implementation, implementations, requests_for
from bench._http_login import LoginCost, login_cost
from bench._http_servers import (
    Server,
    free_port,
    pinned_process,
    private_redis,
    redis_server_path,
)

SERVER_CORE = 0
LOAD_CORE = 1
CONNECTIONS = 10
WARMUP_SECONDS = 2
RUN_SECONDS = int(os.environ.get("GATEPASS_BENCH_HTTP_SECONDS", "3"))
# Three repeats since `gatepass serve` joined (27 cells): the run stays near 5 minutes.
REPEATS = 3
HERE = Path(__file__).parent
ROUTE_LABELS = {
    "open": "unprotected `GET /open`",
    "jwt": "JWT `GET /api/me`",
    "session": "session `GET /session/me`",
    "login": "login `POST /auth/token`",
    "healthz": "unprotected `GET /healthz`",
    "dashboard": "dashboard `GET /dashboard` (session cookie, HTML page)",
}
SERVE = {
    "serve": "`gatepass serve` (SQLite, the default)",
    "serve_pg": "`gatepass serve` (PostgreSQL + Redis)",
}

Cell = tuple[str, str]  # (implementation key, route)
# Compared cells run next to each other in every repeat (each target's two cells at
# most two apart), so a slow moment on the machine hits both; logins (argon2) last.
ORDER = (
    ("express", "jwt"), ("serve", "jwt"), ("serve", "healthz"), ("serve_pg", "jwt"),
    ("express", "dashboard"), ("serve", "dashboard"), ("serve_pg", "dashboard"),
    ("serve_pg", "healthz"),
    ("starlette", "jwt"), ("gatepass", "jwt"), ("gatepass", "open"),
    ("gatepass_redis_cached", "session"), ("gatepass_redis", "session"),
    ("gatepass", "session"), ("fastapi", "jwt"),
    ("starlette", "open"), ("fastapi", "open"), ("express", "open"),
    ("starlette", "session"), ("fastapi", "session"), ("express", "session"),
    ("gatepass", "login"), ("starlette", "login"), ("fastapi", "login"), ("express", "login"),
    ("serve", "login"), ("serve_pg", "login"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Run:
    """One timed run of one cell.

    Attributes:
        rps: requests per second, wall clock.
        p50_ms: median latency.
        p99_ms: 99th-percentile latency.
        cpu_us: server CPU time per request (all its threads, user + system).
    """

    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float

    @property
    def core_rps(self) -> float:
        """Requests per second one whole core would serve at this CPU cost."""
        return 1e6 / self.cpu_us


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ensure_tools() -> None:
    express = HERE / "peers" / "express" / "node_modules"
    if wrk.wrk_path() is None or not express.is_dir():
        _log("http: installing tools (bench/install-tools.sh)")
        subprocess.run(["bash", str(HERE / "install-tools.sh")], check=False)


def _measure(
    servers: dict[str, Server], requests: dict[Cell, wrk.Request], folder: Path
) -> dict[Cell, list[Run]]:
    cells = [cell for cell in ORDER if cell in requests]
    cells += [cell for cell in requests if cell not in cells]
    results: dict[Cell, list[Run]] = {cell: [] for cell in cells}

    def once(cell: Cell, seconds: int) -> Run:
        server = servers[cell[0]]
        before = server.cpu_seconds()
        result = wrk.run(
            server.url,
            requests[cell],
            seconds=seconds,
            connections=CONNECTIONS,
            core=LOAD_CORE,
            folder=folder,
        )
        cpu = server.cpu_seconds() - before
        return Run(result.rps, result.p50_ms, result.p99_ms, cpu / result.requests * 1e6)

    for cell in cells:
        once(cell, WARMUP_SECONDS)
    for repeat in range(REPEATS):
        _log(f"http: repeat {repeat + 1}/{REPEATS}")
        for cell in cells:
            results[cell].append(once(cell, RUN_SECONDS))
    return results


def _ratio(
    results: dict[Cell, list[Run]], top: Cell, bottom: Cell, *, wall: bool = False
) -> float | None:
    if top not in results or bottom not in results:
        return None
    pairs = zip(results[top], results[bottom], strict=True)
    if wall:
        return statistics.median(a.rps / b.rps for a, b in pairs)
    return statistics.median(b.cpu_us / a.cpu_us for a, b in pairs)


def _login_share(results: dict[Cell, list[Run]], cost: LoginCost) -> float | None:
    login = results.get(("gatepass", "login"))
    if login is None:
        return None
    return cost.own_us / statistics.median(run.cpu_us for run in login)


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _results_table(impls: list[Implementation], results: dict[Cell, list[Run]]) -> str:
    rows = []
    for impl in impls:
        for route in impl.routes:
            runs = results.get((impl.key, route))
            if not runs:
                continue
            label = ROUTE_LABELS[route]
            if route == "session":
                label += f" ({impl.session_note})"
            cpu = statistics.median(r.cpu_us for r in runs)
            rows.append(
                (
                    impl.label,
                    label,
                    f"{statistics.median(r.rps for r in runs):,.0f}",
                    f"{cpu:,.0f}",
                    f"{1e6 / cpu:,.0f}",
                    f"{statistics.median(r.p50_ms for r in runs):.2f}",
                    f"{statistics.median(r.p99_ms for r in runs):.2f}",
                )
            )
    header = (
        "implementation",
        "route",
        "req/s (wall)",
        "server CPU µs/req",
        "req/s per core",
        "p50 ms",
        "p99 ms",
    )
    return _table(rows, header)


def _targets(results: dict[Cell, list[Run]], cost: LoginCost) -> str:
    rows: list[tuple[str, ...]] = []

    def add(name: str, top: Cell, bottom: Cell, target: float | None) -> None:
        value = _ratio(results, top, bottom)
        wall = _ratio(results, top, bottom, wall=True)
        if value is None or wall is None:
            rows.append((name, "not measured", "-", "-", "-"))
            return
        goal, met = "-", "-"
        if target is not None:
            goal, met = f"≥ {target:g}x", "met" if value >= target else "MISSED"
        rows.append((name, f"{value:.2f}x", f"{wall:.2f}x", goal, met))

    jwt, bare = ("gatepass", "jwt"), ("gatepass", "open")
    add("gatepass JWT / gatepass unprotected", jwt, bare, 0.85)
    add("gatepass JWT / Starlette + PyJWT", jwt, ("starlette", "jwt"), 1.7)
    add("gatepass JWT / Express + passport-jwt", jwt, ("express", "jwt"), 3)
    serve_me, pg_me = ("serve", "jwt"), ("serve_pg", "jwt")
    add("serve `/api/me` (SQLite) / Express + passport-jwt", serve_me, ("express", "jwt"), 3)
    add("serve `/api/me` (SQLite) / its `/healthz`", serve_me, ("serve", "healthz"), 0.8)
    add("serve `/api/me` (PostgreSQL + Redis) / Express", pg_me, ("express", "jwt"), 2.5)
    page = ("express", "dashboard")
    add("serve `/dashboard` (SQLite) / Express + express-session", ("serve", "dashboard"), page, 2)
    add(
        "serve `/dashboard` (PostgreSQL + Redis) / Express + express-session",
        ("serve_pg", "dashboard"),
        page,
        2,
    )
    add("(context) serve `/api/me` (PostgreSQL + Redis) / its `/healthz`", pg_me,
        ("serve_pg", "healthz"), None)  # fmt: skip
    add("(context) serve `/healthz` / library bench app `/open`", ("serve", "healthz"), bare,
        None)  # fmt: skip
    add("(context) serve login / library bench app login", ("serve", "login"),
        ("gatepass", "login"), None)  # fmt: skip
    add(
        "gatepass session (Redis + local cache) / gatepass unprotected",
        ("gatepass_redis_cached", "session"),
        bare,
        0.75,
    )
    share = _login_share(results, cost)
    if share is None:
        rows.append(("gatepass's own share of a login", "not measured", "-", "-", "-"))
    else:
        met = "met" if share < 0.05 else "MISSED"
        rows.append(("gatepass's own share of a login", f"{share:.1%}", "-", "< 5%", met))
    add("(context) gatepass JWT / FastAPI + PyJWT", jwt, ("fastapi", "jwt"), None)
    add(
        "(context) gatepass session (Redis read on every request) / gatepass unprotected",
        ("gatepass_redis", "session"),
        bare,
        None,
    )
    add(
        "(context) gatepass session (memory) / gatepass unprotected",
        ("gatepass", "session"),
        bare,
        None,
    )
    add(
        "(context) Starlette + PyJWT JWT / its unprotected",
        ("starlette", "jwt"),
        ("starlette", "open"),
        None,
    )
    add("(context) gatepass unprotected / Starlette unprotected", bare, ("starlette", "open"), None)
    add(
        "(context) gatepass login / Starlette + PyJWT login",
        ("gatepass", "login"),
        ("starlette", "login"),
        None,
    )
    return _table(rows, ("ratio of req/s", "per core (CPU)", "wall clock", "target", "met"))


def _versions() -> str:
    parts = []
    for name in ("uvicorn", "starlette", "fastapi", "pyjwt"):
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    parts[0] += f" ({http}, {loop})"
    for command, label in ((["node", "--version"], "node"), (["wrk", "--version"], "wrk")):
        try:
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            first = (out.stdout or out.stderr).split()
            parts.append(f"{label} {first[1] if label == 'wrk' else first[0]}")
        except (OSError, IndexError):
            continue
    return ", ".join(parts)


def _start(
    stack: ExitStack, impls: list[Implementation], folder: Path
) -> tuple[dict[str, Server], dict[Cell, wrk.Request]]:
    servers: dict[str, Server] = {}
    requests: dict[Cell, wrk.Request] = {}
    for impl in impls:
        port = free_port()
        server = stack.enter_context(
            pinned_process(
                impl.command(port),
                port=port,
                core=SERVER_CORE,
                log=folder / f"{impl.key}.log",
                env=impl.env,
                ready_path=impl.ready_path,
            )
        )
        servers[impl.key] = server
        found = requests_for(server.url, impl.routes, form_login=impl.form_login)
        for route, request in found.items():
            requests[(impl.key, route)] = request
    return servers, requests


def _serve_set_ups(
    stack: ExitStack, folder: Path, redis_url: str | None, skipped: list[str]
) -> dict[str, tuple[str, dict[str, str]]]:
    set_ups: dict[str, tuple[str, dict[str, str]]] = {}
    environment = serve.base_environment(folder / "serve-sqlite")
    serve.add_user(environment)
    set_ups["serve"] = (SERVE["serve"], environment)
    database = stack.enter_context(serve.scratch_database(serve.postgres_url()))
    if database is None or redis_url is None:
        skipped.append(f"{SERVE['serve_pg']}: no PostgreSQL at {serve.POSTGRES_VARIABLE} or Redis")
        return set_ups
    environment = {
        **serve.base_environment(folder / "serve-pg"),
        "GATEPASS_DATABASE_URL": database,
        "GATEPASS_REDIS_URL": redis_url,
    }
    serve.add_user(environment)
    set_ups["serve_pg"] = (SERVE["serve_pg"], environment)
    return set_ups


def _intro() -> str:
    return (
        f"One server process pinned to CPU {SERVER_CORE}; `wrk -t1 -c{CONNECTIONS} "
        f"--latency` and the private Redis pinned to CPU {LOAD_CORE}. Per cell a "
        f"{WARMUP_SECONDS} s warm-up, then {REPEATS} interleaved runs of {RUN_SECONDS} s; "
        "tables show medians. *server CPU µs/req* is the CPU time the server process "
        "(all threads) spent per request, read from `/proc/<pid>/stat` around each run; "
        "*req/s per core* is 1e6 / that, the throughput of a core it had to itself. "
        "Ratios are medians of per-repeat ratios and use the CPU figure, which other "
        "programs on a shared machine do not skew; the wall-clock ratio is shown "
        "beside. Every implementation has the same user (in process memory), HS256 "
        "secret, audience and issuer checks, and argon2id costs (m=19456 KiB, t=2, "
        "p=1); `gatepass serve` keeps its user in its database (SQLite file, or "
        "PostgreSQL), runs with its access log on and its stores as configured "
        f"(`bench/_http_serve.py`). Versions: {_versions()}."
    )


def run() -> str:
    """Measure and return the Markdown section."""
    _ensure_tools()
    title = "## HTTP (`bench/bench_http.py`)"
    if wrk.wrk_path() is None:
        return f"{title}\n\nNot run: `wrk` is not installed (bench/install-tools.sh)."
    with tempfile.TemporaryDirectory(prefix="gatepass-bench-http-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        redis_url = None
        if redis_server_path() is not None:
            redis_url = stack.enter_context(private_redis(core=LOAD_CORE, log=folder / "redis"))
        skipped: list[str] = []
        serve = _serve_set_ups(stack, folder, redis_url, skipped)
        impls: list[Implementation] = []
        for impl in implementations(redis_url, serve):
            reason = impl.missing()
            if reason:
                skipped.append(f"{impl.label}: {reason}")
            else:
                impls.append(impl)
        servers, requests = _start(stack, impls, folder)
        seconds = len(requests) * (WARMUP_SECONDS + REPEATS * RUN_SECONDS)
        _log(f"http: {len(requests)} cells, about {seconds} s")
        results = _measure(servers, requests, folder)
    cost = login_cost(SERVER_CORE)
    parts = [
        title,
        _intro(),
        _results_table(impls, results),
        "gatepass's own share of a login: the gatepass app run in the bench process "
        f"({CONNECTIONS} logins at once, pinned to CPU {SERVER_CORE}) spent "
        f"{cost.total_us:,.0f} µs of CPU per login, {cost.argon2_us:,.0f} µs of it inside "
        f"argon2 verify (thread CPU time), and {cost.open_us:.0f} µs per unprotected "
        f"request; the {cost.own_us:,.0f} µs left is gatepass's login code, divided by the "
        "server's CPU per login above (`bench/_http_login.py`).",
        "### Targets",
        _targets(results, cost),
    ]
    if redis_url is None:
        skipped.append("gatepass with the Redis session store: redis-server is not installed")
    if skipped:
        parts.append("Not measured: " + "; ".join(skipped) + ".")
    return "\n\n".join(parts)


if __name__ == "__main__":
    print(run())
