"""The user's own audit trail: ``GET /api/me/events`` and the dashboard's list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from gatepass._http import NO_STORE
from gatepass.audit import AuditEvent
from gatepass.server.api import api_user, bearer
from gatepass.server.errors import responses
from gatepass.server.state import state_of
from gatepass.users import User

router = APIRouter()
# How long a read waits for this process's own pending writes (read your writes).
SETTLE_SECONDS: Final = 0.5
DASHBOARD_EVENTS: Final = 10


async def user_events(
    connection: HTTPConnection, user: User, *, before: int | None = None, limit: int = 50
) -> list[AuditEvent]:
    """A user's events newest first: their own, and failed logins typed as their email.

    Args:
        connection: the request.
        user: the user.
        before: the cursor (an event id) of the previous page.
        limit: the page size.

    Returns:
        The events.

    Raises:
        StoreUnavailableError: the database cannot be reached.
    """
    state = state_of(connection)
    await state.audit.recorder.flush(within=SETTLE_SECONDS)
    return await state.audit.store.list_events(
        user_id=user.id, account=state.account_hash(user.email), before=before, limit=limit
    )


def _public(event: AuditEvent) -> dict[str, Any]:
    return {
        "type": event.type,
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "ip": event.ip,
        "user_agent": event.user_agent,
    }


@router.get(
    "/api/me/events",
    responses=responses(401, 422, 503),
    dependencies=[Depends(bearer)],
    summary="The security events of the token's user, newest first",
)
async def my_events(
    request: Request,
    user: Annotated[User, Depends(api_user)],
    cursor: Annotated[str | None, Query(max_length=19, pattern=r"^[1-9][0-9]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    """Logins, failed logins, logouts, revocations... with address and user agent."""
    events = await user_events(
        request, user, before=int(cursor) if cursor else None, limit=limit + 1
    )
    page, more = events[:limit], len(events) > limit
    body = {
        "events": [_public(event) for event in page],
        "next_cursor": str(page[-1].id) if more and page else None,
    }
    return JSONResponse(body, headers=NO_STORE)


# What the dashboard says for each stored type; others show their type.
_LABELS: Final = {
    "login.succeeded": "Signed in",
    "login.failed": "Failed sign-in",
    "login.throttled": "Sign-ins paused (too many attempts)",
    "logout": "Signed out",
    "password.changed": "Password changed",
    "mfa.enabled": "Two-factor sign-in turned on",
    "refresh.reuse_detected": "Reused refresh token: that login was ended",
    "session.revoked": "A session was logged out",
    "session.revoked_others": "Other sessions were logged out",
    "user.registered": "Account created",
    "user.created": "Account created",
    "identity.linked": "Sign-in provider linked",
    "identity.unlinked": "Sign-in provider unlinked",
}


async def recent_activity(
    connection: HTTPConnection, user: User, *, device: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The dashboard's "Recent security activity": the newest events, described.

    Args:
        connection: the request.
        user: the signed-in user.
        device: names a browser from its ``User-Agent`` (as the sessions list does).

    Returns:
        Rows of ``what``, ``when``, ``ip`` and ``agent``; empty when the trail
        cannot be read (the dashboard still renders).
    """
    try:
        events = await user_events(connection, user, limit=DASHBOARD_EVENTS)
    except Exception:  # the trail is a convenience on this page: never a 503 for it
        return []
    return [
        {
            "what": _LABELS.get(event.type, event.type),
            "when": event.at.strftime("%Y-%m-%d %H:%M UTC"),
            "ip": event.ip or "unknown",
            "agent": device(event.user_agent or ""),
        }
        for event in events
    ]
