"""``authenticate(...)``: run strategies and answer the way Passport's options say.

One function serves three uses:

- as a route endpoint (``Route("/login", auth.authenticate("local", ...))`` or
  ``app.post("/login")(auth.authenticate(...))``): it always answers with a response;
- as a FastAPI dependency (``Depends(auth.authenticate("api", session=False))``): it
  returns the user, or halts with the response the options call for;
- inline, ``await auth.authenticate(request, "local", ...)``: the response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from gatepass.authenticator.core import AuthenticatorCore
from gatepass.authenticator.keys import RETURN_TO_SESSION_KEY
from gatepass.authenticator.responses import Halt, error_response, failure_response
from gatepass.errors import ConfigurationError
from gatepass.security.redirects import safe_next
from gatepass.sessions.flash import flash
from gatepass.strategies.base import maybe_await
from gatepass.strategies.outcomes import Error, Redirect, Success, deciding_failure

Callback = Callable[[Request, Any, Mapping[str, Any]], Response | Awaitable[Response]]
AuthenticateHandler = Callable[[Request], Awaitable[Any]]


class AuthenticateKeywords(TypedDict, total=False):
    """The keywords of :meth:`Authenticator.authenticate`; defaults in :class:`AuthenticateOptions`.

    What each one does is said once, in the ``authenticate`` docstring.
    """

    success_redirect: str | None
    failure_redirect: str | None
    success_flash: bool | str
    failure_flash: bool | str
    success_return_to: bool
    session: bool
    assign_property: str | None
    callback: Callback | None
    scope: str
    remember: bool


@dataclass(frozen=True, slots=True)
class AuthenticateOptions:
    """Passport's ``authenticate`` options, checked; see :meth:`Authenticator.authenticate`."""

    names: tuple[str, ...]
    success_redirect: str | None = None
    failure_redirect: str | None = None
    success_flash: bool | str = False
    failure_flash: bool | str = False
    success_return_to: bool = False
    session: bool = True
    assign_property: str | None = None
    callback: Callback | None = None
    scope: str = "default"
    remember: bool = False

    def check(self) -> None:
        """Refuse contradictory options at construction, with the fix in the message.

        Raises:
            ConfigurationError: no strategy is named, or flash is asked without redirect.
        """
        if not self.names:
            raise ConfigurationError("authenticate() needs at least one strategy name.")
        if self.failure_flash and not self.failure_redirect and not self.callback:
            raise ConfigurationError(
                "failure_flash shows on the next page: give failure_redirect as well."
            )


async def respond(auth: AuthenticatorCore, request: Request, options: AuthenticateOptions) -> Any:
    """Run the strategies and return the response, or the user when none is due.

    Args:
        auth: the Authenticator.
        request: the request.
        options: what to do with each outcome.

    Returns:
        A ``Response``, or the user (``None`` when anonymous) when the options call
        for no response (no redirect, no callback).
    """
    try:
        attempt = await auth.attempt(request, options.names, scope=options.scope)
    except Exception as exc:  # an unknown strategy name is a wiring error: 500, logged
        return error_response(request, exc)
    outcome = attempt.outcome
    if isinstance(outcome, Error):
        return error_response(request, outcome.exc)
    if isinstance(outcome, Redirect):
        return RedirectResponse(outcome.url, outcome.status)
    if outcome is None:
        return await _failed(auth, request, options, attempt.failures)
    try:
        return await _succeeded(auth, request, options, outcome, attempt.strategy)
    except Exception as exc:
        return error_response(request, exc)


async def _failed(
    auth: AuthenticatorCore,
    request: Request,
    options: AuthenticateOptions,
    named: tuple[tuple[str, Any], ...],
) -> Response:
    failures = [fail for _, fail in named]
    await auth.hooks.run("after_failure", request=request, failures=dict(named))
    first = next((f.message for f in failures if f.message), "Invalid credentials.")
    message = (deciding_failure(failures).message if failures else None) or first
    if options.callback is not None:
        info = {"message": message, "challenges": [f.challenge for f in failures if f.challenge]}
        return await maybe_await(options.callback(request, None, info))
    if options.failure_flash:
        text = options.failure_flash if isinstance(options.failure_flash, str) else message
        flash(request, "error", text)
    if options.failure_redirect:
        # 303: the browser follows with GET, so a refresh does not re-post the password.
        return RedirectResponse(options.failure_redirect, 303)
    return failure_response(failures)


async def _succeeded(
    auth: AuthenticatorCore,
    request: Request,
    options: AuthenticateOptions,
    outcome: Success,
    strategy: str | None,
) -> Any:
    user, info = outcome.user, outcome.info
    if options.callback is not None:
        # The custom callback decides everything, including whether to log in.
        return await maybe_await(options.callback(request, user, info))
    if options.assign_property:
        setattr(request.state, options.assign_property, user)
    elif user is None:
        pass  # anonymous: request.user stays as it was
    else:
        if options.session:
            await auth.login(request, user, scope=options.scope, remember=options.remember)
        # This request carries what the strategy said (Passport's req.authInfo); after
        # a login, later requests restore the user from the session.
        auth.set_user(
            request,
            user,
            scope=options.scope,
            scopes=outcome.scopes,
            claims=outcome.claims,
            strategy=strategy,
            info=info,
        )
    if options.success_flash:
        text = options.success_flash
        if not isinstance(text, str):
            text = str(info.get("message") or "")
        if text:
            flash(request, "success", text)
    target = options.success_redirect
    if options.success_return_to:
        session = request.scope.get("session") or {}
        stored = session.pop(RETURN_TO_SESSION_KEY, None)
        wanted = stored if isinstance(stored, str) else request.query_params.get("next")
        # Only same-site relative paths (OWASP ASVS 5.1.5).
        target = safe_next(wanted, default=target or "/")
    if target:
        return RedirectResponse(target, 303)
    return user


def authenticate(auth: AuthenticatorCore, options: AuthenticateOptions) -> AuthenticateHandler:
    """Build the endpoint-or-dependency function for ``options``.

    Args:
        auth: the Authenticator.
        options: checked options.

    Returns:
        ``async handler(request)``.
    """
    options.check()

    async def handler(request: Request) -> Any:
        result = await respond(auth, request, options)
        as_endpoint = request.scope.get("endpoint") is handler
        if isinstance(result, Response):
            if as_endpoint:
                return result
            raise Halt(result, "Authentication failed.")
        # Success with nothing else to say: an endpoint answers 204, a dependency
        # hands the user to the route.
        return Response(status_code=204) if as_endpoint else result

    handler.__name__ = "authenticate_" + "_".join(options.names)
    return handler


async def authenticate_inline(
    auth: AuthenticatorCore, request: HTTPConnection, options: AuthenticateOptions
) -> Response:
    """Run ``options`` for one request and always return a response.

    Args:
        auth: the Authenticator.
        request: the request.
        options: checked options.

    Returns:
        The response (204 on a success with no redirect).
    """
    options.check()
    if not isinstance(request, Request):
        raise ConfigurationError("authenticate() answers HTTP requests; guard WebSockets.")
    result = await respond(auth, request, options)
    return result if isinstance(result, Response) else Response(status_code=204)
