"""The stored form of a Redis session record: a JSON array, deflated with a preset dictionary.

Part of the Redis store's layout (see :mod:`gatepass.sessions.stores.redis` for why):
a value not in this form (an earlier layout's, damaged, foreign) decodes as no record.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import orjson

from gatepass.sessions.stores.base import SessionRecord

__all__ = ["decode_record", "encode_record"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_FORMAT = b"\x01"  # the first byte of every record of this layout
MAX_RECORD_BYTES = 1 << 20  # a decoded record larger than this is not one

# The preset dictionary: part of the stored format, so a change needs a new _FORMAT.
# Deflate codes nearer matches in fewer bits, so the most common text comes last; the
# User-Agents are the frozen forms of current browsers, version numbers left out.
_PRESET = "".join(
    [
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) CriOS/.0.0.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:.0) Gecko/20100101 Firefox/.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:.0) Gecko/20100101 Firefox/.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:.0) Gecko/20100101 Firefox/.0",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/.0.0.0 Safari/537.36 Edg/.0.0.0",
        '"_gatepass_flash":[["_gatepass_csrf":"_gatepass_oauth.',
        '[{"_gatepass_users":{"default":"","_gatepass_uid":"',
    ]
).encode()
_WINDOW_BITS = -11  # raw DEFLATE (no header, no checksum); a 2 KiB window holds _PRESET
# Compressor and decompressor with the dictionary loaded, never used themselves: each
# record is coded by a copy, cheaper than loading the dictionary again. Fixed Huffman
# codes and the smallest hash table: a record is a few hundred bytes, too short for
# either to shrink it, and the copy is faster.
_DEFLATE = zlib.compressobj(9, zlib.DEFLATED, _WINDOW_BITS, 1, zlib.Z_FIXED, _PRESET)
_INFLATE = zlib.decompressobj(_WINDOW_BITS, _PRESET)


def encode_record(record: SessionRecord) -> bytes:
    """Serialise a record in the compressed form this store keeps.

    ``_FORMAT`` then, deflated, ``[data, user, created_ms, seen_after_ms, remember,
    user_agent]``. Record lengths never leave the server, so the compression side
    channel of CRIME and BREACH (CVE-2012-4929) has no one to observe it.

    Args:
        record: the record.

    Returns:
        The bytes to store.
    """
    created = (record.created_at - _EPOCH) // _MS
    text = orjson.dumps(
        [
            record.data,
            record.user_id,
            created,
            (record.last_seen - _EPOCH) // _MS - created,
            int(record.remember),
            record.user_agent,
        ]
    )
    deflate = _DEFLATE.copy()
    return _FORMAT + deflate.compress(text) + deflate.flush()


def decode_record(raw: bytes | str) -> SessionRecord | None:
    """Rebuild a record written by :func:`encode_record`.

    Args:
        raw: the stored bytes.

    Returns:
        The record, or ``None`` when the value is not one (a damaged or foreign value
        is no session, never an error page).
    """
    if not (isinstance(raw, bytes) and raw.startswith(_FORMAT)):
        return None
    try:
        inflate = _INFLATE.copy()
        # Bounded: a foreign value in Redis cannot inflate into gigabytes (CWE-409).
        text = inflate.decompress(raw[len(_FORMAT) :], MAX_RECORD_BYTES)
        if not inflate.eof or inflate.unconsumed_tail:
            return None
        data, user, created, seen_after, remember, agent = orjson.loads(text)
        if not (
            isinstance(data, dict)
            and (user is None or isinstance(user, str))
            and type(created) is int
            and type(seen_after) is int
            and isinstance(agent, str)
        ):
            return None
        created_at = _EPOCH + created * _MS
        return SessionRecord(
            data=data,
            user_id=user,
            created_at=created_at,
            last_seen=created_at + seen_after * _MS,
            remember=remember == 1,
            user_agent=agent,
        )
    except (zlib.error, ValueError, TypeError, OverflowError):
        return None
