"""``gatepass audit list``: the stored security events as JSON lines, newest first."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

import orjson

from gatepass.audit import AuditEvent
from gatepass.server.commands import Command
from gatepass.server.state import ServerState


def _line(event: AuditEvent) -> bytes:
    return orjson.dumps(
        {
            "id": event.id,
            "type": event.type,
            "at": event.at.isoformat().replace("+00:00", "Z"),
            "user_id": event.user_id,
            "account": event.account,
            "ip": event.ip,
            "user_agent": event.user_agent,
            "detail": dict(event.detail),
        }
    )


async def audit_list(state: ServerState, args: argparse.Namespace, out: TextIO) -> int:
    """``gatepass audit list``: stored security events, newest first, one JSON object a line."""
    user_id = account = None
    if args.user is not None:
        user = await state.backends.users.find_by_email(args.user)
        user_id = user.id if user is not None else None
        # Failed logins name no user, only the pseudonym of what was typed: this finds
        # attempts on an address with no account too.
        account = state.account_hash(args.user)
    left = max(args.limit, 0)
    before: int | None = None
    while left:
        page = await state.audit.store.list_events(
            user_id=user_id, account=account, type=args.type, before=before, limit=min(left, 200)
        )
        for event in page:
            out.write(_line(event).decode() + "\n")
        if len(page) < min(left, 200):
            break
        left -= len(page)
        before = page[-1].id
    return 0


def add_audit_commands(commands: Any, run: Callable[[Command], Any]) -> None:
    """Add the ``audit`` sub-command to the parser.

    Args:
        commands: the parser's sub-parsers.
        run: wraps a command into an argparse handler with the stores open.
    """
    audit = commands.add_parser(
        "audit", help="read the audit trail", description="The stored security events."
    )
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    listing = audit_sub.add_parser("list", help="list events", description=audit_list.__doc__)
    listing.add_argument("--user", metavar="EMAIL", help="only the events of this account")
    listing.add_argument("--type", metavar="T", help="only events of this type (login.failed)")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    listing.set_defaults(handler=run(audit_list))
