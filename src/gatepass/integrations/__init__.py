"""Wiring gatepass into Starlette and FastAPI apps."""

from gatepass.integrations.errors import install_error_handlers
from gatepass.integrations.starlette import AuthMiddleware

__all__ = ["AuthMiddleware", "install_error_handlers"]
