""" "Your active sessions": list a user's sessions, log out one of them or all others.

These helpers use the store the :class:`SessionMiddleware` placed in the request scope,
and only ever touch sessions of the user who is logged in on this request, so a posted
handle can never end someone else's session.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from gatepass.sessions.middleware import STORE_SCOPE_KEY
from gatepass.sessions.session import Session
from gatepass.sessions.stores.base import SessionInfo, SessionStore, session_handle


def _context(connection: HTTPConnection) -> tuple[Session, SessionStore]:
    session = connection.scope.get("session")
    store = connection.scope.get(STORE_SCOPE_KEY)
    if not isinstance(session, Session) or store is None:
        raise RuntimeError(
            "Session management needs gatepass.sessions.SessionMiddleware on the app."
        )
    return session, store


def _current_id(session: Session) -> str | None:
    # After regenerate()/destroy() the loaded id is already doomed.
    return None if session.regenerated or session.destroyed else session.id


async def list_sessions(connection: HTTPConnection) -> list[SessionInfo]:
    """The logged-in user's live sessions, most recently seen first.

    Args:
        connection: the current request.

    Returns:
        The sessions (empty when nobody is logged in).

    Raises:
        RuntimeError: the session middleware is not installed.
        StoreUnavailableError: the store cannot be reached.
    """
    session, store = _context(connection)
    user_id = session.user_id
    return [] if user_id is None else await store.list_user_sessions(user_id)


def current_handle(connection: HTTPConnection) -> str | None:
    """The public handle of this request's own session, to mark it in a list.

    Args:
        connection: the current request.

    Returns:
        The handle, or ``None`` for a session not stored yet.

    Raises:
        RuntimeError: the session middleware is not installed.
    """
    session, _ = _context(connection)
    current = _current_id(session)
    return None if current is None else session_handle(current)


async def end_other_sessions(connection: HTTPConnection) -> int:
    """Log out every other session of the logged-in user ("log out all others").

    Args:
        connection: the current request.

    Returns:
        How many sessions ended.

    Raises:
        RuntimeError: the session middleware is not installed.
        StoreUnavailableError: the store cannot be reached.
    """
    session, store = _context(connection)
    user_id = session.user_id
    if user_id is None:
        return 0
    return await store.delete_user_sessions(user_id, except_id=_current_id(session))


async def end_session(connection: HTTPConnection, handle: str) -> bool:
    """Log out one session of the logged-in user, named by its public handle.

    Ending the current session this way is refused; use ``session.destroy()`` so the
    cookie is expired too.

    Args:
        connection: the current request.
        handle: a :attr:`SessionInfo.handle` from :func:`list_sessions`.

    Returns:
        Whether a session was ended.

    Raises:
        RuntimeError: the session middleware is not installed.
        StoreUnavailableError: the store cannot be reached.
    """
    session, store = _context(connection)
    for info in await list_sessions(connection):
        if info.handle == handle and info.session_id != _current_id(session):
            await store.delete(info.session_id)
            return True
    return False
