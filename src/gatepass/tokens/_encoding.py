"""Strict base64url and JSON for JOSE: canonical encodings only, no duplicate names."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Final

import orjson

from gatepass.errors import MalformedTokenError


def _strict_table() -> bytes:
    table = bytearray(range(256))
    for char in b"+/=":
        table[char] = ord("!")  # not base64: strict decoding will refuse it
    table[ord("-")], table[ord("_")] = ord("+"), ord("/")
    return bytes(table)


# base64url -> base64 for ``a2b_base64(strict_mode=True)``, with the characters that
# are only valid in standard base64 ('+', '/', '=') mapped to one it refuses.
TO_STRICT: Final = _strict_table()
PADDING: Final = (b"", b"===", b"==", b"=")
# The last character of a 2- or 3-character tail must leave its unused bits zero,
# otherwise two strings decode to the same bytes (RFC 4648 §3.5, canonical encoding).
_TAIL2: Final = frozenset(b"AQgw")
_TAIL3: Final = frozenset(b"AEIMQUYcgkosw048")
# Allowed last byte of a segment, by its length modulo 4 (1 is never valid).
TAILS: Final = (frozenset(range(256)), frozenset[int](), _TAIL2, _TAIL3)
_WHITESPACE: Final = b" \t\n\r"
# Deep nesting costs recursion in any exact parser (the json fallback hits Python's
# limit near 1000 levels, orjson accepts 1023); no JOSE header or JWT needs more than
# a few levels (CWE-674, uncontrolled recursion).
MAX_JSON_DEPTH: Final = 32
_a2b = binascii.a2b_base64
_loads = orjson.loads


def b64encode(data: bytes) -> bytes:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def canonical(segment: bytes) -> bool:
    """Whether a segment's length and last character are canonical (RFC 4648 §3.5).

    The alphabet itself is checked when the segment is decoded strictly.
    """
    return not segment or segment[-1] in TAILS[len(segment) & 3]


def b64decode(segment: bytes) -> bytes:
    """Decode a strict base64url segment: alphabet only, no ``=``, canonical tail.

    Raises:
        MalformedTokenError: anything else (``base64.urlsafe_b64decode`` would
            silently skip stray characters; this does not).
    """
    if canonical(segment):
        try:
            return _a2b(segment.translate(TO_STRICT) + PADDING[len(segment) & 3], strict_mode=True)
        except binascii.Error:
            pass
    raise MalformedTokenError("The value is not strict base64url (RFC 7515 §2).")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        names = sorted({name for name, _ in pairs if sum(1 for n, _ in pairs if n == name) > 1})
        # RFC 7515 §5.2 / RFC 8259 §4: duplicate member names make the token
        # mean different things to different parsers; refuse them.
        raise MalformedTokenError(f"The token repeats the member name(s) {names}.")
    return result


def loads_object(raw: bytes, what: str) -> dict[str, Any]:
    """Parse a JSON object, refusing duplicate member names at any depth.

    orjson does not report duplicates, so its result is cross-checked: every
    member needs a ``:`` right after a closing quote (possibly after whitespace);
    when that count equals the number of top-level members there can be neither
    nested members nor duplicates (strings holding ``":`` only raise the count).
    Otherwise the slower exact parse decides.

    Args:
        raw: the JSON text.
        what: ``"header"`` or ``"payload"``, for the message.

    Returns:
        The object as a dict.

    Raises:
        MalformedTokenError: not JSON, not an object, or duplicate names.
    """
    try:
        value = _loads(raw)
    except orjson.JSONDecodeError:
        raise MalformedTokenError(f"The token {what} is not valid JSON.") from None
    if type(value) is not dict:
        raise MalformedTokenError(f"The token {what} is not a JSON object.")
    # Each level needs a bracket: only a text with many of them can be deep.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _too_deep(value):
        raise MalformedTokenError(
            f"The token {what} is nested more than {MAX_JSON_DEPTH} levels deep."
        )
    # Whitespace may sit between a name and its ':'; drop it before counting.
    if raw.translate(None, _WHITESPACE).count(b'":') != len(value):
        # Rare: nested objects, or text that contains '":'. Parse exactly.
        try:
            parsed: dict[str, Any] = json.loads(raw, object_pairs_hook=_refuse_duplicates)
        except (RecursionError, ValueError):
            # Never a 500 for token text (the depth check makes this a last resort).
            raise MalformedTokenError(f"The token {what} is not valid JSON.") from None
        return parsed
    return value


def _too_deep(value: dict[str, Any]) -> bool:
    # Iterative, so checking a deep value cannot itself exhaust the stack.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        for child in item.values() if type(item) is dict else item:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False
