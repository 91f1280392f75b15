"""Token-supplied values in error messages: shown for debugging, never at length.

Error messages reach clients (JSON bodies, ``WWW-Authenticate``), so a value taken
from a token is shown ASCII-escaped and cut short: no header injection through
non-ASCII or control characters (CWE-113) and no amplification of a 16 KB token
into every error (CWE-400).
"""

from __future__ import annotations

from typing import Final

__all__ = ["ECHO_LIMIT", "echo"]

ECHO_LIMIT: Final = 64


def echo(value: object) -> str:
    """Show an untrusted value in a message: ``ascii()`` form, at most ``ECHO_LIMIT`` chars.

    Args:
        value: e.g. a header's ``kid`` or a claim.

    Returns:
        The quoted, escaped text, ending in ``...`` when cut.
    """
    text = ascii(value)
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "..."
