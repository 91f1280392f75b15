"""The Redis store's compact layout: what it writes, and what it does with what it cannot read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from gatepass.authenticator import SESSION_TEXT
from gatepass.sessions import SessionRecord
from gatepass.sessions.session import USER_ID_KEY
from gatepass.sessions.stores import redis as layout_store
from gatepass.sessions.stores import redis_record as layout
from gatepass.sessions.stores.redis import RecordLayout, RedisSessionStore
from sessions.session_helpers import FakeClock

HOUR = timedelta(hours=1)
INT64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON through orjson holds
CREATED = datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSERS = {
    "chrome": CHROME,
    "edge": CHROME.replace("131", "133") + " Edg/133.0.0.0",
    "chrome-mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/133.0.0.0 Safari/537.36"
    ),
    "chrome-android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
    "firefox": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "safari": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.2 Safari/605.1.15"
    ),
    "iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
    ),
}


def _logged_in(user_id: str = "u" * 22, agent: str = CHROME) -> SessionRecord:
    return SessionRecord(
        # What a login through the Authenticator leaves, in its order.
        data={"_gatepass_users": {"default": user_id}, USER_ID_KEY: user_id},
        user_id=user_id,
        created_at=CREATED,
        last_seen=CREATED + timedelta(minutes=3),
        user_agent=agent,
    )


# The layout the server uses: gatepass's own session text in the dictionary.
GATEPASS = RecordLayout(SESSION_TEXT)
encode_record = GATEPASS.encode
decode_record = GATEPASS.decode


def _deflated(text: bytes) -> bytes:
    """JSON text in this layout's wrapping, whether or not it is a record."""
    deflate = GATEPASS._deflate.copy()
    return GATEPASS._header + deflate.compress(text) + deflate.flush()


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisSessionStore]:
    store = RedisSessionStore.from_url(
        redis_url, prefix=f"test:{uuid.uuid4().hex}:", session_text=SESSION_TEXT
    )
    yield store
    await store.clear()
    await store.close()


@pytest.fixture
async def one_bucket(redis_url: str) -> AsyncIterator[RedisSessionStore]:
    """A store whose users all share one index bucket, as a few dozen do at scale."""
    store = RedisSessionStore(
        Redis.from_url(redis_url), prefix=f"test:{uuid.uuid4().hex}:", index_buckets=1
    )
    yield store
    await store.clear()
    await store.close()


@pytest.mark.parametrize("agent", BROWSERS.values(), ids=BROWSERS.keys())
def test_a_login_record_of_a_current_browser_takes_under_80_bytes(agent: str) -> None:
    # "u" * 22 would compress; a real user id does not.
    record = _logged_in("1MQZi_xmKrNF_J8cQWctvw", agent)
    encoded = encode_record(record)
    assert len(encoded) < 80
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
        b'[{}, null, 1, 2, 0, ""]',  # the earlier layout: plain JSON
        _logged_in().to_json(),  # the layout before that
        layout._FORMAT,
        GATEPASS._header,
        GATEPASS._header + b"\xff\x00garbage",
        encode_record(_logged_in())[:-3],  # cut short
        encode_record(_logged_in()).decode("latin-1"),  # text, not bytes
        _deflated(b"[]"),
        _deflated(b"{}"),
        _deflated(b'[[], null, 1, 2, 0, ""]'),
        _deflated(b'[{}, 7, 1, 2, 0, ""]'),
        _deflated(b'[{}, null, 1.5, 2, 0, ""]'),
        _deflated(b'[{}, null, 99999999999999999999, 0, 0, ""]'),
        _deflated(b"[{}, null, 1, 2, 0, 3]"),
        _deflated(b"[{}, null, 1, 2, 0]"),
    ],
)
def test_a_value_that_is_not_a_record_decodes_as_none(raw: bytes | str) -> None:
    assert decode_record(raw) is None


