"""Social login in the reference server: providers from the settings, account linking.

A provider is enabled when its client id is set (``GATEPASS_GITHUB_CLIENT_ID``,
``GATEPASS_GOOGLE_...``, ``GATEPASS_MICROSOFT_...``, ``GATEPASS_OIDC_...``). Each is
registered on the Authenticator under its name with ``pass_request=True``, so the
verify callback sees who is signed in: a signed-in user links the provider account to
theirs ("link from the dashboard"); anyone else goes through ``link_or_create``.
All strategies share one ``httpx.AsyncClient``, closed at shutdown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.requests import HTTPConnection, Request

from gatepass.authenticator import Authenticator
from gatepass.errors import AccountLinkRequiredError, IdentityLinkedError
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.strategies import OIDCStrategy, ProviderProfile, Strategy, providers
from gatepass.strategies.outcomes import Fail
from gatepass.users import SQLUserStore, User
from gatepass.users.identities import Identity, link_or_create
from gatepass.users.identities_sql import SQLIdentityStore

CHANNEL = "social"
Unlinked = Literal["unlinked", "not_linked", "last_way_in"]
SocialVerify = Callable[[Request, ProviderProfile], Awaitable[Any]]
StrategyFactory = Callable[[httpx.AsyncClient], Strategy]
# (name, button title, preset, client id, client secret, extra preset arguments)
_Preset = tuple[str, str, Callable[..., Strategy], str | None, Any, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SocialProvider:
    """A configured provider as the pages show it.

    Attributes:
        name: the strategy name and the ``{provider}`` of ``/auth/{provider}``.
        title: the name on the button ("Sign in with GitHub").
    """

    name: str
    title: str


@dataclass(slots=True)
class SocialLogin:
    """The configured providers, the identity store and the shared HTTP client.

    Attributes:
        providers: the enabled providers by name, in the order of the buttons.
        identities: the links between provider accounts and users.
        http: the client every strategy uses; ``None`` when no provider is enabled.
    """

    providers: dict[str, SocialProvider]
    identities: SQLIdentityStore
    http: httpx.AsyncClient | None = None
    _security: SecurityLog = field(default_factory=SecurityLog)

    @classmethod
    def configure(
        cls,
        settings: Settings,
        *,
        auth: Authenticator,
        users: SQLUserStore,
        security: SecurityLog,
    ) -> SocialLogin:
        """Register a strategy for each provider the settings enable.

        Args:
            settings: the validated settings.
            auth: the Authenticator to register the strategies on.
            users: the user store (the identity table lives in the same database).
            security: where sign-in and link events go.

        Returns:
            The social login wiring (no provider enabled: an empty one).

        Raises:
            ConfigurationError: a provider setting is not usable.
        """
        social = cls(providers={}, identities=SQLIdentityStore(users), _security=security)
        strategies = _strategies(settings, social._verify_for(settings, auth, users))
        if strategies:
            social.http = httpx.AsyncClient(follow_redirects=False)
            for title, build in strategies:
                strategy = build(social.http)
                auth.use(strategy)
                social.providers[strategy.name] = SocialProvider(strategy.name, title)
            auth.hooks.after_authentication.append(social._signed_in)
            auth.hooks.after_failure.append(social._refused)
        return social

    def title(self, name: str) -> str:
        """The display name of a provider (its name when it is not configured).

        Args:
            name: the provider name.

        Returns:
            The title.
        """
        provider = self.providers.get(name)
        return provider.title if provider else name

    async def aclose(self) -> None:
        """Close the shared HTTP client."""
        if self.http is not None:
            await self.http.aclose()

    async def unlink(self, user: User, provider: str, subject: str) -> Unlinked:
        """Remove one of a user's links, unless it is the last way to sign in.

        Args:
            user: the signed-in user.
            provider: the provider name.
            subject: the provider's account id.

        Returns:
            ``"unlinked"``; ``"not_linked"`` when the user has no such link;
            ``"last_way_in"`` when the account has no password and no other usable link.

        Raises:
            StoreUnavailableError: the database cannot be reached.
        """
        links = await self.identities.list_for_user(user.id)
        if not any(link.provider == provider and link.subject == subject for link in links):
            return "not_linked"
        # An account must keep a way in, or it is lost to its owner (OWASP ASVS 2.5).
        # The check and the delete are one step in the database: two concurrent
        # unlinks must not both pass a check made before either deletes (CWE-362).
        if not await self.identities.unlink_unless_last(
            user.id, provider, subject, usable=self.providers.keys()
        ):
            # A concurrent unlink of the same link may have removed it meanwhile.
            gone = await self.identities.find(provider, subject) is None
            return "not_linked" if gone else "last_way_in"
        self._security.event("identity.unlinked", user_id=user.id, provider=provider)
        return "unlinked"

    async def links(self, user: User) -> list[Identity]:
        """A user's links, oldest first.

        Args:
            user: the user.

        Returns:
            The identities.

        Raises:
            StoreUnavailableError: the database cannot be reached.
        """
        return await self.identities.list_for_user(user.id)

    def _verify_for(
        self, settings: Settings, auth: Authenticator, users: SQLUserStore
    ) -> SocialVerify:
        identities = self.identities
        security = self._security

        async def verify(request: Request, profile: ProviderProfile) -> Any:
            title = self.title(profile.provider)
            current: User | None = await auth.user(request)
            if current is not None:
                # Signed in: link to this account. The callback's ``state`` is bound
                # to this session, so nobody can push their provider account into
                # someone else's session (RFC 9700 §4.7.1).
                try:
                    await identities.link(
                        current.id, profile.provider, profile.subject, email=profile.email
                    )
                except IdentityLinkedError:
                    security.event(
                        "identity.link_refused", user_id=current.id, provider=profile.provider
                    )
                    raise
                security.event("identity.linked", user_id=current.id, provider=profile.provider)
                return current, {"message": f"{title} is now linked to your account."}
            known = await identities.find(profile.provider, profile.subject)
            # Only a first sign-in asks who has the email, to log what it did.
            owner = (
                await users.find_by_email(profile.email)
                if known is None and profile.email
                else None
            )
            try:
                user = await link_or_create(
                    users, identities, profile, create_users=settings.effective_social_signup
                )
            except AccountLinkRequiredError:
                # The provider did not verify the email: linking would hand the account
                # to whoever controls that provider account ("nOAuth", OWASP ASVS 2.5).
                raise AccountLinkRequiredError(
                    "An account with this email already exists. Sign in with your password, "
                    f"then link {title} from your dashboard."
                ) from None
            if known is None:
                if owner is None:
                    security.event(
                        "user.created", channel=CHANNEL, user_id=user.id, provider=profile.provider
                    )
                security.event(
                    "identity.linked",
                    user_id=user.id,
                    provider=profile.provider,
                    by="new_account" if owner is None else "email",
                )
            return user

        return verify

    def _signed_in(self, *, request: HTTPConnection, user: Any, strategy: str, **_: Any) -> None:
        if strategy in self.providers and isinstance(user, User):
            self._security.event(
                "login.success",
                channel=CHANNEL,
                provider=strategy,
                user_id=user.id,
                address=_address(request),
            )

    def _refused(self, *, request: HTTPConnection, failures: Mapping[str, Fail]) -> None:
        for name, failure in failures.items():
            if name in self.providers:
                self._security.event(
                    "login.failure",
                    channel=CHANNEL,
                    provider=name,
                    reason=failure.code,
                    address=_address(request),
                )


def _address(request: HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"


def _strategies(settings: Settings, verify: SocialVerify) -> list[tuple[str, StrategyFactory]]:
    """``(title, build(http) -> strategy)`` for each enabled provider, in button order."""

    def secret(value: Any) -> str:
        return str(value.get_secret_value()) if value is not None else ""

    found: list[tuple[str, StrategyFactory]] = []
    common: dict[str, Any] = {"verify": verify, "pass_request": True}
    presets: tuple[_Preset, ...] = (
        ("github", "GitHub", providers.github, settings.github_client_id,
         settings.github_client_secret, {}),
        ("google", "Google", providers.google, settings.google_client_id,
         settings.google_client_secret, {}),
        ("microsoft", "Microsoft", providers.microsoft, settings.microsoft_client_id,
         settings.microsoft_client_secret, {"tenant": settings.microsoft_tenant or ""}),
    )  # fmt: skip
    for name, title, preset, client_id, client_secret, extra in presets:
        if not client_id:
            continue

        def build(
            http: httpx.AsyncClient,
            preset: Callable[..., Strategy] = preset,
            name: str = name,
            client_id: str = client_id,
            client_secret: Any = client_secret,
            extra: dict[str, Any] = extra,
        ) -> Strategy:
            return preset(
                client_id=client_id,
                client_secret=secret(client_secret),
                callback_url=settings.callback_url(name),
                client=http,
                **extra,
                **common,
            )

        found.append((title, build))
    if settings.oidc_issuer and settings.oidc_client_id:
        issuer, oidc_id = settings.oidc_issuer, settings.oidc_client_id

        def oidc(http: httpx.AsyncClient) -> Strategy:
            return OIDCStrategy(
                issuer,
                oidc_id,
                secret(settings.oidc_client_secret),
                settings.callback_url("oidc"),
                name="oidc",
                client=http,
                client_auth=settings.oidc_client_auth,
                **common,
            )

        found.append((settings.oidc_name, oidc))
    return found
