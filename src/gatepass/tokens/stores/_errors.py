"""Store failures: a generic message for clients, the driver's error for the log."""

from __future__ import annotations

import logging
from typing import Final

from gatepass.errors import StoreUnavailableError

logger = logging.getLogger("gatepass.tokens.stores")

MESSAGE: Final = "The token store is unavailable."


def unavailable(backend: str, exc: BaseException) -> StoreUnavailableError:
    """Log a driver error and make the 503 a client sees.

    The error's message becomes a response body, so paths, addresses and driver
    text stay out of it (OWASP ASVS 7.4.1); raise it ``from exc`` to keep the cause.

    Args:
        backend: ``"SQLite"`` or ``"Redis"``, for the log line.
        exc: the driver's exception.

    Returns:
        The error to raise.
    """
    logger.warning("The %s token store failed: %s", backend, type(exc).__name__, exc_info=exc)
    return StoreUnavailableError(MESSAGE)