def test_a_record_coded_with_other_session_text_is_no_record() -> None:
    # Two processes given different text never misread each other's records.
    other = RecordLayout(('"_app_cart":[',))
    assert other.decode(encode_record(_logged_in())) is None
    assert decode_record(other.encode(_logged_in())) is None
    assert RecordLayout().decode(RecordLayout().encode(_logged_in())) == _logged_in()


def test_session_text_too_long_for_the_dictionary_is_refused() -> None:
    with pytest.raises(ValueError, match="session_text"):
        RecordLayout(["x" * 2000])


def test_a_value_inflating_past_the_bound_is_no_record() -> None:
    agent = "x" * layout.MAX_RECORD_BYTES
    bomb = _deflated(b'[{}, null, 1, 2, 0, "' + agent.encode() + b'"]')
    assert len(bomb) < 16_384  # a few KiB that would inflate to over a MiB
    assert decode_record(bomb) is None
    fits = _deflated(b'[{}, null, 1, 2, 0, "' + agent[:1000].encode() + b'"]')
    decoded = decode_record(fits)
    assert decoded is not None
    assert decoded.user_agent == agent[:1000]


async def test_an_unreadable_stored_value_loads_as_no_session(
    redis_store: RedisSessionStore,
) -> None:
    await redis_store.client.set(
        redis_store.record_prefix + "old", b'{"data": {}, "user_id": null}'
    )
    assert await redis_store.load("old") is None


async def test_a_session_of_the_earlier_layout_is_no_session_and_does_not_block_login(
    redis_store: RedisSessionStore,
) -> None:
    # The earlier layout: a plain JSON record and a per-user index hash. That session is
    # in no bucket, so "log out everywhere" could not end it: it must not load.
    old_record = orjson.dumps([{USER_ID_KEY: "alice"}, 0, 1, 2, 0, "Firefox"])
    await redis_store.client.set(redis_store.record_prefix + "old-id", old_record)
    await redis_store.client.hset(f"{redis_store.prefix}u:alice", "old-id", b"")
    assert await redis_store.load("old-id") is None
    assert await redis_store.list_user_sessions("alice") == []
    await redis_store.save("new-id", _logged_in("alice"), ttl=HOUR)
    assert [s.session_id for s in await redis_store.list_user_sessions("alice")] == ["new-id"]
    assert await redis_store.delete_user_sessions("alice") == 1


async def test_listing_prunes_index_entries_whose_record_is_gone_or_unreadable(
    redis_store: RedisSessionStore,
) -> None:
    for session_id in ("good", "bad", "ended"):
        await redis_store.save(session_id, _logged_in("alice"), ttl=HOUR)
    await redis_store.client.set(redis_store.record_prefix + "bad", b"garbage")
    await redis_store.delete("ended")
    assert [s.session_id for s in await redis_store.list_user_sessions("alice")] == ["good"]
    index = redis_store.index_key("alice")
    assert await redis_store.client.zrange(index, 0, -1) == [b"good"]


async def test_users_sharing_a_bucket_list_and_end_only_their_own_sessions(
    one_bucket: RedisSessionStore,
) -> None:
    store = one_bucket
    for session_id, user in (("a1", "alice"), ("a2", "alice"), ("b1", "bob")):
        await store.save(session_id, _logged_in(user), ttl=HOUR)
    assert store.index_key("alice") == store.index_key("bob")
    assert {s.session_id for s in await store.list_user_sessions("alice")} == {"a1", "a2"}
    assert await store.delete_user_sessions("alice", except_id="a2") == 1
    assert await store.delete_user_sessions("alice") == 1
    assert await store.load("b1") is not None
    assert [s.session_id for s in await store.list_user_sessions("bob")] == ["b1"]
    assert await store.client.zrange(store.index_key("bob"), 0, -1) == [b"b1"]


