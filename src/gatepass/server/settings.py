"""Settings of the reference server: ``GATEPASS_*`` environment variables or a TOML file.

With nothing set, the server runs on SQLite and in-process stores inside
``./.gatepass``, with keys generated on first start and kept there.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from gatepass.tokens import parse_duration

# Entra ID endpoints that publish an issuer template, not one issuer: an ID token
# from them cannot pass the exact issuer check (OpenID Connect Core 1.0 §3.1.3.7).
_MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

Algorithm = Literal[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
]  # fmt: skip

SETTINGS_FILE_VARIABLE = "GATEPASS_SETTINGS_FILE"


class Settings(BaseSettings):
    """Everything an operator can set; each field reads ``GATEPASS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GATEPASS_", extra="forbid")

    data_dir: Path = Path(".gatepass")
    database_url: str | None = None
    redis_url: str | None = None
    signing_key_file: Path | None = None
    jwt_algorithm: Algorithm | None = None
    jwt_secret: SecretStr | None = None
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=14)
    issuer: str = "http://127.0.0.1:8000"
    audience: str = "gatepass"
    site_name: str = "gatepass"
    secure_cookies: bool | None = None
    allow_registration: bool = True
    token_cache_size: int = Field(default=10_000, ge=0)
    # Per account from one client address; account_limit counts every address, looser,
    # so one address cannot lock the owner out (OWASP ASVS 5.0 6.1.1). Unset, it is ten
    # times login_limit ("50/minute").
    login_limit: str = "5/minute"
    account_limit: str | None = None
    address_limit: str = "30/minute"
    register_limit: str = "10/hour"
    refresh_limit: str = "60/minute"
    redis_prefix: str = Field(default="gatepass:", pattern=r"^[A-Za-z0-9:_.-]{1,64}$")
    # With Redis: sessions read by this process are kept in memory until Redis reports
    # a change (CachedRedisSessionStore); off reads Redis on every request.
    session_cache: bool = True
    # OWASP Password Storage Cheat Sheet, "Argon2id": m=19456 KiB, t=2, p=1 at least.
    argon2_time_cost: int = Field(default=2, ge=1, le=20)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=8, le=4 * 1024 * 1024)
    host: str = "127.0.0.1"
    # Proxies whose X-Forwarded-For/-Proto are believed (comma-separated addresses or
    # networks); empty trusts none, so a client cannot pick its own address for the
    # per-address limits (OWASP ASVS 14.5.x, CWE-348).
    forwarded_allow_ips: str = Field(default="", pattern=r"^[0-9A-Fa-f.:/,* ]*$")
    port: int = Field(default=8000, ge=1, le=65535)
    # The HTTP layer of `gatepass serve`: bounded heads, timeouts, connection caps
    # (CWE-400, CWE-770; docs/server.md "Connection limits").
    http: Literal["httptools", "h11"] = "httptools"
    max_header_bytes: int = Field(default=32 * 1024, ge=1024, le=1024 * 1024)
    max_header_count: int = Field(default=100, ge=8, le=10_000)
    header_timeout: timedelta = timedelta(seconds=10)
    keep_alive_timeout: timedelta = timedelta(seconds=5)
    max_connections: int = Field(default=1000, ge=1)
    max_connections_per_address: int = Field(default=100, ge=0)
    backlog: int = Field(default=2048, ge=1, le=65535)
    # Keys the account pseudonyms of the security log; unset, a random one is kept in
    # the data folder (CWE-532, CWE-759). Set it to correlate logs of several hosts.
    log_secret: SecretStr | None = None
    # Stored security events older than this many days are pruned; 0 keeps them.
    audit_retention_days: int = Field(default=90, ge=0, le=36_500)
    # GET /metrics answers only with this token as Bearer; unset, /metrics is 404.
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    # Second factor: AES-256 keys sealing TOTP secrets, "kid:base64key,..." newest first;
    # unset, one is kept in the data folder. Code attempts allowed per account (checked
    # when the server starts, as gatepass.mfa reads it).
    mfa_keys: SecretStr | None = None
    mfa_limit: str = "10/15 minutes"
    # Social login: a provider is enabled when its client id is set.
    public_url: str | None = None
    social_signup: bool | None = None
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    microsoft_client_id: str | None = None
    microsoft_client_secret: SecretStr | None = None
    microsoft_tenant: str | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_name: str = Field(default="OpenID Connect", min_length=1, max_length=60)
    # Token endpoint client authentication (RFC 6749 §2.3.1); unset: what the
    # provider's discovery document lists, client_secret_basic first.
    oidc_client_auth: Literal["client_secret_basic", "client_secret_post"] | None = None
    # Mail (server/mail.py): smtp://, smtp+starttls:// or smtps:// (it may hold the SMTP
    # password, hence secret); unset writes each message to <data dir>/outbox/.
    mail_url: SecretStr | None = None
    mail_from: str | None = Field(default=None, max_length=320)
    require_verified_email: bool = False

    @field_validator(
        "access_token_ttl",
        "refresh_token_ttl",
        "header_timeout",
        "keep_alive_timeout",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        duration = parse_duration(value)
        if duration <= timedelta(0):
            raise ValueError("must be longer than zero")
        return duration

    @field_validator(
        "login_limit", "account_limit", "address_limit", "register_limit", "refresh_limit"
    )
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        from limits import parse

        if value is None:
            return None
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '5/minute' or '10/hour'") from None
        return value

    @field_validator("log_secret")
    @classmethod
    def _long_log_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # As long as the HMAC-SHA-256 output it keys (RFC 2104 §3).
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return value

    @field_validator("mail_url")
    @classmethod
    def _known_mail(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from gatepass.errors import ConfigurationError
            from gatepass.mail import SMTPTransport

            try:
                SMTPTransport.from_url(value.get_secret_value())
            except ConfigurationError as exc:
                raise ValueError(exc.message) from None
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes for HS256 (RFC 7518 §3.2)")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    # The issuer is the origin the tokens name (and the fallback public origin): a
    # web origin like the others (RFC 8414 §2 "issuer", OpenID Connect Discovery §3).
    @field_validator("public_url", "oidc_issuer", "issuer")
    @classmethod
    def _web_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must have no query or fragment")
        # OpenID Connect Discovery 1.0 §3 and RFC 9700 §2.6: https, except on loopback
        # where a developer runs a local provider.
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
            raise ValueError("must use https:// (http:// is accepted only on 127.0.0.1)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _complete_providers(self) -> Settings:
        for name in ("github", "google", "microsoft", "oidc"):
            client_id = getattr(self, f"{name}_client_id")
            secret = getattr(self, f"{name}_client_secret")
            upper = name.upper()
            if client_id and secret is None:
                raise ValueError(
                    f"GATEPASS_{upper}_CLIENT_ID is set: set GATEPASS_{upper}_CLIENT_SECRET too"
                )
            if secret is not None and not client_id:
                raise ValueError(
                    f"GATEPASS_{upper}_CLIENT_SECRET is set: set GATEPASS_{upper}_CLIENT_ID too"
                )
        if self.microsoft_client_id and not self.microsoft_tenant:
            raise ValueError(
                "GATEPASS_MICROSOFT_CLIENT_ID is set: set GATEPASS_MICROSOFT_TENANT to the "
                "directory (tenant) id"
            )
        if self.microsoft_tenant in _MULTI_TENANT:
            raise ValueError(
                f"GATEPASS_MICROSOFT_TENANT={self.microsoft_tenant} has no single issuer to "
                "check ID tokens against: give the directory (tenant) id, or "
                "9188040d-6c67-4c5b-b112-36a304b66dad for personal Microsoft accounts"
            )
        if bool(self.oidc_issuer) != bool(self.oidc_client_id):
            raise ValueError(
                "set GATEPASS_OIDC_ISSUER and GATEPASS_OIDC_CLIENT_ID together "
                "(and GATEPASS_OIDC_CLIENT_SECRET)"
            )
        configured = any(
            getattr(self, f"{name}_client_id") for name in ("github", "google", "microsoft", "oidc")
        )
        # The callbacks must not silently point at the development default: a provider
        # needs the operator to name the external origin (RFC 9700 §4.1, exact redirect
        # URIs registered at the provider).
        explicit_issuer = "issuer" in self.model_fields_set
        if configured and self.public_url is None and not explicit_issuer:
            raise ValueError(
                "a sign-in provider is configured: set GATEPASS_PUBLIC_URL to the server's "
                "external origin (its callbacks are {origin}/auth/{provider}/callback)"
            )
        return self

    @model_validator(mode="after")
    def _account_limit_looser(self) -> Settings:
        from limits import parse

        # Were the account-wide limit as strict as the per-address one, one address
        # could use it up and lock the owner out again (OWASP ASVS 5.0 6.1.1).
        if self.account_limit is None:
            return self
        strict, wide = parse(self.login_limit), parse(self.account_limit)
        per_second = strict.amount / strict.get_expiry()
        if wide.amount / wide.get_expiry() <= per_second:
            raise ValueError(
                f"GATEPASS_ACCOUNT_LIMIT={self.account_limit} must allow more attempts "
                f"than GATEPASS_LOGIN_LIMIT={self.login_limit} (it counts every address)"
            )
        return self

    @model_validator(mode="after")
    def _secret_fits_algorithm(self) -> Settings:
        # RFC 7518 §3.2: the HMAC key is at least as long as the hash output.
        needed = {"HS384": 48, "HS512": 64}.get(self.jwt_algorithm or "", 32)
        if self.jwt_secret is not None:
            length = len(self.jwt_secret.get_secret_value().encode())
            if length < needed:
                raise ValueError(
                    f"GATEPASS_JWT_SECRET must be at least {needed} bytes for "
                    f"{self.jwt_algorithm} (RFC 7518 §3.2)"
                )
        return self

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        if self.jwt_secret is not None and self.signing_key_file is not None:
            raise ValueError("set GATEPASS_JWT_SECRET or GATEPASS_SIGNING_KEY_FILE, not both")
        if self.signing_key_file is not None and not self.signing_key_file.is_file():
            raise ValueError(f"GATEPASS_SIGNING_KEY_FILE {self.signing_key_file} does not exist")
        return self

    @property
    def effective_database_url(self) -> str:
        """The users database: the configured URL, or SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gatepass.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        """The external origin of the server: ``public_url``, else ``issuer``."""
        return (self.public_url or self.issuer).rstrip("/")

    @property
    def effective_secure_cookies(self) -> bool:
        """Whether cookies are ``Secure`` (and ``__Host-``): the setting, else derived.

        Unset, it follows the public origin, never the request's ``Host`` header, which
        a reverse proxy may rewrite to ``127.0.0.1``: Secure unless the origin is plain
        http on a loopback host (OWASP ASVS 3.4.1).
        """
        if self.secure_cookies is not None:
            return self.secure_cookies
        parts = urlsplit(self.effective_public_url)
        return not (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)

    @property
    def effective_social_signup(self) -> bool:
        """Whether a first provider sign-in creates an account (default: registration)."""
        return self.allow_registration if self.social_signup is None else self.social_signup

    def callback_url(self, provider: str) -> str:
        """The redirect URI to register at a provider.

        Args:
            provider: the provider name (``github``, ``google``, ``microsoft``, ``oidc``).

        Returns:
            ``{public_url}/auth/{provider}/callback``.
        """
        return f"{self.effective_public_url}/auth/{provider}/callback"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        settings_file = os.environ.get(SETTINGS_FILE_VARIABLE)
        if settings_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(settings_file)))
        return tuple(sources)
