"""Rendering the pages: the templates shipped with the package and what every page needs.

Pages are never cached (``Cache-Control: no-store``): after logout the back button
must not show an account page from the cache (OWASP ASVS 8.2.1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from gatepass._http import NO_STORE
from gatepass.security.csrf import csrf_token
from gatepass.server.state import ServerState, state_of
from gatepass.sessions import get_flashed_messages

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Response:
    """Render a page with the values every page needs.

    Args:
        request: the request.
        template: the template file name.
        status_code: the response status.
        **context: the page's own values.

    Returns:
        The HTML response, never cached.
    """
    state = state_of(request)
    context.setdefault("user", None)
    context.setdefault("signed_in", "user" in request.scope and request.user.is_authenticated)
    context.update(
        site_name=state.settings.site_name,
        allow_registration=state.settings.allow_registration,
        csrf_token=csrf_token(request),
        messages=get_flashed_messages(request),
        providers=list(state.social.providers.values()) if state.social else [],
    )
    return TEMPLATES.TemplateResponse(
        request, template, context, status_code=status_code, headers=NO_STORE
    )


def render_refusal(scope: Scope, title: str, message: str) -> str:
    """The error page for a request refused before the app ran (no session user yet).

    Args:
        scope: the ASGI scope.
        title: the page heading.
        message: the explanation.

    Returns:
        The HTML.
    """
    state: ServerState = scope["app"].state.gatepass
    return TEMPLATES.get_template("error.html").render(
        site_name=state.settings.site_name,
        allow_registration=state.settings.allow_registration,
        title=title,
        message=message,
        messages=[],
    )


def see_other(location: str) -> RedirectResponse:
    """A 303 redirect that is never cached.

    Args:
        location: where to go.

    Returns:
        The response.
    """
    return RedirectResponse(location, status_code=303, headers=NO_STORE)
