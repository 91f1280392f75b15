"""The reference auth server: ``create_app()`` for ASGI, ``gatepass`` on the command line."""

from gatepass.server.app import create_app
from gatepass.server.backends import Backends
from gatepass.server.cli import main
from gatepass.server.keyring import Keyring
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState

__all__ = [
    "Backends",
    "Keyring",
    "SecurityLog",
    "ServerState",
    "Settings",
    "create_app",
    "main",
]
