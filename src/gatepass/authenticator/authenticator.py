"""The Authenticator: Passport's ``passport`` object, as an instance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Unpack, overload

from starlette.requests import HTTPConnection
from starlette.responses import Response

from gatepass.authenticator.authenticate import (
    AuthenticateHandler,
    AuthenticateKeywords,
    AuthenticateOptions,
    authenticate_inline,
)
from gatepass.authenticator.authenticate import authenticate as build_handler
from gatepass.authenticator.guards import Guard
from gatepass.authenticator.keys import RETURN_TO_SESSION_KEY, USERS_SESSION_KEY
from gatepass.authenticator.registry import StrategyRegistry
from gatepass.authenticator.serialization import UserSerialization
from gatepass.authenticator.user import AuthenticatedUser, cached_user, set_request_user
from gatepass.errors import ConfigurationError
from gatepass.sessions.session import Session
from gatepass.strategies.session import SessionStrategy

__all__ = ["RETURN_TO_SESSION_KEY", "USERS_SESSION_KEY", "Authenticator"]


def _session(connection: HTTPConnection) -> dict[str, Any]:
    session: dict[str, Any] | None = connection.scope.get("session")
    if session is None:
        raise ConfigurationError(
            "Logging in needs a session: add gatepass.sessions.SessionMiddleware (or "
            "Starlette's) to the app, or authenticate with session=False."
        )
    return session


def _regenerate(session: dict[str, Any], keep: Iterable[str]) -> None:
    # A new session id on every change of privilege defeats session fixation
    # (OWASP ASVS 3.2.1; CVE-2022-25896 in Passport < 0.6).
    if isinstance(session, Session):
        session.regenerate(keep=keep)
        return
    kept = {key: session[key] for key in keep if key in session}
    session.clear()
    session.update(kept)


class Authenticator(StrategyRegistry, UserSerialization):
    """Strategies, the user's trip through the session, login and logout.

    Args:
        realm: the realm named in challenges that gatepass writes itself.
        user_scopes: ``user_scopes(user)`` lists the permission scopes of a user put
            on ``request.auth`` (beside ``"authenticated"``).
    """

    def __init__(
        self,
        *,
        realm: str = "gatepass",
        user_scopes: Callable[[Any], Iterable[str]] | None = None,
    ) -> None:
        StrategyRegistry.__init__(self)
        UserSerialization.__init__(self)
        self.realm = realm
        self._user_scopes = user_scopes
        self.use(SessionStrategy(self.user))

    # -- the request user ---------------------------------------------------------

    def set_user(
        self,
        request: HTTPConnection,
        user: Any,
        *,
        scope: str = "default",
        scopes: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        strategy: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        """Put ``user`` on this request only (no session), as an API login does.

        Args:
            request: the request.
            user: the app's user or ``None``.
            scope: the auth scope.
            scopes: granted permission scopes, for ``request.auth``.
            claims: token claims, for ``request.auth``.
            strategy: the strategy that authenticated the request.
            info: the strategy's ``Success.info``, for ``request.auth.info``.
        """
        if self._user_scopes is not None and user is not None:
            scopes = (*scopes, *self._user_scopes(user))
        set_request_user(
            request,
            user,
            auth_scope=scope,
            scopes=scopes,
            claims=claims,
            strategy=strategy,
            info=info,
        )

    async def user(self, request: HTTPConnection, scope: str = "default") -> Any:
        """The user of ``scope`` for this request, restored from the session once.

        Args:
            request: the request.
            scope: the auth scope.

        Returns:
            The app's user, or ``None``.
        """
        found, user = cached_user(request, scope)
        if found:
            return user
        session = request.scope.get("session")
        stored = session.get(USERS_SESSION_KEY, {}).get(scope) if session else None
        user = None if stored is None else await self.deserialize_user(stored)
        self.set_user(request, user, scope=scope, strategy="session")
        return user

    # -- login and logout ---------------------------------------------------------

    async def login(
        self,
        request: HTTPConnection,
        user: Any,
        *,
        scope: str = "default",
        keep: Iterable[str] = (RETURN_TO_SESSION_KEY,),
        remember: bool = False,
    ) -> None:
        """Store ``user`` in the session under a new session id (``req.logIn``).

        Args:
            request: the request.
            user: the app's user.
            scope: the auth scope (``"user"``, ``"admin"``); other scopes' users stay.
            keep: session keys carried over into the new session (passport#919 lost
                ``returnTo`` here); everything else is dropped.
            remember: ask the session middleware for a persistent cookie.

        Raises:
            ConfigurationError: there is no session, or no serializer answered.
        """
        session = _session(request)
        stored = await self.serialize_user(user)
        users = dict(session.get(USERS_SESSION_KEY) or {})
        users[scope] = stored
        owner = session.user_id if isinstance(session, Session) else None
        _regenerate(session, keep)
        session[USERS_SESSION_KEY] = users
        if isinstance(session, Session):
            # The session belongs to the default scope's user ("log out everywhere");
            # another scope's login claims it only when nobody owns it yet.
            if scope == "default" or owner is None:
                plain = isinstance(stored, str | int) and not isinstance(stored, bool)
                owner = str(stored) if plain else AuthenticatedUser(user).identity
            session.user_id = owner
            session.remember = remember
        self.set_user(request, user, scope=scope, strategy="session")
        await self.hooks.run("after_login", request=request, user=user, scope=scope)

    async def logout(
        self,
        request: HTTPConnection,
        *,
        scope: str | None = "default",
        everywhere: bool = False,
    ) -> None:
        """Forget the user of ``scope`` (``None``: every scope) and renew the session id.

        Args:
            request: the request.
            scope: the auth scope to log out, or ``None`` for all.
            everywhere: also end every other session of this user (needs gatepass's
                session middleware).
        """
        session: dict[str, Any] | None = request.scope.get("session")
        users = dict((session or {}).get(USERS_SESSION_KEY) or {})
        scopes = list(users) if scope is None else [scope]
        for name in scopes:
            user = await self.user(request, name)
            await self.hooks.run("before_logout", request=request, user=user, scope=name)
            users.pop(name, None)
        if session is not None:
            if everywhere and isinstance(session, Session):
                session.destroy(everywhere=True)
            else:
                owner = session.user_id if isinstance(session, Session) else None
                _regenerate(session, ())
                if users:
                    session[USERS_SESSION_KEY] = users
                    if isinstance(session, Session) and "default" in users:
                        session.user_id = owner
        for name in scopes:
            self.set_user(request, None, scope=name)
            await self.hooks.run("after_logout", request=request, scope=name)

    def is_authenticated(self, request: HTTPConnection, scope: str = "default") -> bool:
        """Tell whether a user is already on this request (``req.isAuthenticated``).

        Args:
            request: the request.
            scope: the auth scope.

        Returns:
            True when a user was restored or logged in for ``scope``.
        """
        found, user = cached_user(request, scope)
        return found and user is not None

    @overload
    def authenticate(
        self, first: str, /, *names: str, **options: Unpack[AuthenticateKeywords]
    ) -> AuthenticateHandler: ...

    @overload
    def authenticate(
        self, first: HTTPConnection, /, *names: str, **options: Unpack[AuthenticateKeywords]
    ) -> Awaitable[Response]: ...

    def authenticate(
        self, first: str | HTTPConnection, /, *names: str, **options: Unpack[AuthenticateKeywords]
    ) -> AuthenticateHandler | Awaitable[Response]:
        """Authenticate with the named strategies, tried in order (``passport.authenticate``).

        Args:
            first: the first strategy name; or the request, for the inline form
                ``await auth.authenticate(request, "local", ...)``.
            *names: more strategy names; ``Pass`` falls through to the next.
            success_redirect: 303 here after a success.
            failure_redirect: 303 here after every strategy failed.
            success_flash: flash ``True`` (the strategy's ``info["message"]``) or a text.
            failure_flash: flash ``True`` (the strategy's message) or a text; needs
                ``failure_redirect``.
            success_return_to: after success go to the page the guard stored in the
                session, or else the ``next`` query parameter (same-site paths only),
                else ``success_redirect``.
            session: log the user in (``False`` for APIs: the user is set on this
                request only).
            assign_property: set ``request.state.<name>`` to the user instead of
                logging in (connecting a second account, say).
            callback: ``callback(request, user, info)`` returns the response itself;
                ``user`` is ``None`` after a failure. Nothing is logged in for you.
            scope: the auth scope to log in to.
            remember: ask for a persistent session cookie on login.

        Returns:
            ``async handler(request)``: an endpoint (answers a response) or a FastAPI
            dependency (returns the user, or halts with the response); with a request
            first, the awaitable response.

        Raises:
            ConfigurationError: no strategy name, or ``failure_flash`` without
                ``failure_redirect``.
        """
        strategy_names = names if isinstance(first, HTTPConnection) else (first, *names)
        checked = AuthenticateOptions(names=strategy_names, **options)
        if isinstance(first, HTTPConnection):
            return authenticate_inline(self, first, checked)
        return build_handler(self, checked)

    def require_user(
        self,
        *strategies: str,
        scope: str = "default",
        login_url: str | None = "/login",
        scopes: Sequence[str] = (),
    ) -> Guard:
        """A guard that lets only authenticated requests through (``isAuthenticated``).

        Args:
            *strategies: strategy names to try in order; none means the session user.
            scope: the auth scope.
            login_url: where browsers are sent (``None``: answer 401 to them too).
            scopes: permission scopes the user must also hold.

        Returns:
            A :class:`Guard`: ``Depends(guard)`` or ``@guard.protect``.
        """
        return Guard(self, strategies, scope=scope, login_url=login_url, scopes=scopes)

    def require_scopes(
        self,
        *scopes: str,
        strategies: Sequence[str] = (),
        scope: str = "default",
        login_url: str | None = "/login",
    ) -> Guard:
        """A guard that needs a user holding every one of ``scopes`` (403 otherwise).

        Args:
            *scopes: the permission scopes required.
            strategies: strategy names to try; none means the session user.
            scope: the auth scope.
            login_url: where unauthenticated browsers are sent.

        Returns:
            A :class:`Guard`.
        """
        return Guard(self, strategies, scope=scope, login_url=login_url, scopes=scopes)
