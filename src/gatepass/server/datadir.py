"""The data folder: created private, locked while keys or secrets are written to it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

SECRET_FILE = "session-secret"  # noqa: S105 - a file name, not a secret
LOCK_FILE = ".lock"


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data folder (for first start and rotation).

    Args:
        data_dir: the folder; created with mode 0700 if missing.

    Yields:
        Nothing; the lock is held inside the ``with`` block.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


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


def session_secret(data_dir: Path) -> str:
    """The random session-cookie signing secret kept in the data folder.

    Args:
        data_dir: the data folder.

    Returns:
        The secret, made on first call (256 random bits) and kept.
    """
    path = data_dir / SECRET_FILE
    with data_dir_lock(data_dir):
        if not path.exists():
            write_private(path, secrets.token_urlsafe(32).encode())
        return path.read_text().strip()
