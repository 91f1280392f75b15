"""The request user in Starlette's conventions: ``request.user`` and ``request.auth``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.authentication import AuthCredentials, BaseUser, UnauthenticatedUser
from starlette.requests import HTTPConnection

USERS_SCOPE_KEY = "gatepass.users"
"""``scope`` key: ``{auth scope: (user, credentials)}``, what this request has restored."""

_DISPLAY_ATTRIBUTES = ("display_name", "name", "username", "email")
_IDENTITY_ATTRIBUTES = ("identity", "id", "user_id", "pk", "sub", "username", "email")


def _attribute(user: Any, names: Iterable[str]) -> Any:
    for name in names:
        value = user.get(name) if isinstance(user, Mapping) else getattr(user, name, None)
        if value is not None:
            return value
    return None


class AuthenticatedUser(BaseUser):
    """Starlette's ``BaseUser`` around the app's own user object.

    Attribute reads fall through to the app's object, so templates keep writing
    ``request.user.email``; ``request.user.user`` is the object itself.

    Args:
        user: the app's user (any object or mapping).
        identity: a stable id; guessed from ``id``/``sub``/``email`` when omitted.
    """

    def __init__(self, user: Any, *, identity: str | None = None) -> None:
        self.user = user
        self._identity = identity

    @property
    def is_authenticated(self) -> bool:
        """Always True."""
        return True

    @property
    def display_name(self) -> str:
        """A name to show: ``display_name``, ``name``, ``username`` or ``email``."""
        value = _attribute(self.user, _DISPLAY_ATTRIBUTES)
        return str(value) if value is not None else self.identity

    @property
    def identity(self) -> str:
        """A stable id for the user."""
        if self._identity is not None:
            return self._identity
        value = _attribute(self.user, _IDENTITY_ATTRIBUTES)
        return "" if value is None else str(value)

    def __getattr__(self, name: str) -> Any:
        # Only called for names this class does not define: read them off the app's user.
        if name.startswith("__") or name == "user":
            raise AttributeError(name)
        if isinstance(self.user, Mapping) and name in self.user:
            return self.user[name]
        return getattr(self.user, name)

    def __repr__(self) -> str:
        return f"AuthenticatedUser({self.user!r})"


class AnonymousUser(UnauthenticatedUser):
    """Starlette's ``UnauthenticatedUser``, falsy: ``if not request.user`` reads as in Express.

    Passport code tests ``if (!req.user)``; Starlette's anonymous user is truthy, so the
    literal port took the logged-in branch. ``is_authenticated`` stays False.
    """

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "AnonymousUser()"


class Credentials(AuthCredentials):
    """Starlette's ``AuthCredentials`` plus where they came from.

    Args:
        scopes: granted scopes; ``"authenticated"`` is added for a known user.
        claims: token claims when a token authenticated the request.
        strategy: the name of the strategy that succeeded.
        info: the ``info`` of the strategy's ``Success`` on the request it succeeded
            on (Passport's ``req.authInfo``); empty otherwise.
    """

    def __init__(
        self,
        scopes: Iterable[str] = (),
        *,
        claims: Mapping[str, Any] | None = None,
        strategy: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        # AuthCredentials.__init__ only sets this; set it once, de-duplicated.
        self.scopes = list(dict.fromkeys(scopes)) if scopes else []
        self.claims: Mapping[str, Any] = claims or {}
        self.strategy = strategy
        self.info: Mapping[str, Any] = info or {}


ANONYMOUS = AnonymousUser()
"""The one anonymous user (it holds no state)."""


def set_request_user(
    connection: HTTPConnection,
    user: Any,
    *,
    auth_scope: str = "default",
    scopes: Iterable[str] = (),
    claims: Mapping[str, Any] | None = None,
    strategy: str | None = None,
    info: Mapping[str, Any] | None = None,
) -> None:
    """Put ``user`` on the request for one auth scope; the default scope feeds ``request.user``.

    Args:
        connection: the request or WebSocket.
        user: the app's user, or ``None`` for nobody.
        auth_scope: the Warden-style scope (``"default"``, ``"admin"``).
        scopes: granted permission scopes.
        claims: token claims, if any.
        strategy: the strategy that authenticated the request.
        info: the strategy's ``Success.info`` (``request.auth.info``).
    """
    granted = scopes if user is None else ("authenticated", *scopes)
    credentials = Credentials(granted, claims=claims, strategy=strategy, info=info)
    scope = connection.scope
    restored = scope.get(USERS_SCOPE_KEY)
    if restored is None:
        scope[USERS_SCOPE_KEY] = {auth_scope: (user, credentials)}
    else:
        restored[auth_scope] = (user, credentials)
    if auth_scope != "default":
        return
    scope["auth"] = credentials
    if user is None:
        scope["user"] = ANONYMOUS
    else:
        scope["user"] = user if isinstance(user, BaseUser) else AuthenticatedUser(user)


def credentials_for(connection: HTTPConnection, auth_scope: str) -> Credentials:
    """The credentials set for ``auth_scope`` on this request (empty when none).

    Args:
        connection: the request.
        auth_scope: the auth scope.

    Returns:
        The credentials.
    """
    restored: dict[str, tuple[Any, Credentials]] = connection.scope.get(USERS_SCOPE_KEY, {})
    found = restored.get(auth_scope)
    return Credentials() if found is None else found[1]


def cached_user(connection: HTTPConnection, auth_scope: str) -> tuple[bool, Any]:
    """Look up the user already restored for this request.

    Args:
        connection: the request.
        auth_scope: the auth scope.

    Returns:
        ``(found, user)``; ``found`` is False when nothing was restored yet.
    """
    restored: dict[str, tuple[Any, Credentials]] = connection.scope.get(USERS_SCOPE_KEY, {})
    found = restored.get(auth_scope)
    return (False, None) if found is None else (True, found[0])
