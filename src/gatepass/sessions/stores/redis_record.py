"""The stored form of a Redis session record: a JSON array, deflated with a preset dictionary.

Part of the Redis store's layout (see :mod:`gatepass.sessions.stores.redis` for why):
a value not in this form (an earlier layout's, damaged, foreign) decodes as no record.

The dictionary is the User-Agents of current browsers, then the text the app's layers
write into sessions, which each layer declares itself and the app hands to the store
(``RedisSessionStore(session_text=...)``; gatepass's own is
``gatepass.authenticator.SESSION_TEXT``). Every record names its dictionary by a
checksum, so processes given different text never misread each other's records.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import orjson

from gatepass.sessions.flash import FLASH_KEY
from gatepass.sessions.session import USER_ID_KEY
from gatepass.sessions.stores.base import SessionRecord

__all__ = ["RecordLayout", "decode_record", "encode_record"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_FORMAT = b"\x02"  # the first byte of every record of this layout; two of dictionary id follow
MAX_RECORD_BYTES = 1 << 20  # a decoded record larger than this is not one
MAX_DICTIONARY_BYTES = 2048  # zlib's window below (2 KiB) must hold the whole dictionary

# Deflate codes nearer matches in fewer bits, so the most common text comes last; the
# User-Agents are the frozen forms of current browsers, version numbers left out.
_USER_AGENTS = "".join(
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
    ]
)
# This layer's own keys, as a record writes them: the flash list, and the owner's id
# after the entries before it (most often an object: the users of each auth scope).
_OWN_TEXT = f'"{FLASH_KEY}":[["'
_RECORD_TEXT = f'"}},"{USER_ID_KEY}":"'
_WINDOW_BITS = -11  # raw DEFLATE (no header, no checksum); a 2 KiB window
_MAX_TEXT = MAX_DICTIONARY_BYTES - len((_USER_AGENTS + _OWN_TEXT + _RECORD_TEXT).encode())


class RecordLayout:
    """Encode and decode records with a dictionary of the text an app's sessions hold.

    Args:
        session_text: fragments of session JSON the app's layers write (keys with the
            start of their values, e.g. ``'"_gatepass_users":{"default":"'``), most
            common last. Every process sharing a Redis prefix should give the same; a
            record written with other text loads as no session.

    Raises:
        ValueError: the text does not fit in the dictionary (about 1 KiB is free).
    """

    def __init__(self, session_text: Iterable[str] = ()) -> None:
        text = "".join(dict.fromkeys(session_text))
        if len(text.encode()) > _MAX_TEXT:
            raise ValueError(f"session_text is {len(text.encode())} bytes; at most {_MAX_TEXT}")
        preset = (_USER_AGENTS + _OWN_TEXT + text + _RECORD_TEXT).encode()
        self._header = _FORMAT + (zlib.adler32(preset) & 0xFFFF).to_bytes(2, "big")
        # Compressor and decompressor with the dictionary loaded, never used themselves:
        # each record is coded by a copy, cheaper than loading the dictionary again.
        # Fixed Huffman codes and the smallest hash table: a record is a few hundred
        # bytes, too short for either to shrink it, and the copy is faster.
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, _WINDOW_BITS, 1, zlib.Z_FIXED, preset)
        self._inflate = zlib.decompressobj(_WINDOW_BITS, preset)

    def encode(self, record: SessionRecord) -> bytes:
        """Serialise a record in the compressed form the store keeps.

        The header, then, deflated, ``[data, user, created_ms, seen_after_ms, remember,
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
        deflate = self._deflate.copy()
        return self._header + deflate.compress(text) + deflate.flush()

    def decode(self, raw: bytes | str) -> SessionRecord | None:
        """Rebuild a record written by :meth:`encode` with the same dictionary.

        Args:
            raw: the stored bytes.

        Returns:
            The record, or ``None`` when the value is not one (a damaged or foreign
            value, or one coded with another dictionary, is no session, never an error).
        """
        if not (isinstance(raw, bytes) and raw.startswith(self._header)):
            return None
        try:
            inflate = self._inflate.copy()
            # Bounded: a foreign value in Redis cannot inflate into gigabytes (CWE-409).
            text = inflate.decompress(raw[len(self._header) :], MAX_RECORD_BYTES)
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


_PLAIN = RecordLayout()


def encode_record(record: SessionRecord, layout: RecordLayout = _PLAIN) -> bytes:
    """Serialise a record (see :meth:`RecordLayout.encode`).

    Args:
        record: the record.
        layout: the dictionary to code with; by default no app text.

    Returns:
        The bytes to store.
    """
    return layout.encode(record)


def decode_record(raw: bytes | str, layout: RecordLayout = _PLAIN) -> SessionRecord | None:
    """Rebuild a record (see :meth:`RecordLayout.decode`).

    Args:
        raw: the stored bytes.
        layout: the dictionary it was coded with.

    Returns:
        The record, or ``None`` when the value is not one.
    """
    return layout.decode(raw)
