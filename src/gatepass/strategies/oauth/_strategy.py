"""What both OAuth sign-in strategies share: the code flow, an HTTP client, the verify call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import httpx
from starlette.requests import HTTPConnection

from gatepass.strategies.oauth._flow import Client, Flow, Verify, ask_verify, scope_text
from gatepass.strategies.oauth._profile import ProviderProfile
from gatepass.strategies.oauth.options import OAuth2Options, check_options
from gatepass.strategies.outcomes import Outcome


class CodeFlowStrategy:
    """The half of ``OAuth2Strategy`` and ``OIDCStrategy`` that does not depend on the protocol.

    Args:
        name: the registration name; also ``ProviderProfile.provider``.
        client_id: this app's client id at the provider.
        client_secret: this app's client secret.
        callback_url: the absolute redirect URI registered with the provider.
        scope: scopes to ask for (a string or a list).
        verify: the app's ``verify(profile)`` (or ``verify(request, profile)``).
        options: the optional keywords (:class:`OAuth2Options`, or a subclass's).

    Raises:
        ConfigurationError: missing client credentials or a relative callback URL.
        TypeError: an option the subclass does not take (``accepts``).
    """

    accepts: ClassVar[frozenset[str]] = OAuth2Options.__optional_keys__

    def __init__(
        self,
        *,
        name: str,
        client_id: str,
        client_secret: str,
        callback_url: str,
        scope: str | Sequence[str],
        verify: Verify,
        options: OAuth2Options,
    ) -> None:
        check_options(options, self.accepts, type(self).__name__)
        self.name = name
        self._verify = verify
        self._pass_request = options.get("pass_request", False)
        self._client = options.get("client")
        self._owns_client = self._client is None
        self.flow = Flow(
            name=name,
            client=Client(
                client_id=client_id,
                client_secret=client_secret,
                callback_url=callback_url,
                scope=scope_text(scope),
                client_auth=options.get("client_auth"),
                params=dict(options.get("authorization_params") or {}),
            ),
            http=self._http,
            options=options,
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def _ask_verify(self, request: HTTPConnection, profile: ProviderProfile) -> Outcome:
        return await ask_verify(
            self._verify, profile, self.name, request if self._pass_request else None
        )

    async def aclose(self) -> None:
        """Close the HTTP client if this strategy made it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None
