"""The pending login of an OAuth flow: state, PKCE verifier and nonce, kept in the session.

Each strategy keeps one entry under its own session key. It is written when the user
is sent to the provider and popped when the provider sends them back, so a ``state``
works once (RFC 9700 §4.7.1, CSRF on the redirect URI) and a code cannot be redeemed
without the verifier only this session holds (RFC 7636, RFC 9700 §2.1.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from gatepass.errors import ConfigurationError

SESSION_KEY_PREFIX = "_gatepass_oauth."
Token = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """What one browser's login in progress must match on the way back.

    Args:
        state: the ``state`` sent to the provider.
        code_verifier: the PKCE verifier (43+ characters, RFC 7636 §4.1).
        nonce: the OIDC ``nonce`` sent, or ``None`` for plain OAuth 2.0.
        started_at: epoch seconds.
    """

    state: str
    code_verifier: str
    nonce: str | None
    started_at: float

    def as_dict(self) -> dict[str, Any]:
        """The JSON-friendly form stored in the session."""
        return {
            "state": self.state,
            "code_verifier": self.code_verifier,
            "nonce": self.nonce,
            "started_at": self.started_at,
        }


def session_of(request: HTTPConnection, strategy: str) -> MutableMapping[str, Any]:
    """Return the request's session, or explain the missing wiring.

    Args:
        request: the request.
        strategy: the strategy name, for the message.

    Returns:
        The session mapping.

    Raises:
        ConfigurationError: no session middleware runs in front of the route.
    """
    session = request.scope.get("session")
    if not isinstance(session, MutableMapping):
        raise ConfigurationError(
            f"The {strategy!r} strategy keeps its login state in the session: install "
            "gatepass.sessions.SessionMiddleware (or Starlette's) in front of the route."
        )
    return session


def pkce_challenge(code_verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 §4.2).

    Args:
        code_verifier: the verifier.

    Returns:
        ``BASE64URL(SHA256(verifier))`` without padding.
    """
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def begin(
    session: MutableMapping[str, Any],
    strategy: str,
    *,
    with_nonce: bool,
    token: Token,
    now: float,
) -> PendingLogin:
    """Start a login: make fresh secrets and store them under the strategy's key.

    A new start replaces an older pending login of the same strategy.

    Args:
        session: the session.
        strategy: the strategy name (the key suffix).
        with_nonce: make an OIDC nonce too.
        token: ``token(nbytes) -> url-safe text``, e.g. ``secrets.token_urlsafe``.
        now: epoch seconds.

    Returns:
        The pending login.
    """
    # 32 random bytes each: 256 bits, far above RFC 7636 §7.1's 256-bit verifier advice.
    pending = PendingLogin(
        state=token(32),
        code_verifier=token(32),
        nonce=token(32) if with_nonce else None,
        started_at=now,
    )
    session[SESSION_KEY_PREFIX + strategy] = pending.as_dict()
    return pending


def take(
    session: MutableMapping[str, Any],
    strategy: str,
    state: str | None,
    *,
    now: float,
    max_age: float,
) -> PendingLogin | str:
    """Pop the pending login and check the returned ``state`` against it.

    The entry is removed whatever the result, so one ``state`` is accepted once.

    Args:
        session: the session.
        strategy: the strategy name.
        state: the ``state`` query parameter of the callback.
        now: epoch seconds.
        max_age: seconds a login may stay pending.

    Returns:
        The pending login, or a message saying why the callback is refused.
    """
    stored = session.pop(SESSION_KEY_PREFIX + strategy, None)
    if not isinstance(stored, dict):
        return "This sign-in link was already used or has expired; please start again."
    expected = stored.get("state")
    verifier = stored.get("code_verifier")
    started = stored.get("started_at")
    nonce = stored.get("nonce")
    if not (
        isinstance(expected, str)
        and isinstance(verifier, str)
        and isinstance(started, int | float)
        and (nonce is None or isinstance(nonce, str))
    ):
        return "This sign-in link was already used or has expired; please start again."
    # Constant-time compare: the state is a CSRF token (CWE-208, timing side channel).
    if not state or not hmac.compare_digest(state.encode(), expected.encode()):
        return "The sign-in could not be confirmed (state mismatch); please start again."
    if now - started > max_age:
        return "The sign-in took too long; please start again."
    return PendingLogin(state=expected, code_verifier=verifier, nonce=nonce, started_at=started)
