"""AnonymousStrategy, CustomStrategy, SessionStrategy and the Strategy protocol."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from gatepass.strategies import (
    PASS,
    AnonymousStrategy,
    CustomStrategy,
    Fail,
    Outcome,
    Redirect,
    SessionStrategy,
    Strategy,
    Success,
)
from gatepass.testing import run_strategy


async def test_anonymous_succeeds_with_no_user() -> None:
    assert await run_strategy(AnonymousStrategy()) == Success(None, {"anonymous": True})


async def test_custom_strategy_runs_sync_and_async_functions() -> None:
    def sync_fn(request: HTTPConnection) -> Outcome:
        return Success(request.headers.get("x-user"))

    async def async_fn(request: HTTPConnection) -> Outcome:
        return Redirect("/elsewhere", 303)

    assert await run_strategy(CustomStrategy(sync_fn), headers={"x-user": "u"}) == Success("u")
    assert await run_strategy(CustomStrategy(async_fn)) == Redirect("/elsewhere", 303)


async def test_session_strategy_passes_without_a_stored_user() -> None:
    async def restore(request: HTTPConnection, scope: str) -> Any:
        return {"admin": "root"}.get(scope)

    strategy = SessionStrategy(restore)
    assert await run_strategy(strategy) == PASS
    outcome = await run_strategy(strategy, scope="admin")
    assert outcome == Success("root", {"method": "session"})


def test_every_builtin_strategy_satisfies_the_protocol() -> None:
    async def restore(request: HTTPConnection, scope: str) -> Any:
        return None

    for strategy in (
        AnonymousStrategy(),
        CustomStrategy(lambda r: Fail()),
        SessionStrategy(restore),
    ):
        assert isinstance(strategy, Strategy)


async def test_a_ten_line_strategy_from_the_docs_works() -> None:
    class HeaderStrategy:
        """Trust a header set by the company's proxy (example from docs/strategies.md)."""

        name = "proxy"

        async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
            user = request.headers.get("x-forwarded-user")
            if user is None:
                return PASS
            return Success({"id": user})

    strategy = HeaderStrategy()
    assert isinstance(strategy, Strategy)
    assert await run_strategy(strategy) == PASS
    assert await run_strategy(strategy, headers={"x-forwarded-user": "ann"}) == Success(
        {"id": "ann"}
    )
