"""The reference auth server: ``create_app()`` builds it from the settings.

Middleware, outermost first: the access log, security headers, the body size limit,
then the split (``routing.py``): pages pass sessions (server-side, signed cookie),
CSRF (every form post) and the session user on ``request.user``; the JSON API skips
them. Routes: the HTML pages, social login (``/auth/{provider}``) and the JSON API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from gatepass._http import ERROR_OBSERVER
from gatepass.audit import AuditContextMiddleware, AuditSink
from gatepass.integrations import AuthMiddleware
from gatepass.passwords import PasswordHasher
from gatepass.server import (
    account_api,
    account_pages,
    api,
    audit_api,
    email_api,
    email_pages,
    errors,
    metrics_http,
    mfa_api,
    mfa_pages,
    pages,
    passkeys_api,
    rendering,
    social_pages,
)
from gatepass.server.backends import Backends
from gatepass.server.bodysize import BodySizeLimitMiddleware
from gatepass.server.datadir import data_dir_lock_async, private_files, session_secret
from gatepass.server.headers import SecurityHeadersMiddleware
from gatepass.server.logging import AccessLog, SecurityLog
from gatepass.server.mfa_state import MFAServer
from gatepass.server.refusals import CSRFWithPages
from gatepass.server.routing import RouteSplit
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from gatepass.sessions import SessionMiddleware

STATIC = Path(__file__).parent / "static"
# The JSON endpoints take no ambient credentials (no cookie is read there), so a
# forged cross-site request gains nothing (OWASP CSRF Prevention Cheat Sheet).
MAX_BODY = 64 * 1024
CSRF_EXEMPT = (
    "/auth/token",
    "/auth/refresh",
    "/auth/logout",
    "/auth/logout-everywhere",
    *email_api.PATHS,
    *mfa_api.CSRF_EXEMPT,
    *passkeys_api.CSRF_EXEMPT,
)


def create_app(
    settings: Settings | None = None,
    *,
    backends: Backends | None = None,
    hasher: PasswordHasher | None = None,
    security: SecurityLog | None = None,
    audit_sinks: Sequence[AuditSink] = (),
) -> FastAPI:
    """Build the server.

    Args:
        settings: the settings; default read from ``GATEPASS_*`` and the settings file.
        backends: the stores; default as the settings say.
        hasher: the password hasher; default argon2id with the configured costs.
        security: where security events are written.
        audit_sinks: more places each stored security event goes (beside the
            ``gatepass_audit_events`` table).

    Returns:
        The ASGI app; its lifespan opens and closes the stores.

    Raises:
        pydantic.ValidationError: the settings are not valid.
        ConfigurationError: a key or store setting is not usable.
    """
    if settings is None:
        from gatepass.server.cli import load_settings

        settings = load_settings()
    state = ServerState.build(
        settings, backends=backends, hasher=hasher, security=security, audit_sinks=audit_sinks
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # ``serve --workers N`` starts N processes at once: one at a time brings the
        # users schema up to date, or two race to create the same tables.
        async with data_dir_lock_async(settings.data_dir):
            await state.backends.open()
        # Files SQLite made while opening (-wal, -shm) are owner-only too (CWE-276).
        private_files(settings.data_dir, ())
        try:
            yield
        finally:
            if state.social is not None:
                await state.social.aclose()
            await state.mail.aclose()  # queued mail leaves before the stores close
            await state.audit.recorder.flush()
            await state.backends.close()

    app = FastAPI(
        title=f"{settings.site_name} auth server",
        version="0.1.0",
        description="Log in, tokens, refresh, logout and the current user (gatepass).",
        lifespan=lifespan,
        # Swagger UI loads its code from a CDN; the schema is at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.gatepass = state
    setattr(app.state, ERROR_OBSERVER, state.metrics.server_error)
    app.state.gatepass_mfa = MFAServer.build(state)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(account_api.router)
    app.include_router(email_api.router)
    app.include_router(email_pages.router)
    app.include_router(mfa_api.router)
    app.include_router(mfa_pages.router)
    app.include_router(passkeys_api.router)
    app.include_router(pages.router)
    app.include_router(account_pages.router)
    app.include_router(social_pages.router)
    app.include_router(audit_api.router)
    app.include_router(metrics_http.router)
    secret = session_secret(settings.data_dir)

    def browser(inner: ASGIApp) -> ASGIApp:
        # Outermost first: sessions, CSRF, then the session's user.
        with_user = AuthMiddleware(inner, authenticator=state.auth)
        checked = CSRFWithPages(
            with_user, render=rendering.render_refusal, exempt_paths=CSRF_EXEMPT
        )
        return SessionMiddleware(
            checked,
            store=state.backends.sessions,
            secret_keys=[secret],
            secure=settings.effective_secure_cookies,
        )

    # Added innermost first: Starlette wraps each new middleware around the last.
    app.add_middleware(RouteSplit, browser=browser, fast=api.fast_routes(state))
    app.add_middleware(BodySizeLimitMiddleware, max_size=MAX_BODY)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.effective_secure_cookies)
    app.add_middleware(AuditContextMiddleware)
    app.add_middleware(AccessLog)
    if settings.metrics_token is not None:
        # Outermost, so the duration covers every middleware; absent, no cost at all.
        app.add_middleware(metrics_http.RequestMetricsMiddleware, metrics=state.metrics)
    return app
