"""The folder of an embedded database file: created on demand, owner-only."""

from __future__ import annotations

from pathlib import Path

from gatepass.errors import ConfigurationError

PRIVATE_FOLDER_MODE = 0o700


def sqlite_file_folder(path: str | Path, *, what: str) -> None:
    """Create the missing folders above an SQLite database file, owner-only.

    SQLite creates a missing file but not its folder: without this every request
    would answer 503 with the cause ("unable to open database file") only in a log.
    Folders created here get mode 0700, as the server's data folder, so other local
    users cannot read the sessions or tokens kept there (CWE-276, OWASP ASVS 6.4.1);
    existing folders are left as they are. ``":memory:"``, ``""`` and ``file:`` URIs
    are left to SQLite.

    Args:
        path: the database file.
        what: the store, for the error message ("session store").

    Raises:
        ConfigurationError: a folder cannot be created; the message names it.
    """
    text = str(path)
    if text in ("", ":memory:") or text.startswith("file:"):
        return
    folder = Path(text).parent
    missing: list[Path] = []
    # Bounded: each step goes one level up, and the root always exists.
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    problem = None if folder.is_dir() else f"{folder} is not a folder"
    for level in reversed(missing if problem is None else []):
        try:
            level.mkdir(mode=PRIVATE_FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process: fine
        except OSError as exc:
            problem = f"cannot create {level}: {exc.strerror or exc}"
            break
    if problem is not None:
        raise ConfigurationError(
            f"The {what} keeps its SQLite file at {text}, but {problem}. "
            "Create the folder or choose another path."
        )
