"""Flash messages, as connect-flash gives them: set on one request, read once on the next."""

from __future__ import annotations

from typing import NamedTuple

from starlette.requests import HTTPConnection

FLASH_KEY = "_gatepass_flash"


class FlashMessage(NamedTuple):
    """One message: a category ("error", "info", "success", ...) and its text."""

    category: str
    text: str


def _session(connection: HTTPConnection) -> dict[str, object]:
    if "session" not in connection.scope:
        raise RuntimeError(
            "Flash messages need a session: add gatepass.sessions.SessionMiddleware to the app."
        )
    session: dict[str, object] = connection.scope["session"]
    return session


def flash(connection: HTTPConnection, category: str, text: str) -> None:
    """Queue a message for the next page this session renders.

    Args:
        connection: the current request (or WebSocket).
        category: a short kind such as ``"error"`` or ``"success"``.
        text: the message, shown as text (templates escape it).

    Raises:
        RuntimeError: no session middleware is installed.
    """
    session = _session(connection)
    queued = session.get(FLASH_KEY)
    messages = list(queued) if isinstance(queued, list) else []
    messages.append([category, text])
    session[FLASH_KEY] = messages


def get_flashed_messages(
    connection: HTTPConnection, category: str | None = None
) -> list[FlashMessage]:
    """Take the queued messages (all, or one category's); they are gone afterwards.

    Args:
        connection: the current request.
        category: only take messages of this category; others stay queued.

    Returns:
        The messages in the order they were flashed.
    """
    session = _session(connection)
    queued = session.get(FLASH_KEY)
    if not isinstance(queued, list):
        return []
    taken = [FlashMessage(str(c), str(t)) for c, t in queued if category in (None, c)]
    rest = [[c, t] for c, t in queued if category not in (None, c)]
    if rest:
        session[FLASH_KEY] = rest
    else:
        session.pop(FLASH_KEY, None)
    return taken
