"""A real OpenID provider process (``tests/oidc/provider.mjs``) on 127.0.0.1 for the tests.

Skips with a reason when node or the npm modules are missing, and fails instead when
``GATEPASS_REQUIRE_SERVICES=1`` (CI), like the Redis and PostgreSQL fixtures.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCRIPT = HERE / "provider.mjs"
CLIENT_ID = "gatepass-test"
CLIENT_SECRET = "gatepass-test-secret-0123456789abcdef"
OTHER_CLIENT_ID = "gatepass-other"
OTHER_CLIENT_SECRET = "gatepass-other-secret-0123456789abcdef"
# Registered for client_secret_post: Basic authentication is refused for it.
POST_CLIENT_ID = "gatepass-post"
POST_CLIENT_SECRET = "gatepass-post-secret-0123456789abcdef"
CALLBACK_PATHS = ("/auth/oidc/callback", "/auth/google/callback")
_START_SECONDS = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _unavailable(reason: str) -> None:
    if os.environ.get("GATEPASS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (GATEPASS_REQUIRE_SERVICES=1 makes it mandatory)")
    pytest.skip(reason)


@dataclass(frozen=True)
class ProviderProcess:
    """A running provider: its issuer URL and the app origin it redirects back to."""

    issuer: str
    app_origin: str
    process: subprocess.Popen[bytes]

    def callback_url(self, path: str = "/auth/oidc/callback") -> str:
        """The registered redirect URI with this path."""
        return self.app_origin + path

    def stop(self) -> None:
        """Stop the process (idempotent)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_provider(
    app_origin: str | None = None, *, client_auth: str | None = None
) -> ProviderProcess:
    """Start ``provider.mjs`` on a free port and wait for its ready line.

    Args:
        app_origin: the app origin its clients redirect to (a fresh port by default).
        client_auth: the only token endpoint authentication the provider offers (and
            its discovery document lists); every method by default.

    Returns:
        The running provider.
    """
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed; the OpenID provider tests need it")
    if not (HERE / "node_modules" / "oidc-provider" / "package.json").is_file():
        _unavailable("oidc-provider is not installed; run bash tests/oidc/install.sh")
    assert node is not None
    port = free_port()
    origin = app_origin or f"http://127.0.0.1:{free_port()}"
    command = [node, str(SCRIPT), "--port", str(port)]
    for path in CALLBACK_PATHS:
        command += ["--redirect-uri", origin + path]
    if client_auth is not None:
        command += ["--client-auth", client_auth]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=HERE)
    assert process.stdout is not None
    deadline = time.monotonic() + _START_SECONDS
    output = b""
    while b"ready" not in output:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([process.stdout], [], [], max(left, 0))
        line = process.stdout.readline() if ready else b""
        if not line:
            process.kill()
            process.wait(5)
            process.stdout.close()
            pytest.fail(f"the OpenID provider did not start: {output.decode(errors='replace')}")
        output += line
    return ProviderProcess(issuer=f"http://127.0.0.1:{port}", app_origin=origin, process=process)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[ProviderProcess]:
    """One real OpenID provider for the test session."""
    provider = start_provider()
    try:
        yield provider
    finally:
        provider.stop()
