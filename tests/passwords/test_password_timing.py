"""Unknown and known emails take the same time through ``verify_credentials``.

A behaviour test of the equal-time path (OWASP ASVS 2.2 / user enumeration), at the
real default argon2id parameters. Robust on a busy machine: warm-up first, then the
two kinds of tries run as back-to-back pairs (in alternating order), so a busy
moment hits both tries of a pair alike; the median of the per-pair time ratios is
what must stay within 1.2.
"""

from __future__ import annotations

import statistics
import time

from gatepass.passwords import PasswordHasher, verify_credentials
from gatepass.users import MemoryUserStore

TRIES = 50
WARM_UP = 5


async def test_unknown_and_known_email_take_statistically_the_same_time() -> None:
    hasher = PasswordHasher()  # default: OWASP minimum, m=19 MiB, t=2, p=1
    store = MemoryUserStore()
    await store.create(email="known@example.com", password_hash=hasher.hash("right password"))

    async def timed(email: str) -> float:
        start = time.perf_counter()
        result = await verify_credentials(store, hasher, email, "wrong password")
        elapsed = time.perf_counter() - start
        assert result is None
        return elapsed

    for _ in range(WARM_UP):
        await timed("known@example.com")
        await timed("unknown@example.com")

    known: list[float] = []
    unknown: list[float] = []
    for attempt in range(TRIES):
        if attempt % 2:
            known.append(await timed("known@example.com"))
            unknown.append(await timed("unknown@example.com"))
        else:
            unknown.append(await timed("unknown@example.com"))
            known.append(await timed("known@example.com"))

    ratios = [k / u for k, u in zip(known, unknown, strict=True)]
    median_ratio = statistics.median(ratios)
    spread = max(median_ratio, 1 / median_ratio)
    known_median = statistics.median(known)
    unknown_median = statistics.median(unknown)
    assert spread <= 1.2, (
        f"median known/unknown ratio {median_ratio:.3f} (medians: known "
        f"{known_median * 1000:.2f} ms, unknown {unknown_median * 1000:.2f} ms)"
    )
    # The equal time is argon2's, not an empty fast path on both sides.
    assert min(known_median, unknown_median) > 0.002
