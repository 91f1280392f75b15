"""EmailLinkStrategy: a mailed link or code signs in once, while the account is unchanged."""

from __future__ import annotations

from dataclasses import dataclass

from gatepass.mail import MemoryOneTimeStore, OneTimeTokens
from gatepass.strategies import EmailLinkStrategy, Fail, Success
from gatepass.testing import run_strategy


@dataclass(frozen=True)
class Member:
    id: str
    email: str
    password_hash: str


ADA = Member("u1", "ada@example.com", "hash-1")


class Directory:
    """The app's users, as its verify callbacks see them."""

    def __init__(self) -> None:
        self.members = {ADA.id: ADA}

    async def by_id(self, user_id: str) -> Member | None:
        return self.members.get(user_id)

    async def by_email(self, email: str) -> Member | None:
        return next((m for m in self.members.values() if m.email == email.lower()), None)

    async def state_of(self, user_id: str) -> str | None:
        member = self.members.get(user_id)
        return None if member is None else member.password_hash


def setup() -> tuple[OneTimeTokens, Directory, EmailLinkStrategy]:
    tokens = OneTimeTokens(MemoryOneTimeStore(), secret=b"k" * 32)
    users = Directory()
    strategy = EmailLinkStrategy(
        tokens, state_of=users.state_of, find_by_id=users.by_id, find_by_email=users.by_email
    )
    return tokens, users, strategy


async def test_a_mailed_link_signs_in_once() -> None:
    tokens, _, strategy = setup()
    token = await tokens.issue("login_email", ADA.id, state=ADA.password_hash)
    first = await run_strategy(strategy, query={"token": token})
    assert first == Success(ADA, {"method": "link"})
    again = await run_strategy(strategy, query={"token": token})
    assert isinstance(again, Fail)
    assert (again.status, again.code) == (400, "invalid_token")


async def test_a_typed_code_with_its_address_signs_in_and_spends_the_link_too() -> None:
    tokens, _, strategy = setup()
    token = await tokens.issue("login_email", ADA.id, state=ADA.password_hash)
    code = await tokens.issue_code("login_email", ADA.id, state=ADA.password_hash)
    outcome = await run_strategy(
        strategy, method="POST", json={"email": "ADA@example.com", "code": code}
    )
    assert outcome == Success(ADA, {"method": "code"})
    assert isinstance(await run_strategy(strategy, query={"token": token}), Fail)


async def test_a_code_for_an_unknown_address_fails_like_a_wrong_one() -> None:
    tokens, _, strategy = setup()
    code = await tokens.issue_code("login_email", ADA.id, state=ADA.password_hash)
    unknown = await run_strategy(
        strategy, method="POST", form={"email": "nobody@example.com", "code": code}
    )
    wrong = await run_strategy(
        strategy,
        method="POST",
        form={"email": ADA.email, "code": "000000" if code != "000000" else "111111"},
    )
    assert unknown == wrong
    assert isinstance(unknown, Fail)


async def test_a_link_dies_when_the_password_changes() -> None:
    tokens, users, strategy = setup()
    token = await tokens.issue("login_email", ADA.id, state=ADA.password_hash)
    users.members[ADA.id] = Member(ADA.id, ADA.email, "hash-2")
    outcome = await run_strategy(strategy, query={"token": token})
    assert isinstance(outcome, Fail)


async def test_a_reset_link_is_no_sign_in_link() -> None:
    tokens, _, strategy = setup()
    token = await tokens.issue("reset_password", ADA.id, state=ADA.password_hash)
    assert isinstance(await run_strategy(strategy, query={"token": token}), Fail)


async def test_nothing_sent_lets_another_strategy_answer() -> None:
    _, _, strategy = setup()
    outcome = await run_strategy(strategy)
    assert isinstance(outcome, Fail)
    assert outcome.sent is False
