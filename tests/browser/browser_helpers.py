"""Helpers for the browser tests."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from gatepass.server.app import create_app
from gatepass.server.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot of the page as a test artefact (``tests/artifacts/NAME.png``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def serve(settings: Settings, port: int) -> Iterator[str]:
    """Run the server under uvicorn in a thread on 127.0.0.1:``port``; yield its origin."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


AXE = Path(__file__).resolve().parents[1] / "oidc" / "node_modules" / "axe-core" / "axe.min.js"
_AXE_RUN = """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))
    .violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}))"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2 A/AA violations axe-core finds on the page (``[]`` when none)."""
    if not AXE.is_file():
        reason = "axe-core is not installed; run bash tests/oidc/install.sh"
        if os.environ.get("GATEPASS_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    # evaluate() runs in the page through DevTools, not as a <script> the CSP would block.
    page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(_AXE_RUN)
    return found
