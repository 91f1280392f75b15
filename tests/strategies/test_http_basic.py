"""HTTPBasicStrategy (RFC 7617)."""

from __future__ import annotations

import base64
import threading

import pytest

from gatepass.strategies import Fail, HTTPBasicStrategy, Success
from gatepass.testing import run_strategy

CHALLENGE = 'Basic realm="api", charset="UTF-8"'


def basic(pair: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def strategy() -> HTTPBasicStrategy:
    return HTTPBasicStrategy(lambda u, p: u if p == "s:cr€t" else None, realm="api")


async def test_valid_pair_succeeds_and_password_may_hold_colons_and_utf8() -> None:
    assert await run_strategy(strategy(), headers=basic("zoë:s:cr€t")) == Success("zoë")


async def test_no_header_fails_with_challenge() -> None:
    outcome = await run_strategy(strategy())
    assert isinstance(outcome, Fail)
    assert outcome.challenge == CHALLENGE
    assert outcome.status == 401


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!",
        "Basic " + base64.b64encode(b"nocolon").decode(),
        "Basic " + base64.b64encode(b"\xff:x").decode(),
        "Basic " + base64.b64encode(b":pw").decode(),
    ],
)
async def test_malformed_credentials_fail_with_challenge(header: str) -> None:
    outcome = await run_strategy(strategy(), headers={"authorization": header})
    assert outcome == Fail(challenge=CHALLENGE, message="Malformed Basic credentials.")


async def test_wrong_password_fails_with_challenge() -> None:
    outcome = await run_strategy(strategy(), headers=basic("zoë:nope"))
    assert isinstance(outcome, Fail)
    assert outcome.challenge == CHALLENGE


async def test_other_scheme_is_ignored_as_missing() -> None:
    outcome = await run_strategy(strategy(), headers={"authorization": "Bearer abc"})
    assert isinstance(outcome, Fail)
    assert outcome.message == "Basic credentials are required."


async def test_a_sync_verify_runs_in_a_worker_thread_off_the_event_loop() -> None:
    threads: list[int] = []

    def blocking_verify(username: str, password: str) -> str:
        threads.append(threading.get_ident())
        return username

    outcome = await run_strategy(HTTPBasicStrategy(blocking_verify), headers=basic("zoë:pw"))
    assert outcome == Success("zoë")
    assert threads
    assert threading.get_ident() not in threads


async def test_a_verify_object_with_an_async_call_is_awaited_on_the_loop() -> None:
    threads: list[int] = []

    class Verifier:
        async def __call__(self, username: str, password: str) -> str:
            threads.append(threading.get_ident())
            return username

    outcome = await run_strategy(HTTPBasicStrategy(Verifier()), headers=basic("zoë:pw"))
    assert outcome == Success("zoë")
    assert threads == [threading.get_ident()]
