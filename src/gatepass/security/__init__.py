"""gatepass.security: CSRF, safe redirects, rate limits and brute-force defence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
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

# Rate limits need the ``limits`` package (the ``ratelimit`` extra): import on first use.
__getattr__ = lazy_attributes(
    __name__,
    dict.fromkeys(
        (
            "LoginThrottle",
            "RateLimiter",
            "account_key",
            "address_key",
            "memory_storage",
            "redis_storage",
        ),
        "gatepass.security.ratelimit",
    ),
)
