"""gatepass: authentication for Python web applications."""

from gatepass.errors import GatepassError

__all__ = ["GatepassError"]
__version__ = "0.1.0"
