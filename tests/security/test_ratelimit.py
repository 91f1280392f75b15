"""Rate limits and the login throttle, on the in-process and the Redis storage."""

from __future__ import annotations

import asyncio
import socket
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from limits.aio.storage import Storage
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gatepass.errors import ConfigurationError, RateLimitedError, StoreUnavailableError
from gatepass.security.ratelimit import (
    LoginThrottle,
    RateLimiter,
    account_key,
    address_key,
    memory_storage,
    redis_storage,
)


@dataclass
class Storages:
    """Makes storages that share counters, as two server processes would."""

    name: str
    make: Callable[[], Storage]
    clients: list[Redis] = field(default_factory=list)


@pytest.fixture(params=["memory", "redis"])
async def storages(request: pytest.FixtureRequest) -> AsyncIterator[Storages]:
    """Memory: one shared storage. Redis: a new client per storage, one key prefix."""
    if request.param == "memory":
        shared = memory_storage()
        yield Storages("memory", lambda: shared)
        return
    url: str = request.getfixturevalue("redis_url")
    prefix = f"gatepass-test-limits:{uuid.uuid4().hex}"
    result = Storages("redis", lambda: storage_on_new_client())

    def storage_on_new_client() -> Storage:
        client = Redis.from_url(url)
        result.clients.append(client)
        return redis_storage(client, key_prefix=prefix)

    try:
        yield result
    finally:
        if result.clients:
            client = result.clients[0]
            keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
            if keys:
                await client.delete(*keys)
        for client in result.clients:
            await client.aclose()


async def test_attempt_past_the_account_limit_is_refused_with_retry_after(
    storages: Storages,
) -> None:
    throttle = LoginThrottle(storages.make(), per_account="3/minute", per_address="100/minute")
    for _ in range(3):
        await throttle.check(account="alice@example.com", address="192.0.2.1")

    with pytest.raises(RateLimitedError) as caught:
        await throttle.check(account="alice@example.com", address="192.0.2.1")

    assert 1 <= caught.value.retry_after <= 60
    assert caught.value.status_code == 429
    await throttle.check(account="bob@example.com", address="192.0.2.1")


async def test_attempt_past_the_address_limit_is_refused_whatever_the_account(
    storages: Storages,
) -> None:
    throttle = LoginThrottle(storages.make(), per_account="100/minute", per_address="3/minute")
    for i in range(3):
        await throttle.check(account=f"user{i}@example.com", address="192.0.2.1")

    with pytest.raises(RateLimitedError):
        await throttle.check(account="fresh@example.com", address="192.0.2.1")
    await throttle.check(account="fresh@example.com", address="192.0.2.2")


async def test_counters_are_shared_between_two_limiter_instances(storages: Storages) -> None:
    first = LoginThrottle(storages.make(), per_account="4/minute")
    second = LoginThrottle(storages.make(), per_account="4/minute")
    for throttle in (first, second, first, second):
        await throttle.check(account="alice@example.com", address="192.0.2.1")

    with pytest.raises(RateLimitedError):
        await first.check(account="alice@example.com", address="192.0.2.1")
    with pytest.raises(RateLimitedError):
        await second.check(account="alice@example.com", address="192.0.2.1")


async def test_successful_login_resets_the_account_counter_at_that_address_only(
    storages: Storages,
) -> None:
    throttle = LoginThrottle(
        storages.make(), per_account="3/minute", per_address="8/minute", account_wide="50/minute"
    )
    for _ in range(2):
        await throttle.check(account="alice@example.com", address="192.0.2.1")
        await throttle.failed(account="alice@example.com", address="192.0.2.1")
    await throttle.check(account="alice@example.com", address="192.0.2.1")

    await throttle.succeeded(account="alice@example.com", address="192.0.2.1")

    for _ in range(3):
        await throttle.check(account="alice@example.com", address="192.0.2.1")
    limiter = throttle.limiter
    assert await limiter.remaining(LoginThrottle.ACCOUNT, account_key("alice@example.com")) == 44
    assert await limiter.remaining(LoginThrottle.ADDRESS, address_key("192.0.2.1")) == 2


