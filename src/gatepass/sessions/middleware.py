"""``SessionMiddleware``: server-side sessions for any ASGI app (pure ASGI).

The cookie holds a signed random id; the data lives in a :class:`SessionStore`. The
session is loaded once per request into ``scope["session"]`` (so ``request.session``
works), saved only when it changed or needs an idle-timeout touch, and the intents
recorded on the :class:`Session` (regenerate, destroy, end everywhere) are carried out
when the response starts. A store outage answers 503: fail closed, nobody is logged in.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatepass._http import SESSION_COOKIE_SCOPE_KEY, error_response, normalize_origin, same_origin
from gatepass.errors import ConfigurationError, DurationError, StoreUnavailableError
from gatepass.sessions.anonymous import DEFAULT_ANONYMOUS_KEYS, AnonymousCookie
from gatepass.sessions.cookies import (
    INSECURE_COOKIE_MESSAGE,
    CookiePolicy,
    InsecureCookieWarning,
    SameSite,
    secure_cookie_is_lost,
)
from gatepass.sessions.session import Session
from gatepass.sessions.signing import CookieSigner, new_session_id
from gatepass.sessions.stores.base import Clock, SessionRecord, SessionStore, system_clock

STORE_SCOPE_KEY = "gatepass.session_store"
# The Cookie headers already read, per cookie name: a browser sends the same header on
# every request, so each is parsed and its signature checked once (the signing keys are
# fixed per middleware). Bounded in count and in header length.
PARSED_COOKIES_SIZE = 1024
PARSED_COOKIE_MAX_LENGTH = 4096
Duration = timedelta | int


def as_timedelta(value: Duration, what: str) -> timedelta:
    """Accept a ``timedelta`` or whole seconds.

    Args:
        value: the duration.
        what: the option name, for the error message.

    Returns:
        The duration as a positive ``timedelta``.

    Raises:
        DurationError: the value is not a positive duration.
    """
    if isinstance(value, bool) or not isinstance(value, timedelta | int):
        raise DurationError(f"{what} must be a timedelta or whole seconds, not {value!r}.")
    delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if delta <= timedelta(0):
        raise DurationError(f"{what} must be positive, not {value!r}.")
    return delta


@dataclass(slots=True)
class _Loaded:
    session: Session
    record: SessionRecord | None
    snapshot: bytes
    cookie_sent: bool
    loaded_at: datetime | None = None  # the clock when a stored record was loaded
    written_at: datetime | None = None  # when an anonymous cookie's value was written


def _origin(text: str) -> str:
    origin = normalize_origin(text)
    if origin is None or urlsplit(text.strip()).path not in ("", "/"):
        raise ConfigurationError(
            f"allowed_origins takes origins like 'https://app.example', not {text!r}."
        )
    return origin


# A session's data as bytes, compared at the end of a request to see whether it changed
# (nested values included). orjson writes a dict subclass as a dict: no copy needed.
_SNAPSHOT = orjson.OPT_SORT_KEYS
_EMPTY_SNAPSHOT = orjson.dumps(Session(), option=_SNAPSHOT)


def _cookie_header(scope: Scope) -> str | None:
    # The first Cookie header, as Starlette's ``request.cookies`` reads it, without
    # building a Headers object on every request.
    for name, value in scope["headers"]:
        if name == b"cookie":
            text: str = value.decode("latin-1")
            return text
    return None


class SessionMiddleware:
    """Load and save server-side sessions around an ASGI app.

    Defaults follow OWASP ASVS 3.3.2 (level 2: re-authenticate after 30 minutes idle
    or 12 hours in all; level 1 allows 30 days for "remember me") and the OWASP
    Session Management Cheat Sheet ("Session Expiration": 15-30 minute idle timeouts
    for low-risk applications).

    Args:
        app: the wrapped ASGI app.
        store: where sessions live.
        secret_keys: signing keys, oldest first; the last signs, all verify.
        cookie_name: base cookie name (``__Host-`` is prepended when secure).
        secure: force the ``Secure`` flag on/off; ``None`` means secure unless the
            request is plain http to localhost.
        same_site: ``SameSite`` attribute of the cookie.
        domain: ``Domain`` attribute; ``None`` keeps a host-only ``__Host-`` cookie.
        idle_timeout: a session unused this long ends.
        absolute_lifetime: a session ends this long after login, used or not.
        remember_lifetime: lifetime of a session with ``session.remember = True``
            (a persistent cookie; the idle timeout does not apply).
        touch_interval: how stale ``last_seen`` may get before an unchanged session is
            saved again to push its idle timeout forward.
        clock: time source (tests pass a fixed clock).
        id_factory: session id source (``secrets``-based by default).
        allowed_origins: origins besides the request's own host (e.g.
            ``"https://app.example"``) whose pages may open a WebSocket that sees the
            session; any other ``Origin`` gets an empty session.
        anonymous_keys: the keys a session without a user may keep in its signed
            cookie instead of the store (by default the CSRF secret and flash
            messages); a session with a user or any other key is stored. ``()``
            stores every session.

    Raises:
        ConfigurationError: missing or short keys, a bad duration, a touch interval
            not shorter than the idle timeout, or an allowed origin that is not
            ``scheme://host[:port]``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: SessionStore,
        secret_keys: Sequence[str | bytes],
        cookie_name: str = "gatepass_session",
        secure: bool | None = None,
        same_site: SameSite = "lax",
        domain: str | None = None,
        idle_timeout: Duration = timedelta(minutes=30),
        absolute_lifetime: Duration = timedelta(hours=12),
        remember_lifetime: Duration = timedelta(days=30),
        touch_interval: Duration = timedelta(minutes=1),
        clock: Clock = system_clock,
        id_factory: Callable[[], str] = new_session_id,
        allowed_origins: Iterable[str] = (),
        anonymous_keys: Iterable[str] = DEFAULT_ANONYMOUS_KEYS,
    ) -> None:
        self.app = app
        self.store = store
        self.signer = CookieSigner(secret_keys)
        self.cookie = CookiePolicy(
            name=cookie_name, secure=secure, same_site=same_site, domain=domain
        )
        self.idle_timeout = as_timedelta(idle_timeout, "idle_timeout")
        self.absolute_lifetime = as_timedelta(absolute_lifetime, "absolute_lifetime")
        self.remember_lifetime = as_timedelta(remember_lifetime, "remember_lifetime")
        self.touch_interval = as_timedelta(touch_interval, "touch_interval")
        if self.touch_interval >= self.idle_timeout:
            raise ConfigurationError(
                "touch_interval must be shorter than idle_timeout, or active sessions "
                "would time out; the default is one minute."
            )
        self.clock = clock
        self.id_factory = id_factory
        self.allowed_origins = frozenset(_origin(origin) for origin in allowed_origins)
        self.anonymous = AnonymousCookie(
            secret_keys, keys=anonymous_keys, lifetime=self.idle_timeout
        )
        self._read: dict[str, dict[str, tuple[str | None, str | None]]] = {}
        self._names = {secure: self.cookie.cookie_name(secure) for secure in (False, True)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        secure = self.cookie.is_secure(scope)
        name = self._names[secure]
        try:
            loaded = await self._load(scope, name)
        except StoreUnavailableError as error:
            await self._refuse(scope, receive, send, error)
            return
        scope["session"] = loaded.session
        scope[STORE_SCOPE_KEY] = self.store
        # Tells CSRFMiddleware which cookie is the session cookie for this request.
        scope[SESSION_COOKIE_SCOPE_KEY] = name
        if scope["type"] == "websocket":
            # A WebSocket has no response headers to carry a cookie: load only.
            await self.app(scope, receive, send)
            return

        refused = False

        async def send_with_session(message: Message) -> None:
            nonlocal refused
            if refused:
                return
            if message["type"] == "http.response.start":
                try:
                    cookie = await self._commit(scope, loaded, secure)
                except StoreUnavailableError as error:
                    refused = True
                    await error_response(HTTPConnection(scope), error)(scope, receive, send)
                    return
                if cookie is not None:
                    if secure and secure_cookie_is_lost(scope):
                        # Shown once per process by the default filter (constant text and
                        # place): the client drops this cookie and the user would only
                        # see "The form has expired" (RFC 6265bis §5.7.3).
                        warnings.warn(INSECURE_COOKIE_MESSAGE, InsecureCookieWarning, stacklevel=1)
                    message.setdefault("headers", [])  # optional in ASGI's response.start
                    headers = MutableHeaders(scope=message)
                    headers.append("set-cookie", cookie)
                    # A response that sets a session cookie must not be cached and
                    # replayed to someone else (OWASP Session Management Cheat Sheet).
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_session)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, error: StoreUnavailableError
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013, "reason": error.code})
            return
        await error_response(HTTPConnection(scope), error)(scope, receive, send)

    async def _load(self, scope: Scope, name: str) -> _Loaded:
        header = _cookie_header(scope)
        raw, session_id = self._session_cookie(header, name) if header else (None, None)
        if (
            raw is not None
            and scope["type"] == "websocket"
            and not same_origin(HTTPConnection(scope), self.allowed_origins)
        ):
            # Browsers send cookies on a cross-site WebSocket handshake and CORS does
            # not apply to it, so another site's page could act as the user: its
            # cookie is ignored (Cross-Site WebSocket Hijacking; OWASP ASVS 5.0 4.4.2).
            raw = session_id = None
        if session_id is None and raw is not None:
            return self._load_anonymous(raw)
        record = await self.store.load(session_id) if session_id else None
        if session_id is None or record is None:
            # Unknown, forged or expired: a fresh empty session. The presented id is
            # never adopted; only the server mints ids (OWASP ASVS 3.2.1, fixation).
            return _Loaded(Session(), None, _EMPTY_SNAPSHOT, raw is not None)
        now = self.clock()
        if record.remember:
            expired = now >= record.created_at + self.remember_lifetime
        else:
            expired = (
                now >= record.created_at + self.absolute_lifetime
                or now >= record.last_seen + self.idle_timeout
            )
        if expired:
            await self.store.delete(session_id)
            return _Loaded(Session(), None, _EMPTY_SNAPSHOT, True)
        session = Session(record.data, session_id=session_id)
        session.remember = record.remember
        return _Loaded(session, record, orjson.dumps(session, option=_SNAPSHOT), True, now)

    def _load_anonymous(self, raw: str) -> _Loaded:
        found = self.anonymous.load(raw, self.clock())
        if found is None:
            return _Loaded(Session(), None, _EMPTY_SNAPSHOT, True)
        data, written_at = found
        session = Session(data)
        snapshot = orjson.dumps(session, option=_SNAPSHOT)
        return _Loaded(session, None, snapshot, True, written_at=written_at)

    def _session_cookie(self, header: str, name: str) -> tuple[str | None, str | None]:
        # (request.cookies.get(name), the session id its signature vouches for or None),
        # worked out once per distinct Cookie header.
        read = self._read.get(name)
        if read is None:
            read = self._read[name] = {}
        else:
            found = read.get(header)
            if found is not None:
                return found
        raw = cookie_parser(header).get(name)
        answer = (raw, self.signer.unsign(raw) if raw else None)
        if len(header) <= PARSED_COOKIE_MAX_LENGTH:
            if len(read) >= PARSED_COOKIES_SIZE:
                read.clear()
            read[header] = answer
        return answer

    def _ttl(self, record: SessionRecord, now: datetime) -> timedelta:
        if record.remember:
            return record.created_at + self.remember_lifetime - now
        return min(record.created_at + self.absolute_lifetime - now, self.idle_timeout)

    async def _commit(self, scope: Scope, loaded: _Loaded, secure: bool) -> str | None:
        """Carry out the session's intents and save it; return a Set-Cookie value."""
        session, record = loaded.session, loaded.record
        if session.destroyed:
            owner = session.user_id or (record.user_id if record else None)
            if session.id is not None:
                await self.store.delete(session.id)
            if session.end_everywhere and owner is not None:
                await self.store.delete_user_sessions(owner)
            return self._expire(secure) if loaded.cookie_sent else None
        if session.regenerated and session.id is not None:
            # Login: the old id dies server-side, so a fixed or stolen id is useless.
            await self.store.delete(session.id)
        fresh = session.is_new or session.regenerated
        if fresh and session and self.anonymous.holds(session):
            cookie = self._anonymous_cookie(loaded, secure)
            if cookie is not None:  # else too large for a cookie: stored below
                return cookie or None
        if fresh and not session and not session.remember:
            # Nothing worth storing; drop a stale or forged cookie the client sent.
            return self._expire(secure) if loaded.cookie_sent else None
        if not fresh and record is not None and loaded.loaded_at is not None:
            changed = (
                orjson.dumps(session, option=_SNAPSHOT) != loaded.snapshot
                or session.remember != record.remember
            )
            if not changed and loaded.loaded_at - record.last_seen < self.touch_interval:
                return None
        now = self.clock()
        session_id = self.id_factory() if fresh else str(session.id)
        created = now if fresh or record is None else record.created_at
        new_record = SessionRecord(
            data=dict(session),
            user_id=session.user_id,
            created_at=created,
            last_seen=now,
            remember=session.remember,
            user_agent=(record.user_agent if record and not fresh else self._agent(scope)),
        )
        # A session ended by a concurrent request (logout, login elsewhere, "log out
        # everywhere") must stay ended: the store replaces it only if it still exists,
        # in one atomic step (OWASP ASVS 3.3.1).
        stored = await self.store.save(
            session_id, new_record, ttl=self._ttl(new_record, now), must_exist=not fresh
        )
        if not stored:
            return self._expire(secure)
        session.id = session_id
        if not fresh and record is not None and record.remember == session.remember:
            return None
        max_age = self._ttl(new_record, now) if session.remember else None
        return self.cookie.header(self.signer.sign(session_id), secure=secure, max_age=max_age)

    def _anonymous_cookie(self, loaded: _Loaded, secure: bool) -> str | None:
        """The Set-Cookie of an anonymous session kept in its cookie ("" = unchanged),
        or ``None`` when it is too large for one and must be stored."""
        now = self.clock()
        session = loaded.session
        if (
            loaded.written_at is not None
            and not session.regenerated
            and now - loaded.written_at < self.touch_interval
            and orjson.dumps(session, option=_SNAPSHOT) == loaded.snapshot
        ):
            return ""
        value = self.anonymous.dump(session, now)
        if value is None:
            return None
        return self.cookie.header(value, secure=secure, max_age=None)

    def _expire(self, secure: bool) -> str:
        return self.cookie.header("", secure=secure, max_age=timedelta(0))

    @staticmethod
    def _agent(scope: Scope) -> str:
        return HTTPConnection(scope).headers.get("user-agent", "")[:200]
