"""The public face of ``gatepass.server``."""

from __future__ import annotations

import gatepass.server


def test_server_exports_its_public_names() -> None:
    assert sorted(gatepass.server.__all__) == [
        "Backends",
        "Keyring",
        "SecurityLog",
        "ServerState",
        "Settings",
        "create_app",
        "main",
    ]
    for name in gatepass.server.__all__:
        assert getattr(gatepass.server, name) is not None
