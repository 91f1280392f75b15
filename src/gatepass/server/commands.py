"""The administration commands of ``gatepass``: users, keys and tokens.

Each runs against the same stores and keys as the server, as the settings name them,
so ``gatepass users add`` on the server's machine creates an account it can log in to.
"""

from __future__ import annotations

import argparse
import getpass
import math
import sys
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import orjson

from gatepass.errors import GatepassError, TokenError
from gatepass.server.keyring import PUBLISH_AHEAD
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from gatepass.tokens import decode_unverified

Command = Callable[[ServerState, argparse.Namespace, TextIO], Awaitable[int]]


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[ServerState]:
    """The server's state with its stores open, for one command.

    Args:
        settings: the validated settings.

    Yields:
        The state.
    """
    state = ServerState.build(settings)
    await state.backends.open()
    try:
        yield state
    finally:
        await state.audit.recorder.flush()
        await state.backends.close()


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        # A forged token may carry any number; inspecting it must not crash.
        return f"{epoch} (not a representable time)"


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise SystemExit("gatepass: the two passwords differ; nothing was changed.")
    return first


def _read_token(value: str) -> str:
    # "-" reads the token from stdin, so it stays out of shell history and `ps`.
    return sys.stdin.readline().strip() if value == "-" else value.strip()