async def test_an_index_bucket_is_a_small_listpack_sorted_set(
    one_bucket: RedisSessionStore,
) -> None:
    for i in range(40):
        await one_bucket.save(f"{i:043d}", _logged_in(f"user-{i}"), ttl=HOUR)
    index = one_bucket.index_key("user-0")
    assert await one_bucket.client.type(index) == b"zset"
    assert await one_bucket.client.object("encoding", index) == b"listpack"
    assert await one_bucket.client.zcard(index) == 40


async def test_the_bucket_lives_as_long_as_its_longest_session(
    redis_store: RedisSessionStore,
) -> None:
    index = redis_store.index_key("alice")
    await redis_store.save("id-1", _logged_in("alice"), ttl=timedelta(minutes=5))
    assert 0 < await redis_store.client.pttl(index) <= 5 * 60 * 1000
    await redis_store.save("id-2", _logged_in("alice"), ttl=HOUR)
    assert await redis_store.client.pttl(index) > 5 * 60 * 1000
    await redis_store.save("id-3", _logged_in("alice"), ttl=timedelta(minutes=1))
    assert await redis_store.client.pttl(index) > 5 * 60 * 1000


async def test_a_save_drops_index_entries_of_sessions_expired_past_the_grace(
    redis_url: str, clock: FakeClock
) -> None:
    store = RedisSessionStore(
        Redis.from_url(redis_url),
        prefix=f"test:{uuid.uuid4().hex}:",
        index_buckets=1,
        clock=clock,
    )
    try:
        await store.save("short", _logged_in("alice"), ttl=timedelta(minutes=5))
        await store.save("long", _logged_in("bob"), ttl=HOUR)
        index = store.index_key("alice")
        clock.advance(timedelta(minutes=5, seconds=59))
        await store.save("next", _logged_in("carol"), ttl=HOUR)
        assert await store.client.zcard(index) == 3  # a clock running ahead drops nothing
        clock.advance(timedelta(seconds=2))
        await store.save("later", _logged_in("carol"), ttl=HOUR)
        assert set(await store.client.zrange(index, 0, -1)) == {b"long", b"next", b"later"}
    finally:
        await store.clear()
        await store.close()


def test_every_process_puts_a_user_in_the_same_bucket() -> None:
    # A keyed or per-process hash (Python's hash()) would scatter a user's sessions.
    store = RedisSessionStore(Redis(), prefix="p:")
    assert store.index_key("alice") == "p:i:5a89"
    assert RedisSessionStore(Redis(), prefix="p:", index_buckets=16).index_key("alice") == "p:i:9"


def test_index_buckets_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="index_buckets"):
        RedisSessionStore(Redis(), index_buckets=0)


async def test_a_logout_takes_its_entry_out_of_the_shared_bucket(
    redis_store: RedisSessionStore,
) -> None:
    await redis_store.save("kept", _logged_in("u-one"), ttl=timedelta(minutes=5))
    await redis_store.save("ended", _logged_in("u-one"), ttl=timedelta(minutes=5))
    index = redis_store.index_key("u-one")
    assert set(await redis_store.client.zrange(index, 0, -1)) == {b"kept", b"ended"}
    await redis_store.delete("ended")
    await redis_store.delete("ended")  # twice: nothing left to remove, no error
    assert await redis_store.client.zrange(index, 0, -1) == [b"kept"]
    assert await redis_store.load("ended") is None


async def test_a_bucket_larger_than_one_read_is_listed_and_ended_whole(
    redis_store: RedisSessionStore,
) -> None:
    count = 2 * layout_store._MGET_BATCH + 5  # three reads of the bucket's records
    for number in range(count):
        await redis_store.save(f"s{number}", _logged_in("u-many"), ttl=timedelta(minutes=5))
    assert len(await redis_store.list_user_sessions("u-many")) == count
    assert await redis_store.delete_user_sessions("u-many", except_id="s7") == count - 1
    assert [s.session_id for s in await redis_store.list_user_sessions("u-many")] == ["s7"]
