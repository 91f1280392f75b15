"""The Redis invalidation listener, kept here under its first name.

It lives in ``gatepass._redis_listener`` now, where the token and user layers, below
sessions, can use it too.
"""

from gatepass._redis_listener import INVALIDATE_CHANNEL, MIN_BACKOFF, InvalidationListener

__all__ = ["INVALIDATE_CHANNEL", "MIN_BACKOFF", "InvalidationListener"]