async def users_add(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass users add EMAIL``: create an account (password prompted or on stdin)."""
    password = _read_password(args)
    problems = state.policy.problems(password, email=args.email)
    if problems:
        out.write("gatepass: the password is not accepted:\n")
        out.writelines(f"  - {problem}\n" for problem in problems)
        return 1
    password_hash = await state.hasher.hash_async(password)
    user = await state.backends.users.create(
        email=args.email, password_hash=password_hash, display_name=args.display_name
    )
    state.security.event("user.created", channel="cli", user_id=user.id)
    out.write(f"created {user.email} (id {user.id})\n")
    return 0


async def users_list(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass users list``: every account, oldest first."""
    users = await state.backends.users.list_users(limit=args.limit, offset=args.offset)
    out.write(f"{'EMAIL':<36} {'ID':<24} {'STATUS':<9} CREATED\n")
    for user in users:
        status = "active" if user.is_active else "disabled"
        created = user.created_at.strftime("%Y-%m-%d %H:%M")
        out.write(f"{user.email:<36} {user.id:<24} {status:<9} {created}\n")
    return 0


async def users_disable(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass users disable EMAIL``: no more logins; existing tokens are revoked."""
    user = await state.backends.users.find_by_email(args.email)
    if user is None:
        out.write(f"gatepass: no account with the email {args.email}\n")
        return 1
    await state.backends.users.disable(user.id)
    # Sessions end on their next request (the deserializer refuses a disabled user);
    # tokens are revoked now (OWASP ASVS 3.3.3).
    # +1 s: the cut-off is "issued before", and a token from this very second must go too.
    await state.tokens.logout_everywhere(user.id, before=math.floor(time.time()) + 1)
    state.security.event("user.disabled", channel="cli", user_id=user.id)
    out.write(f"disabled {user.email}; its tokens are revoked\n")
    return 0


async def keys_list(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass keys list``: the trusted keys and what each is used for."""
    out.write(f"source: {state.keyring.source}\n")
    out.write(f"{'KID':<45} {'ALG':<6} {'CREATED':<24} STATUS\n")
    for info in state.keyring.describe():
        if info.current:
            status = "signing"
        elif info.retire_at is None:
            status = f"published; signs from {_when(info.activate_at)}"
        else:
            status = f"verifying until {_when(info.retire_at)}"
        created = _when(info.created_at or None)
        out.write(f"{info.kid:<45} {info.algorithm:<6} {created:<24} {status}\n")
    return 0


async def keys_rotate(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass keys rotate``: publish a new key; it signs once cached JWKS have expired."""
    old = state.keyring.keyset.current.kid
    ahead = timedelta(0) if args.now else PUBLISH_AHEAD
    key = state.keyring.rotate(algorithm=args.algorithm, publish_ahead=ahead)
    state.security.event("keys.rotated", channel="cli", old_kid=old, new_kid=key.kid)
    when = "now" if args.now else f"in {int(ahead.total_seconds() // 60)} minutes"
    out.write(
        f"new signing key {key.kid} ({key.algorithm}) signs {when}; {old} keeps verifying "
        f"until its tokens have expired\n"
    )
    return 0


async def token_issue(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass token issue EMAIL``: a token pair for an account, as JSON."""
    user = await state.backends.users.find_by_email(args.email)
    if user is None or not user.is_active:
        out.write(f"gatepass: no active account with the email {args.email}\n")
        return 1
    pair = await state.tokens.issue(user.id, scope=args.scope)
    state.security.event("token.issued", channel="cli", user_id=user.id)
    out.write(orjson.dumps(pair.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


async def token_verify(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass token verify TOKEN``: exit 0 and print the claims if the server accepts it."""
    try:
        claims = await state.tokens.verify(_read_token(args.token))
    except TokenError as exc:
        out.write(f"invalid: {exc.code}: {exc.message}\n")
        return 1
    out.write(orjson.dumps(claims, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _terminal_safe(text: str) -> str:
    """JSON text with control and format characters escaped as ``\\uXXXX``.

    An unverified token is attacker-written: C1 controls (ESC sequences) and bidi
    overrides would drive or disguise the operator's terminal (CWE-150, Trojan Source
    CVE-2021-42574). Outside strings JSON is ASCII, so escaping keeps it valid JSON.
    """

    def escape(char: str) -> str:
        if unicodedata.category(char) not in {"Cc", "Cf"} or char == "\n":
            return char
        encoded = char.encode("utf-16-be")
        units = [int.from_bytes(encoded[i : i + 2], "big") for i in range(0, len(encoded), 2)]
        return "".join(f"\\u{unit:04x}" for unit in units)

    return "".join(escape(char) for char in text)


async def token_inspect(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass token inspect TOKEN``: header and claims, and why it would be refused."""
    token = _read_token(args.token)
    try:
        header, claims = decode_unverified(token)
    except GatepassError as exc:
        out.write(f"not a JWT: {exc.message}\n")
        return 1
    dump = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    header_text = _terminal_safe(orjson.dumps(header, option=dump).decode())
    claims_text = _terminal_safe(orjson.dumps(claims, option=dump).decode())
    out.write("header (not verified):\n" + header_text + "\n")
    out.write("claims (not verified):\n" + claims_text + "\n")
    for name in ("iat", "nbf", "exp"):
        if isinstance(claims.get(name), int | float):
            out.write(f"  {name}: {_when(claims[name])}\n")
    try:
        await state.tokens.verify(token)
    except TokenError as exc:
        out.write(f"verdict: rejected ({exc.code}): {exc.message}\n")
        return 1
    except (OverflowError, OSError, ValueError):
        out.write("verdict: rejected: a time claim is out of range\n")
        return 1
    out.write("verdict: valid for this server\n")
    return 0


def add_admin_commands(commands: Any, run: Callable[[Command], Any]) -> None:
    """Add the ``users``, ``keys`` and ``token`` sub-commands to the parser.

    Args:
        commands: the top-level sub-parsers object.
        run: wraps an async command into an argparse handler.
    """
    users = commands.add_parser("users", help="manage accounts", description="Manage accounts.")
    users_sub = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = users_sub.add_parser("add", help="create an account", description=users_add.__doc__)
    add.add_argument("email", help="the account's email address")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (for scripts)",
    )
    add.add_argument("--display-name", help="a name to show instead of the email")
    add.set_defaults(handler=run(users_add))
    listing = users_sub.add_parser("list", help="list accounts", description=users_list.__doc__)
    listing.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    listing.add_argument("--offset", type=int, default=0, help="skip this many first")
    listing.set_defaults(handler=run(users_list))
    disable = users_sub.add_parser(
        "disable", help="disable an account", description=users_disable.__doc__
    )
    disable.add_argument("email", help="the account's email address")
    disable.set_defaults(handler=run(users_disable))

    keys = commands.add_parser("keys", help="manage signing keys", description="Signing keys.")
    keys_sub = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    keys_sub.add_parser("list", help="list keys", description=keys_list.__doc__).set_defaults(
        handler=run(keys_list)
    )
    rotate = keys_sub.add_parser(
        "rotate", help="add a new signing key", description=keys_rotate.__doc__
    )
    rotate.add_argument(
        "--algorithm",
        choices=["ES256", "ES384", "EdDSA", "RS256", "PS256"],
        help="the new key's algorithm (default: the current one's)",
    )
    rotate.add_argument(
        "--now",
        action="store_true",
        help="sign with the new key at once (a compromised key); by default it is only "
        "published until every cached JWKS has expired",
    )
    rotate.set_defaults(handler=run(keys_rotate))

    token = commands.add_parser("token", help="issue and check tokens", description="Tokens.")
    token_sub = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = token_sub.add_parser(
        "issue", help="issue a token pair", description=token_issue.__doc__
    )
    issue.add_argument("email", help="the account's email address")
    issue.add_argument("--scope", help="space-separated scopes to put in the token")
    issue.set_defaults(handler=run(token_issue))
    for name, command, text in (
        ("verify", token_verify, "verify a token"),
        ("inspect", token_inspect, "show a token and why it would be refused"),
    ):
        parser = token_sub.add_parser(name, help=text, description=command.__doc__)
        parser.add_argument("token", help="the access token, or - to read it from stdin")
        parser.set_defaults(handler=run(command))
