"""gatepass.security: CSRF, safe redirects, rate limits and brute-force defence."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gatepass.security.csrf import (
    CSRF_SESSION_KEY,
    CSRFMiddleware,
    csrf_token,
    rotate_csrf_token,
    verify_csrf_token,
)
from gatepass.security.redirects import is_safe_redirect, safe_next

if TYPE_CHECKING:
    from gatepass.security.ratelimit import (
        LoginThrottle,
        RateLimiter,
        account_key,
        address_key,
        memory_storage,
        redis_storage,
    )

__all__ = [
    "CSRF_SESSION_KEY",
    "CSRFMiddleware",
    "LoginThrottle",
    "RateLimiter",
    "account_key",
    "address_key",
    "csrf_token",
    "is_safe_redirect",
    "memory_storage",
    "redis_storage",
    "rotate_csrf_token",
    "safe_next",
    "verify_csrf_token",
]

_RATELIMIT = {
    "LoginThrottle",
    "RateLimiter",
    "account_key",
    "address_key",
    "memory_storage",
    "redis_storage",
}


def __getattr__(name: str) -> Any:
    # Rate limits need the ``limits`` package (the ``ratelimit`` extra): import on first use.
    if name in _RATELIMIT:
        return getattr(importlib.import_module("gatepass.security.ratelimit"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
