"""X-Forwarded-For counts only from a configured proxy (per-address limits, logs)."""

from __future__ import annotations

from pathlib import Path

import httpx
import uvicorn

from gatepass.server.app import create_app
from gatepass.server.cli import proxy_options
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import PASSWORD, EventLog, fast_hasher, login

PROXY = "10.0.0.7"


async def _failed_login_address(settings: Settings) -> str:
    log = EventLog()
    app = create_app(settings, hasher=fast_hasher(), security=SecurityLog(log.logger))
    # uvicorn wraps the app as ``gatepass serve`` configures it.
    config = uvicorn.Config(app, log_config=None, **proxy_options(settings))
    config.load()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=config.loaded_app, client=(PROXY, 40000))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://127.0.0.1:8000",
            headers={"x-forwarded-for": "203.0.113.9"},
        ) as http:
            await login(http, "nobody@example.com", PASSWORD)
    (event,) = log.named("login.failure")
    address: str = event["address"]
    return address


async def test_forwarded_for_is_ignored_by_default(tmp_path: Path) -> None:
    assert await _failed_login_address(Settings(data_dir=tmp_path)) == PROXY


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, forwarded_allow_ips="192.0.2.1")
    assert await _failed_login_address(settings) == PROXY


async def test_forwarded_for_is_honoured_from_a_configured_proxy(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, forwarded_allow_ips=f"{PROXY},192.0.2.1")
    assert await _failed_login_address(settings) == "203.0.113.9"
