"""``gatepass serve --workers N``: starts cleanly, and only with shared rate limits."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gatepass.server.cli import main
from server.server_helpers import free_port
from service_helpers import scratch_prefix

STARTUP_SECONDS = 30.0


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A Redis key prefix of this run only; its keys are deleted afterwards."""
    async with scratch_prefix(redis_url, "gpworkers") as prefix:
        yield prefix


def test_several_workers_without_redis_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEPASS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GATEPASS_REDIS_URL", raising=False)
    with pytest.raises(SystemExit, match="--workers 2 needs GATEPASS_REDIS_URL"):
        main(["serve", "--workers", "2", "--port", str(free_port())], out=io.StringIO())


def _healthz(base: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "gatepass serve exited during startup"
        try:
            return httpx.get(f"{base}/healthz", timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("gatepass serve did not answer /healthz in time")


@pytest.mark.redis
@pytest.mark.timeout(60)
def test_two_workers_start_on_a_fresh_data_folder(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "GATEPASS_DATA_DIR": str(tmp_path / "fresh"),
        "GATEPASS_REDIS_URL": redis_url,
        "GATEPASS_REDIS_PREFIX": redis_prefix,
    }
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "gatepass.server.cli", "serve", "--workers", "2"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            answer = _healthz(f"http://127.0.0.1:{port}", process)
            # Both workers have finished starting (or failed) by now.
            time.sleep(1.0)
            assert answer.status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=20)
    text = log.read_text()
    assert "already exists" not in text
    assert "Traceback" not in text
