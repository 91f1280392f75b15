"""Fixtures for the browser tests: a real uvicorn server and Debian's headless Chromium.

The tests skip with the reason when Chromium or Playwright is missing, and fail
instead when ``GATEPASS_REQUIRE_SERVICES=1`` (CI), where
``scripts/install-chromium.sh`` must have installed it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from gatepass.server.app import create_app
from gatepass.server.settings import Settings
from server.server_helpers import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("GATEPASS_CHROMIUM", "/usr/bin/chromium"))
# Debian's Chromium, headless, with nothing that phones home (the machine is offline).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("GATEPASS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (GATEPASS_REQUIRE_SERVICES=1 makes it mandatory)")
    pytest.skip(reason)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """The server under uvicorn in a thread, on 127.0.0.1 and a free port, fresh data."""
    settings = Settings(data_dir=tmp_path / "data", argon2_time_cost=1, argon2_memory_kib=1024)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# Module scope: Playwright's sync API runs its own event loop in this thread, which must
# be gone before the next module's asyncio tests start.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system, never a downloaded build."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}; run scripts/install-chromium.sh")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed; pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (its own cookies) with a laptop-sized window."""
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
