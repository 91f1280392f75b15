"""Database URLs for the SQL user store: pick the async driver for the database named."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from gatepass.errors import ConfigurationError

# The one async driver each supported database is used through.
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_database_url(url: str | URL) -> URL:
    """Return the URL with the async driver gatepass uses for that database.

    ``sqlite:///path`` becomes ``sqlite+aiosqlite:///path``; ``postgresql://`` and
    ``postgres://`` become ``postgresql+asyncpg://``. A URL that already names those
    drivers is kept.

    Args:
        url: a SQLAlchemy-style database URL.

    Returns:
        The parsed URL with the async driver.

    Raises:
        ConfigurationError: the URL cannot be parsed, or names another database or a
            driver that is not async.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(
            "The user database URL cannot be parsed; use sqlite+aiosqlite:///path/users.db "
            "or postgresql://user@host/db."
        ) from exc
    backend = "postgresql" if parsed.get_backend_name() == "postgres" else parsed.get_backend_name()
    wanted = _ASYNC_DRIVERS.get(backend)
    driver = parsed.drivername.partition("+")[2]
    if wanted is None or (driver and f"{backend}+{driver}" != wanted):
        raise ConfigurationError(
            f"The user store supports {', '.join(sorted(_ASYNC_DRIVERS.values()))}; "
            f"got '{parsed.drivername}'."
        )
    return parsed.set(drivername=wanted)
