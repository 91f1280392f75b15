"""The ``gatepass`` command: serve, users, keys, token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from pydantic import ValidationError

from gatepass.errors import GatepassError
from gatepass.server.audit_commands import add_audit_commands
from gatepass.server.commands import Command, add_admin_commands, opened
from gatepass.server.logging import SECURITY_LOGGER
from gatepass.server.settings import SETTINGS_FILE_VARIABLE, Settings

# After SIGTERM, requests in flight get this long before their connections are closed,
# so a stuck client cannot keep a stopping server alive (orchestrators kill at 30 s).
GRACEFUL_SHUTDOWN_SECONDS = 10

Handler = Callable[[argparse.Namespace, TextIO], int]


def load_settings() -> Settings:
    """Read the settings, or exit with one clear line per bad value.

    Returns:
        The validated settings.

    Raises:
        SystemExit: a value is not valid (the message names each one).
    """
    try:
        return Settings()
    except ValidationError as exc:
        lines = ["gatepass: the configuration is not valid:"]
        for error in exc.errors():
            location = "_".join(str(part) for part in error["loc"]).upper()
            name = f"GATEPASS_{location}" if location else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"  {name}: {message}")
        raise SystemExit("\n".join(lines)) from None
    except (OSError, ValueError) as exc:
        # An unreadable or malformed settings file.
        raise SystemExit(f"gatepass: cannot read {SETTINGS_FILE_VARIABLE}: {exc}") from None


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options: forwarded headers only from the configured proxies.

    Args:
        settings: the validated settings.

    Returns:
        ``proxy_headers`` and, when ``GATEPASS_FORWARDED_ALLOW_IPS`` is set,
        ``forwarded_allow_ips``.
    """
    # Client addresses (for rate limits and logs) are the peer's; a proxy in front
    # must be trusted explicitly, never by default (CWE-348).
    if not settings.forwarded_allow_ips.strip():
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from gatepass.server.http_limits import HttpLimits, LimitedConfig, bounded_protocol
    from gatepass.server.logging import uvicorn_log_config

    settings = load_settings()
    if args.workers > 1 and not settings.redis_url:
        # Without Redis the rate-limit counters live in each process: N workers would
        # allow N times every limit (OWASP ASVS 2.2.1, CWE-307).
        raise SystemExit(
            f"gatepass: --workers {args.workers} needs GATEPASS_REDIS_URL: without Redis "
            "each worker keeps its own rate-limit counters, so every limit would be "
            f"{args.workers} times higher. Run one worker, or set GATEPASS_REDIS_URL."
        )
    host = args.host or settings.host
    port = args.port or settings.port
    config = LimitedConfig(
        "gatepass.server.app:create_app",
        limits=HttpLimits.from_settings(settings),
        http=bounded_protocol(settings.http),
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level=args.log_level,
        log_config=uvicorn_log_config(args.log_level),
        access_log=False,  # gatepass's own AccessLog writes it (server/logging.py)
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        # uvicorn takes whole seconds here; the header deadline is ours (http_limits).
        timeout_keep_alive=max(1, math.ceil(settings.keep_alive_timeout.total_seconds())),
        backlog=settings.backlog,
        **proxy_options(settings),
    )
    server = uvicorn.Server(config)
    # What uvicorn.run does, with a Config that carries the HTTP limits to each worker.
    if args.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()
    if not server.started and args.workers == 1:
        raise SystemExit(3)  # uvicorn's STARTUP_FAILURE
    return 0


def _log_security_events_to_stderr() -> None:
    # Rotations, account changes and issued tokens are audited like the server's events.
    logger = logging.getLogger(SECURITY_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _run(command: Command) -> Handler:
    def handler(args: argparse.Namespace, out: TextIO) -> int:
        settings = load_settings()
        _log_security_events_to_stderr()

        async def main() -> int:
            async with opened(settings) as state:
                return await command(state, args, out)

        try:
            return asyncio.run(main())
        except GatepassError as exc:
            out.write(f"gatepass: {exc.message}\n")
            return 1

    return handler


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command.

    Returns:
        The parser.
    """
    parser = argparse.ArgumentParser(
        prog="gatepass",
        description="gatepass reference auth server and its administration. "
        "Settings come from GATEPASS_* variables or the TOML file GATEPASS_SETTINGS_FILE.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run the reference auth server", description="Run the auth server."
    )
    serve.add_argument("--host", help="address to bind (default GATEPASS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default GATEPASS_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    serve.set_defaults(handler=_serve)
    add_admin_commands(commands, _run)
    add_audit_commands(commands, _run)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point of the ``gatepass`` console script.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        out: where command output goes (default stdout).

    Returns:
        The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args, out or sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
