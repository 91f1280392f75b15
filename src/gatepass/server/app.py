"""The reference auth server: ``create_app()`` builds it from the settings.

Middleware, outermost first: sessions (server-side, signed cookie), CSRF (every form
post), the session user on ``request.user``. Routes: the HTML pages, social login
(``/auth/{provider}``) and the JSON API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gatepass.integrations import AuthMiddleware
from gatepass.passwords import PasswordHasher
from gatepass.server import (
    api,
    errors,
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
from gatepass.server.logging import SecurityLog
from gatepass.server.mfa_state import MFAServer
from gatepass.server.refusals import CSRFWithPages
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
    *mfa_api.CSRF_EXEMPT,
    *passkeys_api.CSRF_EXEMPT,
)


def create_app(
    settings: Settings | None = None,
    *,
    backends: Backends | None = None,
    hasher: PasswordHasher | None = None,
    security: SecurityLog | None = None,
) -> FastAPI:
    """Build the server.

    Args:
        settings: the settings; default read from ``GATEPASS_*`` and the settings file.
        backends: the stores; default as the settings say.
        hasher: the password hasher; default argon2id with the configured costs.
        security: where security events are written.

    Returns:
        The ASGI app; its lifespan opens and closes the stores.

    Raises:
        pydantic.ValidationError: the settings are not valid.
        ConfigurationError: a key or store setting is not usable.
    """
    if settings is None:
        from gatepass.server.cli import load_settings

        settings = load_settings()
    state = ServerState.build(settings, backends=backends, hasher=hasher, security=security)

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
    app.state.gatepass_mfa = MFAServer.build(state)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(mfa_api.router)
    app.include_router(mfa_pages.router)
    app.include_router(passkeys_api.router)
    app.include_router(pages.router)
    app.include_router(social_pages.router)
    # Added innermost first: Starlette wraps each new middleware around the last.
    app.add_middleware(AuthMiddleware, authenticator=state.auth)
    app.add_middleware(CSRFWithPages, render=rendering.render_refusal, exempt_paths=CSRF_EXEMPT)
    app.add_middleware(
        SessionMiddleware,
        store=state.backends.sessions,
        secret_keys=[session_secret(settings.data_dir)],
        secure=settings.effective_secure_cookies,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_size=MAX_BODY)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.effective_secure_cookies)
    return app
