"""The Redis store's compact layout: what it writes, and what it does with what it cannot read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepass.sessions import SessionRecord
from gatepass.sessions.session import USER_ID_KEY
from gatepass.sessions.stores.redis import RedisSessionStore, decode_record, encode_record

HOUR = timedelta(hours=1)
INT64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON through orjson holds
CREATED = datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def _logged_in(user_id: str = "u" * 22) -> SessionRecord:
    return SessionRecord(
        data={USER_ID_KEY: user_id, "_gatepass_users": {"default": user_id}},
        user_id=user_id,
        created_at=CREATED,
        last_seen=CREATED + timedelta(minutes=3),
        user_agent=AGENT,
    )


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisSessionStore]:
    store = RedisSessionStore.from_url(redis_url, prefix=f"test:{uuid.uuid4().hex}:")
    yield store
    await store.clear()
    await store.close()


def test_a_logged_in_record_does_not_store_its_user_id_twice() -> None:
    record = _logged_in("alice-0123456789")
    encoded = encode_record(record)
    assert encoded.count(b"alice-0123456789") == 2  # the two data entries, no third copy
    assert b"created_at" not in encoded
    assert decode_record(encoded) == record


def test_a_record_whose_owner_differs_from_its_data_keeps_both() -> None:
    record = SessionRecord(
        data={USER_ID_KEY: "alice"}, user_id="bob", created_at=CREATED, last_seen=CREATED
    )
    assert decode_record(encode_record(record)) == record


def test_timestamps_are_kept_to_the_millisecond() -> None:
    seen = CREATED + timedelta(hours=5, microseconds=456789)
    record = SessionRecord(data={}, user_id=None, created_at=CREATED, last_seen=seen)
    decoded = decode_record(encode_record(record))
    assert decoded is not None
    assert decoded.created_at == CREATED
    assert decoded.last_seen == seen - timedelta(microseconds=789)


@given(
    data=st.dictionaries(st.text(max_size=8), INT64 | st.text(max_size=8), max_size=4),
    user=st.none() | st.text(max_size=30),
    remember=st.booleans(),
    agent=st.text(max_size=200),
    seconds=st.integers(min_value=0, max_value=4_000_000_000),
)
def test_every_record_survives_the_compact_encoding(
    data: dict[str, object], user: str | None, remember: bool, agent: str, seconds: int
) -> None:
    created = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    record = SessionRecord(
        data=dict(data),
        user_id=user,
        created_at=created,
        last_seen=created + timedelta(minutes=1),
        remember=remember,
        user_agent=agent,
    )
    assert decode_record(encode_record(record)) == record


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"",
        b"[]",
        b"{}",
        b'[{}, 0, 1, 2, 0, ""]',  # owner "in the data", but the data names nobody
        b'[{"_gatepass_uid": 7}, 0, 1, 2, 0, ""]',
        b'[[], null, 1, 2, 0, ""]',
        b'[{}, null, 1.5, 2, 0, ""]',
        b'[{}, null, 99999999999999999999, 0, 0, ""]',
        b"[{}, null, 1, 2, 0, 3]",
        orjson.dumps(
            {
                "data": {},
                "user_id": None,
                "created_at": 1.0,
                "last_seen": 1.0,
                "remember": False,
                "user_agent": "",
            }
        ),
    ],
)
def test_a_value_that_is_not_a_record_decodes_as_none(raw: bytes) -> None:
    assert decode_record(raw) is None


async def test_an_unreadable_stored_value_loads_as_no_session(
    redis_store: RedisSessionStore,
) -> None:
    await redis_store.client.set(redis_store._key("old"), b'{"data": {}, "user_id": null}')
    assert await redis_store.load("old") is None


async def test_listing_prunes_index_entries_whose_record_is_unreadable(
    redis_store: RedisSessionStore,
) -> None:
    await redis_store.save("good", _logged_in("alice"), ttl=HOUR)
    await redis_store.save("bad", _logged_in("alice"), ttl=HOUR)
    await redis_store.client.set(redis_store._key("bad"), b"garbage")
    assert [s.session_id for s in await redis_store.list_user_sessions("alice")] == ["good"]
    assert await redis_store.client.hkeys(redis_store._user_key("alice")) == [b"good"]


async def test_the_user_index_is_a_small_listpack_hash(redis_store: RedisSessionStore) -> None:
    for i in range(3):
        await redis_store.save(f"id-{i}", _logged_in("alice"), ttl=HOUR)
    index = redis_store._user_key("alice")
    assert await redis_store.client.type(index) == b"hash"
    assert await redis_store.client.object("encoding", index) == b"listpack"


async def test_a_logged_in_session_stays_small_in_redis(redis_store: RedisSessionStore) -> None:
    session_id = "s" * 43  # the length of a real id (secrets.token_urlsafe(32))
    user_id = "u" * 22
    await redis_store.save(session_id, _logged_in(user_id), ttl=HOUR)
    record = await redis_store.client.memory_usage(redis_store._key(session_id), samples=0)
    index = await redis_store.client.memory_usage(redis_store._user_key(user_id), samples=0)
    # Redis 7.0, this test's key lengths: 392 B and 184 B; the dict record with float
    # timestamps took about 490 B and the index as a set about 260 B.
    assert record is not None
    assert record <= 400
    assert index is not None
    assert index <= 200


async def test_an_index_left_as_a_set_by_the_earlier_layout_does_not_block_login(
    redis_store: RedisSessionStore,
) -> None:
    index = redis_store._user_key("alice")
    await redis_store.client.sadd(index, "old-id")
    await redis_store.client.set(redis_store._key("old-id"), _logged_in("alice").to_json())
    assert await redis_store.list_user_sessions("alice") == []
    await redis_store.client.sadd(index, "old-id")
    await redis_store.save("new-id", _logged_in("alice"), ttl=HOUR)
    assert await redis_store.client.hkeys(index) == [b"new-id"]
    assert [s.session_id for s in await redis_store.list_user_sessions("alice")] == ["new-id"]
    await redis_store.client.sadd(redis_store._user_key("bob"), "old-id")
    assert await redis_store.delete_user_sessions("bob") == 0
