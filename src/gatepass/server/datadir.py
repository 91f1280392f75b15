"""The data folder: kept private (0700, files 0600), locked while keys or secrets are written."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import stat
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

SECRET_FILE = "session-secret"  # noqa: S105 - a file name, not a secret
LOG_SECRET_FILE = "log-secret"  # noqa: S105 - a file name, not a secret
LOCK_FILE = ".lock"


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data folder (for first start and rotation).

    Args:
        data_dir: the folder; created with mode 0700 if missing.

    Yields:
        Nothing; the lock is held inside the ``with`` block.
    """
    fd = _open_lock(data_dir)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)


@contextlib.asynccontextmanager
async def data_dir_lock_async(data_dir: Path) -> AsyncIterator[None]:
    """:func:`data_dir_lock` for async code: waits in a thread, not in the event loop.

    Args:
        data_dir: the folder; created with mode 0700 if missing.

    Yields:
        Nothing; the lock is held inside the ``async with`` block.
    """
    fd = _open_lock(data_dir)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _open_lock(data_dir: Path) -> int:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir leaves an existing folder as it is: make it owner-only, so nothing in it
    # (databases, keys) is readable by other local users (CWE-276, OWASP ASVS 6.4.1).
    if stat.S_IMODE(data_dir.stat().st_mode) & 0o077:
        data_dir.chmod(0o700)
    return os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file atomically with mode 0600 (owner only: OWASP ASVS 6.4.1).

    Args:
        path: the target file.
        data: its content.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def private_files(data_dir: Path, names: Iterable[str]) -> None:
    """Make the data folder owner-only and its files 0600, creating ``names`` empty.

    SQLite creates a database with the process umask (often 0644) and gives its
    ``-wal``/``-shm`` files the database file's mode; a database file made here first
    with 0600 keeps all three private (CWE-276, OWASP ASVS 6.4.1). An empty file is a
    valid new SQLite database.

    Args:
        data_dir: the data folder (created 0700 if missing).
        names: database files the server will open in it.
    """
    with data_dir_lock(data_dir):
        for name in names:
            # O_EXCL: an existing entry (even not a file) is left for its store to judge.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(data_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        for path in data_dir.iterdir():
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                path.chmod(0o600)


def session_secret(data_dir: Path) -> str:
    """The random session-cookie signing secret kept in the data folder.

    Args:
        data_dir: the data folder.

    Returns:
        The secret, made on first call (256 random bits) and kept.
    """
    return kept_secret(data_dir / SECRET_FILE)


def log_secret(data_dir: Path) -> str:
    """The random key of the security log's account pseudonyms, kept in the data folder.

    Args:
        data_dir: the data folder.

    Returns:
        The secret, made on first call (256 random bits) and kept, so pseudonyms stay
        the same across restarts.
    """
    return kept_secret(data_dir / LOG_SECRET_FILE)


def kept_secret(path: Path) -> str:
    """A random secret kept in ``path`` (0600), made on first call under the folder's lock."""
    with data_dir_lock(path.parent):
        if not path.exists():
            write_private(path, secrets.token_urlsafe(32).encode())
        return path.read_text().strip()
