"""The profile an OAuth 2.0 / OpenID provider asserts, normalized for the app's ``verify``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderProfile:
    """Who the provider says signed in; handed to the app's ``verify(profile)``.

    Args:
        provider: the strategy's registration name (``"github"``, ``"google"``...).
        subject: the provider's stable, never-reassigned id of the account (OIDC
            ``sub``, GitHub's numeric ``id``); with ``provider`` it keys an identity.
        email: the email the provider gives, if any.
        email_verified: ``True`` only when the provider asserts it verified
            ``email``; only then may the email link an existing account.
        name: a display name, if any.
        raw: every claim or field the provider sent, for the app's own use.
    """

    provider: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


# ``profile(provider, claims)``: how an OIDC strategy turns ID token claims into a profile.
ProfileMapper = Callable[[str, Mapping[str, Any]], ProviderProfile]


def asserted_true(value: Any) -> bool:
    """Read a boolean claim strictly: ``True`` or the string ``"true"`` only.

    Some providers send ``email_verified`` as a string; anything else (absent,
    ``"1"``, ``"yes"``) counts as not verified (fail closed).

    Args:
        value: the claim value.

    Returns:
        Whether the provider asserted true.
    """
    return value is True or (isinstance(value, str) and value.lower() == "true")


def optional_text(value: Any) -> str | None:
    """Return a non-empty string claim, or ``None`` for anything else.

    Args:
        value: the claim value.

    Returns:
        The stripped text or ``None``.
    """
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
