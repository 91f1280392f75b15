"""Safe ``next`` / return-to values: same-site relative paths only.

An open redirect lets a phishing link borrow our domain (OWASP ASVS 5.1.5; OWASP
"Unvalidated Redirects and Forwards" cheat sheet). Browsers are lenient: they treat
``\\`` like ``/``, drop tabs and newlines inside URLs and follow ``//host`` as a new host,
so a value is only accepted when every decoded form of it is a plain path.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_REDIRECT_LENGTH = 2048
_DECODE_ROUNDS = 3


def _plain_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    # Browsers read "\" as "/" ("/\evil" is "//evil") and strip tab/CR/LF before
    # resolving (WHATWG URL), so neither may appear anywhere.
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def is_safe_redirect(value: str | None) -> bool:
    """Tell whether ``value`` is a same-origin relative path that is safe to redirect to.

    Args:
        value: a candidate such as a ``next`` query parameter.

    Returns:
        True only for paths like ``/dashboard?tab=1``; False for anything that could
        leave the site (``//evil``, ``https://evil``, ``/\\evil``, ``/%2f%2fevil``,
        ``javascript:``, control characters, over-long values).
    """
    if not value or len(value) > MAX_REDIRECT_LENGTH:
        return False
    current = value
    # Percent-decoding may happen again downstream (proxies, frameworks), so every
    # decoded form must be safe too (OWASP ASVS 5.1.5).
    for _ in range(_DECODE_ROUNDS + 1):
        if not _plain_path(current):
            return False
        decoded = unquote(current)
        if decoded == current:
            return True
        current = decoded
    return False


def safe_next(value: str | None, *, default: str = "/") -> str:
    """Return ``value`` when it is a safe relative path, else ``default``.

    Args:
        value: the candidate (``next`` parameter, stored return-to).
        default: where to go instead.

    Returns:
        A path that stays on this site.
    """
    return value if value is not None and is_safe_redirect(value) else default
