"""Social login in the reference server: providers from the settings, account linking.

A provider is enabled when its client id is set (``GATEPASS_GITHUB_CLIENT_ID``,
``GATEPASS_GOOGLE_...``, ``GATEPASS_MICROSOFT_...``, ``GATEPASS_OIDC_...``). Each is
registered on the Authenticator under its name with ``pass_request=True``, so the
verify callback sees who is signed in: a signed-in user who pressed "Link" on the
dashboard links the provider account to theirs; anyone else goes through
``link_or_create``. All strategies share one ``httpx.AsyncClient``, closed at shutdown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.requests import HTTPConnection, Request

from gatepass.authenticator import Authenticator
from gatepass.errors import (
    AccountLinkRequiredError,
    IdentityLinkedError,
    InvalidCredentialsError,
    PermissionDeniedError,
)
from gatepass.server.ending import end_every_login
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.social_providers import strategies_from
from gatepass.sessions import SessionStore, flash
from gatepass.strategies import ProviderProfile
from gatepass.strategies.outcomes import Fail
from gatepass.tokens.service import TokenService
from gatepass.users import SQLUserStore, User
from gatepass.users.identities import Identity, link_or_create
from gatepass.users.identities_sql import SQLIdentityStore

CHANNEL = "social"
Unlinked = Literal["unlinked", "not_linked", "last_way_in"]
# The provider a signed-in user asked to link with the dashboard's POST form.
LINKING_SESSION_KEY = "_gatepass_linking"
# Failures whose message gatepass wrote for end users; any other (a provider's error
# text, an issuer URL, a client id, an exception name) is logged and replaced by a
# plain message (CWE-209).
_SHOWN = frozenset(
    {
        "access_denied",
        "provider_refused",
        "invalid_state",
        "account_link_required",
        "identity_linked",
        "invalid_credentials",
        "invalid_email",
        "forbidden",
    }
)
_PLAIN = {
    "provider_unavailable": "The sign-in provider cannot be reached right now. Try again later.",
    "provider_error": "The sign-in provider did not complete the sign-in. Try again later.",
}
_NOT_VERIFIED = "The sign-in could not be verified. Please start again."


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
        sessions: SessionStore | None = None,
        tokens: TokenService | None = None,
    ) -> SocialLogin:
        """Register a strategy for each provider the settings enable.

        Args:
            settings: the validated settings.
            auth: the Authenticator to register the strategies on.
            users: the user store (the identity table lives in the same database).
            security: where sign-in and link events go.
            sessions: the session store; with ``tokens``, lets a provider sign-in take
                over an account whose email was never verified (every session and
                refresh family of it ends). Without both, such a sign-in is refused.
            tokens: the token service (refresh families, revocation).

        Returns:
            The social login wiring (no provider enabled: an empty one).

        Raises:
            ConfigurationError: a provider setting is not usable.
        """
        social = cls(providers={}, identities=SQLIdentityStore(users), _security=security)
        ending = _ending(sessions, tokens) if sessions and tokens else None
        strategies = strategies_from(settings, social._verify_for(settings, auth, users, ending))
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
        self,
        settings: Settings,
        auth: Authenticator,
        users: SQLUserStore,
        ending: Callable[[User], Awaitable[int]] | None,
    ) -> Callable[[Request, ProviderProfile], Awaitable[Any]]:
        identities = self.identities
        security = self._security

        async def verify(request: Request, profile: ProviderProfile) -> Any:
            title = self.title(profile.provider)
            current: User | None = await auth.user(request)
            linking = request.session.pop(LINKING_SESSION_KEY, None)
            if current is not None:
                # Signed in: link to this account, but only when its owner pressed
                # "Link" (a POST with the CSRF token). A plain link to /auth/{provider}
                # would attach whatever provider account the browser holds, an
                # attacker's after a login CSRF at the provider (RFC 9700 §4.7).
                if linking != profile.provider:
                    security.event(
                        "identity.link_refused",
                        user_id=current.id,
                        provider=profile.provider,
                        reason="not_started_here",
                    )
                    raise PermissionDeniedError(
                        f"Nothing was linked: link {title} with its button on your dashboard."
                    )
                # The callback's ``state`` is bound to this session, so nobody can push
                # their provider account into someone else's session (RFC 9700 §4.7.1).
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
                account = profile.email or profile.subject
                return current, {
                    "message": f"Your {title} account {account} is now linked to this account."
                }
            known = await identities.find(profile.provider, profile.subject)
            # Only a first sign-in asks who has the email, to log what it did.
            owner = (
                await users.find_by_email(profile.email)
                if known is None and profile.email
                else None
            )
            taken_over: list[int] = []

            async def end_sessions(user: User) -> None:
                if ending is not None:
                    taken_over.append(await ending(user))

            try:
                user = await link_or_create(
                    users,
                    identities,
                    profile,
                    create_users=settings.effective_social_signup,
                    end_sessions=end_sessions if ending else None,
                )
            except (AccountLinkRequiredError, InvalidCredentialsError):
                if known is not None or profile.email_verified:
                    raise
                # The provider did not verify the email: linking would hand the account
                # to whoever controls that provider account ("nOAuth", OWASP ASVS 2.5).
                # One answer whether or not an account has the address, so the
                # callback tells nobody who has an account (ASVS 5.0 6.3.8, CWE-204).
                raise AccountLinkRequiredError(
                    f"{title} did not confirm this email address, so it cannot sign you in "
                    f"here. Sign in with your password, then link {title} from your dashboard."
                ) from None
            if taken_over:
                # Pre-hijacking closed (Sudhodanan & Paverd 2022; ASVS 5.0 6.3.4, 6.8.1).
                security.event(
                    "account.taken_over",
                    user_id=user.id,
                    provider=profile.provider,
                    sessions_ended=taken_over[0],
                )
                security.event(
                    "identity.linked", user_id=user.id, provider=profile.provider, by="takeover"
                )
                return user, {
                    "message": f"Signed in with {title}. This account's email address had "
                    "never been confirmed, so its password was removed and every other "
                    f"session ended: you sign in with {title} now."
                }
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
        """Log a failed provider sign-in with its details; flash a plain message."""
        for name, failure in failures.items():
            if name in self.providers:
                self._security.event(
                    "login.failure",
                    channel=CHANNEL,
                    provider=name,
                    reason=failure.code,
                    detail=failure.message,
                    address=_address(request),
                )
                flash(request, "error", plain_message(failure))


def plain_message(failure: Fail) -> str:
    """What an end user is told about a failed provider sign-in.

    Args:
        failure: the strategy's outcome.

    Returns:
        Its message when gatepass wrote it for end users; otherwise a plain text
        without the provider's details (logged instead).
    """
    if failure.code in _SHOWN and failure.message:
        return failure.message
    return _PLAIN.get(failure.code, _NOT_VERIFIED)


def _ending(sessions: SessionStore, tokens: TokenService) -> Callable[[User], Awaitable[int]]:
    async def end_everything(user: User) -> int:
        return await end_every_login(sessions, tokens, user.id)

    return end_everything


def _address(request: HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"
