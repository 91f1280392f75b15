"""Users by id from process memory, for the requests that only need to know who it is.

:class:`UserCache` answers ``find_by_id`` from a bounded local map. Each entry keeps
the change version read *before* the store was asked, and is served only while the
version is unchanged, so a user who was disabled, whose password, roles or email
changed, or who was deleted, is read afresh on the very next request (OWASP ASVS
4.0.3 V3.3.1, V3.7). The version comes from the store's own change signal, which every
process sees: ``PRAGMA data_version`` of a SQLite file, or a Redis counter that
writers move (``gatepass._versions``); writes in this process also call
:meth:`UserCache.invalidate`, which moves it at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from gatepass.errors import ConfigurationError
from gatepass.users.model import User
from gatepass.users.store import UserStore


@dataclass(frozen=True, slots=True)
class UserCacheStats:
    """What the cache has done, for operators and tests.

    Args:
        entries: users (or known absences) held.
        hits: lookups answered from memory.
        misses: lookups that asked the store.
    """

    entries: int
    hits: int
    misses: int


class UserCache:
    """A bounded, change-checked cache in front of a ``UserStore``'s ``find_by_id``.

    Args:
        store: the store asked on a miss.
        version: ``() -> int`` that moves whenever any process changes the users
            (a negative, never-repeated number when it cannot tell: every lookup then
            asks the store).
        max_entries: the most users held; the oldest entry goes first.
        max_age: the longest an entry is served, whatever the version says.
        monotonic: the clock for ``max_age``.

    Raises:
        ConfigurationError: ``max_entries`` below 1 or ``max_age`` not positive.
    """

    def __init__(
        self,
        store: UserStore,
        *,
        version: Callable[[], int],
        max_entries: int = 10_000,
        max_age: timedelta = timedelta(seconds=60),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ConfigurationError(f"max_entries must be at least 1, not {max_entries!r}.")
        if max_age <= timedelta(0):
            raise ConfigurationError("max_age must be a positive timedelta.")
        self.store = store
        self.max_entries = max_entries
        self._version = version
        self._max_age = max_age.total_seconds()
        self._monotonic = monotonic
        self._local = 0  # moved by invalidate(): changes made through this process
        # user id -> (local version, store version, stored at, user or None)
        self._entries: OrderedDict[str, tuple[int, int, float, User | None]] = OrderedDict()
        self._hits = 0
        self._misses = 0

    async def find_by_id(self, user_id: str) -> User | None:
        """The user with this id, from memory while nothing changed since it was read.

        Args:
            user_id: the id.

        Returns:
            The user (frozen; shared between requests), or ``None``.

        Raises:
            StoreUnavailableError: the store was asked and cannot be reached.
        """
        local, seen = self._local, self._version()
        entry = self._entries.get(user_id)
        if (
            entry is not None
            and entry[0] == local
            and entry[1] == seen
            and seen >= 0
            and self._monotonic() - entry[2] < self._max_age
        ):
            self._hits += 1
            return entry[3]
        self._misses += 1
        user = await self.store.find_by_id(user_id)
        # Kept with the versions read before asking: a change that lands while the
        # store answers moves them, so this answer is never served after it.
        if seen >= 0:
            self._entries[user_id] = (local, seen, self._monotonic(), user)
            self._entries.move_to_end(user_id)
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return user

    def version(self) -> tuple[int, int]:
        """The change version now: ``(this process's changes, every process's)``.

        Returns:
            Equal pairs mean nothing changed in between; a negative second number
            means no answer may be kept.
        """
        return self._local, self._version()

    def invalidate(self, user_id: str | None = None) -> None:
        """Forget what is held, after this process changed a user (or all of them).

        Args:
            user_id: the user that changed; ``None`` for any.
        """
        self._local += 1
        if user_id is None:
            self._entries.clear()
        else:
            self._entries.pop(user_id, None)

    def stats(self) -> UserCacheStats:
        """A snapshot of the counters."""
        return UserCacheStats(entries=len(self._entries), hits=self._hits, misses=self._misses)
