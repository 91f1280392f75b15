"""The session cookie: its name, its flags and the rule for ``Secure``.

Defaults follow the OWASP Session Management Cheat Sheet ("Cookies" section) and
OWASP ASVS 3.4.1-3.4.5: ``HttpOnly``, ``SameSite=Lax``, ``Secure`` and the
``__Host-`` prefix (RFC 6265bis §4.1.3.2: Secure, ``Path=/``, no ``Domain``), so the
cookie cannot be read by scripts, sent cross-site on sub-requests, sent over plain
HTTP, or overwritten from a sibling subdomain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from starlette.datastructures import Headers
from starlette.types import Scope

SameSite = Literal["lax", "strict", "none"]
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
PLAIN_SCHEMES = frozenset({"http", "ws"})


class InsecureCookieWarning(UserWarning):
    """A ``Secure`` session cookie was set on a plain-http request: it will not come back.

    Browsers and HTTP clients (httpx, Starlette's ``TestClient`` on
    ``http://testserver``) keep a ``Secure`` cookie for https only (RFC 6265bis
    §5.7.3), so the session, logins and CSRF-protected forms fail.
    """


INSECURE_COOKIE_MESSAGE = (
    "gatepass set a Secure session cookie on a plain-http request to a host other than "
    "localhost; browsers and test clients will not send it back, so sessions, logins "
    "and forms fail ('The form has expired'). For tests and local development pass "
    "SessionMiddleware(..., secure=False) or use an https:// base URL (e.g. "
    "TestClient(app, base_url='https://testserver')); behind a proxy that ends TLS, "
    "let the server trust its forwarded headers (uvicorn --proxy-headers "
    "--forwarded-allow-ips ...) so the request's scheme is https."
)


def _hostname(scope: Scope) -> str:
    host = Headers(scope=scope).get("host", "")
    if not host and scope.get("server"):
        host = str(scope["server"][0])
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def secure_cookie_is_lost(scope: Scope) -> bool:
    """Tell whether a ``Secure`` cookie set on this request would never come back.

    Clients keep ``Secure`` cookies for https only; browsers also for plain http to
    localhost, which counts as a secure context (RFC 6265bis §5.7.3).

    Args:
        scope: the ASGI scope.

    Returns:
        True for plain http (or ws) to a host other than localhost.
    """
    return scope.get("scheme") in PLAIN_SCHEMES and _hostname(scope) not in LOCAL_HOSTS


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    """How the session cookie is named and flagged.

    Args:
        name: the base cookie name; ``__Host-`` (or ``__Secure-`` with a domain) is
            prepended when the cookie is secure.
        secure: ``True``/``False`` to force the ``Secure`` flag; ``None`` (default)
            means secure unless the request is plain ``http`` to localhost.
        same_site: the ``SameSite`` attribute.
        domain: a ``Domain`` attribute; leave ``None`` so the cookie is host-only.
    """

    name: str = "gatepass_session"
    secure: bool | None = None
    same_site: SameSite = "lax"
    domain: str | None = None

    def is_secure(self, scope: Scope) -> bool:
        """Decide the ``Secure`` flag for this request.

        Args:
            scope: the ASGI scope.

        Returns:
            Whether the cookie is marked ``Secure`` (and prefixed).
        """
        if self.secure is not None:
            return self.secure
        if scope.get("scheme") in ("https", "wss"):
            return True
        # Only plain http to the local machine is treated as development; any other
        # host gets Secure, so a misconfigured deployment fails safe (the browser
        # drops the cookie) instead of leaking it over http (OWASP ASVS 3.4.1).
        return _hostname(scope) not in LOCAL_HOSTS

    def cookie_name(self, secure: bool) -> str:
        """The cookie name for this request, with its prefix.

        Args:
            secure: the result of :meth:`is_secure`.

        Returns:
            ``__Host-<name>``, ``__Secure-<name>`` (with a domain) or ``<name>``.
        """
        if not secure:
            return self.name
        return f"__Secure-{self.name}" if self.domain else f"__Host-{self.name}"

    def header(self, value: str, *, secure: bool, max_age: timedelta | None) -> str:
        """Build a ``Set-Cookie`` header value.

        Args:
            value: the signed session id, or ``""`` to expire the cookie.
            secure: whether to add ``Secure`` and the prefix.
            max_age: ``None`` for a browser-session cookie, else its lifetime
                (zero expires it now).

        Returns:
            The header value.
        """
        parts = [f"{self.cookie_name(secure)}={value}", "Path=/", "HttpOnly"]
        parts.append(f"SameSite={self.same_site.capitalize()}")
        if secure or self.same_site == "none":
            # SameSite=None is only honoured with Secure (RFC 6265bis §5.6.7.1).
            parts.append("Secure")
        if self.domain:
            parts.append(f"Domain={self.domain}")
        if max_age is not None:
            parts.append(f"Max-Age={max(int(max_age.total_seconds()), 0)}")
        return "; ".join(parts)
