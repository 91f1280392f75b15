"""Wiring gatepass into Starlette and FastAPI apps."""

from gatepass._http import wants_html
from gatepass.integrations.errors import install_error_handlers
from gatepass.integrations.starlette import AuthMiddleware

__all__ = ["AuthMiddleware", "install_error_handlers", "wants_html"]
