"""Check an email and password the way a login must: same work whether or not the user exists."""

from __future__ import annotations

import anyio.to_thread

from gatepass.audit.tracing import SPAN_LOGIN, annotate, span
from gatepass.errors import InvalidEmailError
from gatepass.passwords.hashing import PasswordHasher
from gatepass.users.emails import normalize_email
from gatepass.users.model import User
from gatepass.users.store import UserStore


async def verify_credentials(
    users: UserStore,
    hasher: PasswordHasher,
    email: str,
    password: str,
    *,
    rehash: bool = True,
) -> User | None:
    """Return the user these credentials belong to, or ``None``.

    The password is always verified by argon2, against the user's hash or against
    the hasher's dummy hash when there is no such user, no password on the account,
    or an email that is no address, so the answer takes the same time either way
    (OWASP ASVS 2.2 / user enumeration). A disabled user is refused only after the
    same work. On success a hash made with weaker or other parameters is replaced
    (argon2-cffi ``check_needs_rehash``), so old hashes upgrade on the next login; the
    replacement is a compare-and-set, so it never undoes a concurrent password change.
    argon2 runs in a worker thread: one login does not stall the event loop.

    Args:
        users: where users are looked up and the upgraded hash is stored.
        hasher: the argon2id hasher, whose parameters are the current ones.
        email: the email as typed; normalized here.
        password: the password as typed.
        rehash: store a new hash when ``hasher.needs_rehash`` says so.

    Returns:
        The (possibly rehashed) active user, or ``None`` for wrong credentials, an
        unknown email or a disabled user: one answer, so the caller cannot tell them
        apart either.

    Raises:
        StoreUnavailableError: the user store cannot be reached (fail closed, 503).
    """
    with span(SPAN_LOGIN) as current:
        try:
            user = await users.find_by_email(normalize_email(email))
        except InvalidEmailError:
            user = None
        stored = user.password_hash if user is not None else None
        matches = await anyio.to_thread.run_sync(
            hasher.verify, stored if stored is not None else hasher.dummy_hash, password
        )
        accepted = user is not None and stored is not None and matches and user.is_active
        # The outcome only: never the email or which of the reasons refused it.
        annotate(current, outcome="success" if accepted else "failure")
    if user is None or stored is None or not matches or not user.is_active:
        return None
    if rehash and hasher.needs_rehash(stored):
        fresh = await anyio.to_thread.run_sync(hasher.hash, password)
        # Compare-and-set (CWE-367, check-then-act race): a password change that landed
        # while argon2 ran wins; this login keeps the user as read (its password was
        # right when it was checked).
        updated = await users.set_password_hash(user.id, fresh, expected=stored)
        user = updated if updated is not None else user
    return user