async def test_attempts_from_one_address_leave_the_account_open_at_another(
    storages: Storages,
) -> None:
    throttle = LoginThrottle(storages.make(), per_account="3/minute", per_address="100/minute")
    refused = 0
    for _ in range(30):
        try:
            await throttle.check(account="alice@example.com", address="203.0.113.66")
        except RateLimitedError:
            refused += 1
    assert refused == 27

    await throttle.check(account="alice@example.com", address="198.51.100.7")


async def test_the_account_wide_limit_stops_attempts_spread_over_addresses(
    storages: Storages,
) -> None:
    throttle = LoginThrottle(
        storages.make(), per_account="3/minute", per_address="100/minute", account_wide="5/minute"
    )
    for number in range(5):
        await throttle.check(account="alice@example.com", address=f"192.0.2.{number}")

    with pytest.raises(RateLimitedError):
        await throttle.check(account="alice@example.com", address="192.0.2.99")
    await throttle.check(account="bob@example.com", address="192.0.2.99")


async def test_the_account_wide_limit_is_ten_times_the_strict_one_by_default(
    storages: Storages,
) -> None:
    throttle = LoginThrottle(storages.make(), per_account="2/minute", per_address="100/minute")
    for number in range(20):
        await throttle.check(account="alice@example.com", address=f"192.0.2.{number}")

    with pytest.raises(RateLimitedError):
        await throttle.check(account="alice@example.com", address="192.0.2.99")


async def test_unknown_and_known_accounts_are_limited_alike(storages: Storages) -> None:
    throttle = LoginThrottle(storages.make(), per_account="2/minute", per_address="100/minute")
    errors = []
    for account in ["registered@example.com", "no-such-user@example.com"]:
        for _ in range(2):
            await throttle.check(account=account, address="192.0.2.1")
        with pytest.raises(RateLimitedError) as caught:
            await throttle.check(account=account, address="192.0.2.1")
        errors.append((caught.value.to_dict(), caught.value.status_code))

    assert errors[0] == errors[1]


async def test_account_identifiers_are_normalized_before_counting(storages: Storages) -> None:
    throttle = LoginThrottle(storages.make(), per_account="2/minute", per_address="100/minute")
    await throttle.check(account="Alice@Example.com", address="192.0.2.1")
    await throttle.check(account="  alice@example.COM ", address="192.0.2.1")

    with pytest.raises(RateLimitedError):
        await throttle.check(account="alice@example.com", address="192.0.2.1")


async def test_concurrent_attempts_cannot_slip_past_the_limit(storages: Storages) -> None:
    throttle = LoginThrottle(storages.make(), per_account="5/minute", per_address="100/minute")

    results = await asyncio.gather(
        *(throttle.check(account="a@example.com", address="192.0.2.1") for _ in range(30)),
        return_exceptions=True,
    )

    assert results.count(None) == 5
    assert all(isinstance(r, RateLimitedError) for r in results if r is not None)


async def test_sliding_window_counter_strategy_limits_too(storages: Storages) -> None:
    limiter = RateLimiter(
        storages.make(), {"register": "2/hour"}, strategy="sliding-window-counter"
    )
    await limiter.hit("register", "192.0.2.1")
    await limiter.hit("register", "192.0.2.1")

    with pytest.raises(RateLimitedError) as caught:
        await limiter.hit("register", "192.0.2.1")

    assert 1 <= caught.value.retry_after <= 3600


async def test_named_limits_are_independent_and_test_does_not_count(storages: Storages) -> None:
    limiter = RateLimiter(storages.make(), {"refresh": "2/minute", "register": "1/minute"})
    await limiter.test("refresh", "k")
    await limiter.test("refresh", "k")
    await limiter.hit("refresh", "k")
    await limiter.hit("refresh", "k")

    with pytest.raises(RateLimitedError):
        await limiter.test("refresh", "k")
    await limiter.hit("register", "k")
    assert await limiter.remaining("refresh", "other") == 2


def test_unparseable_rate_is_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="5/minute"):
        RateLimiter(memory_storage(), {"login": "five per minute"})


async def test_unknown_limit_name_says_which_names_exist() -> None:
    limiter = RateLimiter(memory_storage(), {"refresh": "2/minute"})

    with pytest.raises(ConfigurationError, match="refresh"):
        await limiter.hit("registration", "k")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (" 192.0.2.7", "192.0.2.7"),
    ],
)
def test_addresses_of_one_client_share_a_counter(first: str, second: str) -> None:
    assert address_key(first) == address_key(second)


