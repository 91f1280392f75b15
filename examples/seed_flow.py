"""The seed's Express + Passport flow, in gatepass and FastAPI, almost line for line.

Run it with ``uvicorn examples.seed_flow:app --reload`` and sign in as
``user@example.com`` / ``correct horse battery`` at http://localhost:8000/login.

Express / Passport                         here
----------------------------------------   -------------------------------------------
``jwt.sign(payload, secret, {expiresIn})``  ``sign(payload, key, expires_in="1h")``
``passport.use(new LocalStrategy(...))``    ``auth.use(LocalStrategy(verify, ...))``
``passport.serializeUser`` / ``deserialize`` ``@auth.serializer`` / ``@auth.deserializer``
``isAuthenticated`` middleware              ``auth.require_user(login_url="/login")``
``passport.authenticate('local', {...})``   ``auth.authenticate("local", ...)``
``res.render('dashboard', {user})``         ``dashboard(user=Depends(is_authenticated))``
"""

# No "from __future__ import annotations": FastAPI reads the route annotations.

import html
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gatepass.authenticator import Authenticator
from gatepass.integrations import AuthMiddleware, install_error_handlers
from gatepass.passwords import PasswordHasher
from gatepass.security.csrf import CSRFMiddleware, csrf_token
from gatepass.sessions import MemorySessionStore, SessionMiddleware, get_flashed_messages
from gatepass.strategies import JWTStrategy, LocalStrategy
from gatepass.tokens import Key, sign


@dataclass(frozen=True)
class User:
    """The seed's ``User`` model: an id, an email and a password hash."""

    id: str
    email: str
    password_hash: str


class UserTable:
    """``User.findOne`` / ``User.findById`` over a dict (a real app asks its database)."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self._by_email: dict[str, User] = {}

    def add(self, email: str, password: str) -> User:
        user = User(secrets.token_hex(8), email, self.hasher.hash(password))
        self._by_email[email] = user
        return user

    async def find_one(self, email: str) -> User | None:
        return self._by_email.get(email)

    async def find_by_id(self, user_id: str) -> User | None:
        return next((u for u in self._by_email.values() if u.id == user_id), None)

    async def valid_password(self, user: User, password: str) -> bool:
        return await self.hasher.verify_async(user.password_hash, password)


PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title>
<body><h1>{title}</h1>{flashes}{body}</body></html>"""


def render(request: Request, title: str, body: str) -> HTMLResponse:
    flashes = "".join(
        f'<p class="flash {html.escape(m.category)}">{html.escape(m.text)}</p>'
        for m in get_flashed_messages(request)
    )
    return HTMLResponse(PAGE.format(title=html.escape(title), flashes=flashes, body=body))


def create_app(
    *,
    hasher: PasswordHasher | None = None,
    session_secret: str | None = None,
    jwt_key: Key | None = None,
    secure_cookies: bool | None = None,
) -> FastAPI:
    """Build the app; tests pass cheap argon2 parameters and plain-http cookies.

    Args:
        hasher: the password hasher (OWASP minimum parameters by default).
        session_secret: the session cookie signing key (random per process by default).
        jwt_key: the key that signs API tokens (a fresh ES256 key by default).
        secure_cookies: force the cookie ``Secure`` flag on or off.

    Returns:
        The FastAPI app, with ``app.state.users`` and ``app.state.auth``.
    """
    users = UserTable(hasher or PasswordHasher())
    users.add("user@example.com", "correct horse battery")
    key = jwt_key or Key.generate("ES256")
    auth = Authenticator()

    # passport.use(new LocalStrategy({usernameField: 'email', passwordField: 'password'},
    #   (email, password, done) => { ... }))
    async def verify(email: str, password: str) -> Any:
        user = await users.find_one(email)
        if user is None:
            # Same work for an unknown email, so timing does not reveal who has an account.
            await users.hasher.verify_async(users.hasher.dummy_hash, password)
            return None, {"message": "Incorrect email or password."}
        if not await users.valid_password(user, password):
            return None, {"message": "Incorrect email or password."}
        return user

    auth.use(
        LocalStrategy(
            verify,
            username_field="email",
            password_field="password",  # noqa: S106 - the form field's name
        )
    )
    # The seed signs JWTs with jsonwebtoken; API clients present them as bearer tokens.
    auth.use(JWTStrategy(key.public_key(), audience="seed-api"))

    # passport.serializeUser((user, done) => done(null, user.id))
    @auth.serializer
    def serialize_user(user: User) -> str:
        return user.id

    # passport.deserializeUser((id, done) => User.findById(id, done))
    @auth.deserializer
    async def deserialize_user(user_id: str) -> User | None:
        return await users.find_by_id(user_id)

    # function isAuthenticated(req, res, next) { ... res.redirect('/login') }
    is_authenticated = auth.require_user(login_url="/login")
    api_user = auth.require_user("jwt")

    app = FastAPI()
    app.state.users = users
    app.state.auth = auth
    install_error_handlers(app, catch_all=False)
    # Added innermost first: the session wraps CSRF, which wraps the user restore.
    app.add_middleware(AuthMiddleware, authenticator=auth)
    app.add_middleware(CSRFMiddleware, exempt_paths=["/api/token"])
    app.add_middleware(
        SessionMiddleware,
        store=MemorySessionStore(),
        secret_keys=[session_secret or secrets.token_urlsafe(32)],
        secure=secure_cookies,
    )

    @app.get("/login")
    async def login_form(request: Request) -> HTMLResponse:
        token = html.escape(csrf_token(request))
        form = (
            '<form method="post" action="/login">'
            f'<input type="hidden" name="csrf_token" value="{token}">'
            '<label>Email <input name="email" type="email" autocomplete="username"></label>'
            '<label>Password <input name="password" type="password" '
            'autocomplete="current-password"></label>'
            "<button>Sign in</button></form>"
        )
        return render(request, "Sign in", form)

    # app.post('/login', passport.authenticate('local', {successRedirect: '/dashboard',
    #   failureRedirect: '/login', failureFlash: true}))
    app.post("/login")(
        auth.authenticate(
            "local",
            success_redirect="/dashboard",
            failure_redirect="/login",
            failure_flash=True,
            success_return_to=True,
        )
    )

    # app.get('/dashboard', isAuthenticated, (req, res) => res.render('dashboard', {user}))
    @app.get("/dashboard")
    async def dashboard(
        request: Request, user: Annotated[User, Depends(is_authenticated)]
    ) -> HTMLResponse:
        token = html.escape(csrf_token(request))
        body = (
            f"<p>Signed in as {html.escape(user.email)}</p>"
            '<form method="post" action="/logout">'
            f'<input type="hidden" name="csrf_token" value="{token}">'
            "<button>Sign out</button></form>"
        )
        return render(request, "Dashboard", body)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await auth.logout(request)
        return RedirectResponse("/login", 303)

    # const token = jwt.sign(payload, secret, { expiresIn: '1h' })
    async def issue_token(request: Request, user: Any, info: Any) -> Response:
        if user is None:
            body = {"error": "invalid_credentials", "message": info["message"]}
            return JSONResponse(body, 401)
        payload = {"id": user.id, "email": user.email}
        token = sign(payload, key, expires_in="1h", subject=user.id, audience="seed-api")
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    app.post("/api/token")(auth.authenticate("local", callback=issue_token))

    @app.get("/api/me")
    async def me(claims: Annotated[dict[str, Any], Depends(api_user)]) -> dict[str, Any]:
        return {"id": claims["id"], "email": claims["email"]}

    return app


app = create_app()
