"""In-memory ``UserStore`` for tests and single-process demos."""

from __future__ import annotations

from dataclasses import replace

from gatepass.errors import InvalidEmailError, UserExistsError
from gatepass.users.emails import normalize_email
from gatepass.users.ids import Clock, IdFactory, as_utc, new_user_id, utc_now
from gatepass.users.model import User


class MemoryUserStore:
    """A ``UserStore`` kept in a dict; state lives and dies with the instance.

    Args:
        clock: returns "now" for ``created_at``.
        id_factory: returns a new user id.
    """

    def __init__(self, *, clock: Clock = utc_now, id_factory: IdFactory = new_user_id) -> None:
        self._clock = clock
        self._new_id = id_factory
        self._by_id: dict[str, User] = {}
        self._id_by_email: dict[str, str] = {}

    async def find_by_id(self, user_id: str) -> User | None:
        """Return the user with this id, or ``None`` (see ``UserStore``)."""
        return self._by_id.get(user_id)

    async def find_by_email(self, email: str) -> User | None:
        """Return the user with this email, or ``None`` (see ``UserStore``)."""
        try:
            key = normalize_email(email)
        except InvalidEmailError:
            return None
        user_id = self._id_by_email.get(key)
        return None if user_id is None else self._by_id[user_id]

    async def create(
        self,
        *,
        email: str,
        password_hash: str | None,
        display_name: str | None = None,
        email_verified: bool = False,
    ) -> User:
        """Create a user (see ``UserStore``).

        Raises:
            InvalidEmailError: ``email`` is not an address.
            UserExistsError: the normalized email is taken.
        """
        key = normalize_email(email)
        # No await between the check and the insert: atomic on one event loop.
        if key in self._id_by_email:
            raise UserExistsError()
        user = User(
            id=self._new_id(),
            email=key,
            password_hash=password_hash,
            is_active=True,
            created_at=as_utc(self._clock()),
            display_name=display_name,
            email_verified=email_verified,
        )
        self._by_id[user.id] = user
        self._id_by_email[key] = user.id
        return user

    async def set_password_hash(
        self, user_id: str, password_hash: str | None, *, expected: str | None = None
    ) -> User | None:
        """Replace a user's password hash, if still ``expected`` (see ``UserStore``)."""
        user = self._by_id.get(user_id)
        # No await between the check and the write: atomic on one event loop.
        if user is None or (expected is not None and user.password_hash != expected):
            return None
        return self._put(replace(user, password_hash=password_hash))

    async def verify_email(self, user_id: str, *, remove_password: bool = False) -> User | None:
        """Mark the email verified while it is not (see ``UserStore``)."""
        user = self._by_id.get(user_id)
        # No await between the check and the write: atomic on one event loop.
        if user is None or user.email_verified:
            return None
        password_hash = None if remove_password else user.password_hash
        return self._put(replace(user, email_verified=True, password_hash=password_hash))

    async def change_email(self, user_id: str, new_email: str) -> User | None:
        """Give a user a new, verified address (see ``UserStore``).

        Raises:
            InvalidEmailError: ``new_email`` is not an address.
            UserExistsError: another account has the normalized address.
        """
        key = normalize_email(new_email)
        user = self._by_id.get(user_id)
        # No await between the checks and the writes: atomic on one event loop.
        if user is None:
            return None
        if self._id_by_email.get(key, user_id) != user_id:
            raise UserExistsError()
        del self._id_by_email[user.email]
        self._id_by_email[key] = user_id
        return self._put(replace(user, email=key, email_verified=True))

    async def disable(self, user_id: str) -> User | None:
        """Mark a user inactive (see ``UserStore``)."""
        user = self._by_id.get(user_id)
        return None if user is None else self._put(replace(user, is_active=False))

    async def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        """Return users oldest first (see ``UserStore``)."""
        ordered = sorted(self._by_id.values(), key=lambda user: (user.created_at, user.id))
        return ordered[max(offset, 0) : max(offset, 0) + max(limit, 0)]

    def _put(self, user: User) -> User:
        self._by_id[user.id] = user
        return user