def test_distinct_ipv6_networks_get_distinct_counters() -> None:
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")


def test_account_key_does_not_contain_the_identifier() -> None:
    assert "alice" not in account_key("alice@example.com")


async def test_throttle_fails_closed_when_the_storage_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
    try:
        throttle = LoginThrottle(redis_storage(client))
        with pytest.raises(StoreUnavailableError):
            await throttle.check(account="a@example.com", address="192.0.2.1")
        with pytest.raises(StoreUnavailableError):
            await throttle.succeeded(account="a@example.com", address="192.0.2.1")
    finally:
        await client.aclose()


async def _start_redis(port: int) -> asyncio.subprocess.Process:
    # A private server this test kills to play an outage; never the shared one.
    process = await asyncio.create_subprocess_exec(
        "redis-server",
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    probe = Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
    try:
        for _ in range(100):
            try:
                await probe.ping()
                return process
            except (RedisError, OSError):
                await asyncio.sleep(0.02)
    finally:
        await probe.aclose()
    process.kill()
    await process.wait()
    raise RuntimeError(f"redis-server did not start on port {port}")


async def test_throttle_fails_closed_during_an_outage_and_recovers_after() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await _start_redis(port)
    client = Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
    try:
        throttle = LoginThrottle(redis_storage(client))
        await throttle.check(account="a@example.com", address="192.0.2.1")
        process.kill()
        await process.wait()

        with pytest.raises(StoreUnavailableError):
            await throttle.check(account="a@example.com", address="192.0.2.1")

        process = await _start_redis(port)
        await throttle.check(account="a@example.com", address="192.0.2.1")
    finally:
        await client.aclose()
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(("rate", "low", "high"), [("2/second", 1, 1), ("2/hour", 3590, 3600)])
async def test_retry_after_is_the_time_until_the_oldest_attempt_leaves_the_window(
    storages: Storages, rate: str, low: int, high: int
) -> None:
    limiter = RateLimiter(storages.make(), {"refresh": rate})
    await limiter.hit("refresh", "k")
    await limiter.hit("refresh", "k")

    with pytest.raises(RateLimitedError) as caught:
        await limiter.hit("refresh", "k")

    assert low <= caught.value.retry_after <= high


LOOK_ALIKES = [
    "alice@example.com",
    "\uff41lice@example.com",  # full-width a
    "al\uff49ce@example.com",  # full-width i
    "alice@\uff45xample.com",  # full-width e
    "alice\uff20example.com",  # full-width @
    " ALICE@example.com ",
]


@pytest.mark.parametrize("variant", LOOK_ALIKES)
def test_account_key_folds_unicode_look_alikes_as_account_lookup_does(variant: str) -> None:
    assert account_key(variant) == account_key("alice@example.com")


async def test_look_alike_spellings_share_one_per_account_budget() -> None:
    throttle = LoginThrottle(
        memory_storage(), per_account="2/minute", per_address="1000/minute", account_wide="5/minute"
    )
    allowed = 0
    for attempt in range(30):
        try:
            await throttle.check(
                account=LOOK_ALIKES[attempt % len(LOOK_ALIKES)], address=f"198.51.100.{attempt}"
            )
        except RateLimitedError:
            continue
        allowed += 1
    assert allowed == 5


def test_account_key_of_a_huge_identifier_is_refused_without_normalizing_it() -> None:
    tracemalloc.start()
    try:
        account_key("\ufdfa" * 200_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # NFKC would expand U+FDFA eighteen-fold (about 7 MB here); a capped key does not.
    assert peak < 2_000_000


def test_account_key_accepts_text_that_is_not_encodable() -> None:
    assert account_key("\ud800@example.com") != account_key("@example.com")


async def test_storage_failure_message_does_not_echo_the_driver_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
    try:
        throttle = LoginThrottle(redis_storage(client))
        with pytest.raises(StoreUnavailableError) as caught:
            await throttle.check(account="a@example.com", address="192.0.2.1")
    finally:
        await client.aclose()
    assert str(port) not in caught.value.message
    assert "127.0.0.1" not in caught.value.message
    assert caught.value.__cause__ is not None
