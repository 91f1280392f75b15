"""The optional keywords of the OAuth sign-in strategies and presets, defined once.

``OAuth2Strategy``, ``OIDCStrategy`` and the presets of :mod:`.providers` take these
as keyword arguments (``OIDCStrategy(..., timeout=timedelta(seconds=5))``) and pass
them down unchanged; the defaults live with the code that uses them. A dict of them
can be kept and reused: ``options: OIDCOptions = {"client": http}``, then
``providers.google(..., **options)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TypedDict

import httpx

from gatepass.strategies.oauth._http import ClientAuth
from gatepass.strategies.oauth._profile import ProfileMapper
from gatepass.strategies.oauth._state import Token

__all__ = ["OAuth2Options", "OIDCOptions"]


class OAuth2Options(TypedDict, total=False):
    """Options every OAuth sign-in strategy takes (the OAuth 2.0 family).

    Keys:
        pass_request: call ``verify(request, profile)`` instead of ``verify(profile)``,
            e.g. to link the provider account to the user already signed in.
        client: an ``httpx.AsyncClient`` the caller owns and closes; without one the
            strategy makes one lazily and closes it in ``aclose()``.
        client_auth: ``"client_secret_basic"`` or ``"client_secret_post"`` at the
            token endpoint; unset: what an OpenID provider's discovery document
            lists (basic first), else ``client_secret_basic``.
        authorization_params: extra authorization request parameters (``prompt``...).
        state_ttl: how long a login may stay pending (10 minutes).
        timeout: per provider request (10 seconds).
        clock: epoch seconds (``time.time``).
        token: ``token(nbytes)`` random text for state, verifier and nonce
            (``secrets.token_urlsafe``).
    """

    pass_request: bool
    client: httpx.AsyncClient | None
    client_auth: ClientAuth | None
    authorization_params: Mapping[str, str] | None
    state_ttl: timedelta
    timeout: timedelta
    clock: Callable[[], float]
    token: Token


class OIDCOptions(OAuth2Options, total=False):
    """What ``OIDCStrategy`` and the OpenID presets take on top of :class:`OAuth2Options`.

    Keys:
        fetch_userinfo: also read the userinfo endpoint and merge its claims.
        profile: maps claims to a ``ProviderProfile`` (``standard_profile``).
        leeway: clock skew allowed on ``exp``/``iat`` (30 seconds).
        discovery_ttl: how long the discovery document is reused (1 hour).
    """

    fetch_userinfo: bool
    profile: ProfileMapper
    leeway: timedelta
    discovery_ttl: timedelta


def check_options(options: Mapping[str, object], allowed: frozenset[str], owner: str) -> None:
    """Refuse keywords a strategy does not know, as Python does for a named parameter.

    Args:
        options: the keyword options given.
        allowed: the option names the strategy takes.
        owner: the callable's name, for the message.

    Raises:
        TypeError: an unknown keyword (a typo would otherwise be silently ignored).
    """
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{owner}() got an unexpected keyword argument {unknown[0]!r}")
