"""The objects one server process works with, built once from the settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from gatepass.audit import AuditSink
from gatepass.authenticator import Authenticator
from gatepass.authenticator.guards import Guard
from gatepass.passwords import Argon2Parameters, PasswordHasher, PasswordPolicy
from gatepass.security.ratelimit import LoginThrottle, RateLimiter
from gatepass.server.audit_trail import AuditTrail
from gatepass.server.backends import Backends
from gatepass.server.datadir import log_secret
from gatepass.server.keyring import Keyring
from gatepass.server.logging import SecurityLog, account_hash
from gatepass.server.mail import AccountMail
from gatepass.server.metrics import Metrics
from gatepass.server.settings import Settings
from gatepass.server.social import SocialLogin
from gatepass.strategies import JWTStrategy
from gatepass.tokens import VerifiedTokenCache
from gatepass.tokens.service import TokenService
from gatepass.users import User

API_STRATEGY = "api"
REGISTER_LIMIT = "register"
REFRESH_LIMIT = "refresh"
SOCIAL_LIMIT = "social"


@dataclass(slots=True)
class ServerState:
    """Everything the routes need; lives on ``app.state.gatepass``."""

    settings: Settings
    backends: Backends
    keyring: Keyring
    tokens: TokenService
    auth: Authenticator
    hasher: PasswordHasher
    policy: PasswordPolicy
    throttle: LoginThrottle
    limiter: RateLimiter
    security: SecurityLog
    mail: AccountMail
    api_guard: Guard
    audit: AuditTrail
    metrics: Metrics
    social: SocialLogin | None = None
    log_key: bytes = field(default=b"", repr=False)

    def account_hash(self, email: str) -> str:
        """The security log's pseudonym of a typed account name, keyed by the log secret.

        Args:
            email: the email as typed.

        Returns:
            16 hex characters (see :func:`gatepass.server.logging.account_hash`).
        """
        return account_hash(email, self.log_key)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        backends: Backends | None = None,
        hasher: PasswordHasher | None = None,
        security: SecurityLog | None = None,
        audit_sinks: Sequence[AuditSink] = (),
    ) -> ServerState:
        """Load keys and wire the library pieces together.

        Args:
            settings: the validated settings.
            backends: the stores; default as the settings say.
            hasher: the password hasher; default argon2id with the configured costs.
            security: where security events go.
            audit_sinks: more places each stored security event goes.

        Returns:
            The state (the user database is opened, and the social login's HTTP client
            closed, by the app's lifespan).

        Raises:
            ConfigurationError: a key or store setting is not usable.
        """
        backends = backends or Backends.from_settings(settings)
        secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        keyring = Keyring.open(
            data_dir=settings.data_dir,
            retire_after=settings.access_token_ttl,
            signing_key_file=settings.signing_key_file,
            jwt_secret=secret,
            algorithm=settings.jwt_algorithm,
        )
        tokens = TokenService(
            keys=keyring.keyset,
            issuer=settings.issuer,
            audience=settings.audience,
            refresh_store=backends.refresh,
            revocation_store=backends.revocations,
            access_ttl=settings.access_token_ttl,
            refresh_ttl=settings.refresh_token_ttl,
            # Revocation is still asked on every cached hit, so logout is immediate.
            cache=(
                VerifiedTokenCache(max_size=settings.token_cache_size)
                if settings.token_cache_size
                else None
            ),
        )
        hasher = hasher or PasswordHasher(
            Argon2Parameters(
                time_cost=settings.argon2_time_cost,
                memory_cost=settings.argon2_memory_kib,
                parallelism=1,
            )
        )
        users = backends.users
        # The hot routes (a token's or a session's user) read through the cache; it
        # forgets a user as soon as any process changes one (users/cache.py).
        lookup = backends.user_cache or users
        auth = Authenticator(realm=settings.site_name)

        def _store_id(user: User) -> str:
            return user.id

        async def _load(user_id: Any) -> User | None:
            user = await lookup.find_by_id(str(user_id))
            # A disabled account loses its sessions at once (OWASP ASVS 3.3.1).
            return user if user is not None and user.is_active else None

        auth.serializer(_store_id)
        auth.deserializer(_load)

        async def _token_user(claims: dict[str, Any]) -> User | None:
            return await _load(str(claims.get("sub", "")))

        auth.use(
            JWTStrategy(tokens.verifier, verify=_token_user, realm=settings.site_name),
            name=API_STRATEGY,
        )
        security = security or SecurityLog()
        # Each logged security event is also counted and stored (never blocking).
        metrics = Metrics()
        audit = AuditTrail.build(
            users,
            retention_days=settings.audit_retention_days,
            sinks=audit_sinks,
            on_failure=metrics.audit_write_failures.inc,
        )
        security.listen(metrics.security_event)
        security.listen(audit.recorder.security_event)
        social = SocialLogin.configure(
            settings,
            auth=auth,
            users=users,
            security=security,
            sessions=backends.sessions,
            tokens=tokens,
        )
        return cls(
            settings=settings,
            backends=backends,
            keyring=keyring,
            tokens=tokens,
            auth=auth,
            hasher=hasher,
            policy=PasswordPolicy(context_words=[settings.site_name, "gatepass"]),
            throttle=LoginThrottle(
                backends.limits,
                per_account=settings.login_limit,
                per_address=settings.address_limit,
                account_wide=settings.account_limit,
                namespace=f"{settings.redis_prefix}login",
            ),
            # Per address: new accounts (each costs an argon2 hash and a row) and refresh
            # attempts (guessing or replaying refresh tokens) (OWASP ASVS 2.2.1, 11.1.4),
            # provider callbacks like logins (probing who has an account, ASVS 5.0 6.3.8).
            limiter=RateLimiter(
                backends.limits,
                {
                    REGISTER_LIMIT: settings.register_limit,
                    REFRESH_LIMIT: settings.refresh_limit,
                    SOCIAL_LIMIT: settings.address_limit,
                },
                namespace=f"{settings.redis_prefix}register",
            ),
            security=security,
            mail=AccountMail.build(settings, backends),
            # Built once: the Bearer guard of every JSON route (401 + WWW-Authenticate).
            api_guard=auth.require_user(API_STRATEGY, login_url=None),
            audit=audit,
            metrics=metrics,
            social=social,
            # An HMAC key, so a logged pseudonym cannot be reversed from a word list
            # (CWE-532, CWE-759); the same across restarts and workers.
            log_key=(
                settings.log_secret.get_secret_value()
                if settings.log_secret
                else log_secret(settings.data_dir)
            ).encode(),
        )


def state_of(connection: HTTPConnection) -> ServerState:
    """The server state of the app serving this request.

    Args:
        connection: the request.

    Returns:
        The state.
    """
    state: ServerState = connection.app.state.gatepass
    return state


def client_address(connection: HTTPConnection) -> str:
    """The peer address (X-Forwarded-For only from GATEPASS_FORWARDED_ALLOW_IPS proxies).

    Args:
        connection: the request.

    Returns:
        The IP address, or ``"unknown"``.
    """
    return connection.client.host if connection.client else "unknown"
