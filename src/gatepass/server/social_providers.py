"""The reference server's identity providers, built from the settings.

GitHub, Google and Microsoft are presets; ``GATEPASS_OIDC_*`` configures any OpenID
provider under the name ``oidc``. Strategy names and imports come from
``gatepass.strategies``, the package root.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from gatepass.server.settings import Settings
from gatepass.strategies import OIDCStrategy, Strategy, providers

StrategyFactory = Callable[[httpx.AsyncClient], Strategy]
# (name, button title, preset, client id, client secret, extra preset arguments)
_Preset = tuple[str, str, Callable[..., Strategy], str | None, Any, dict[str, Any]]


def strategies_from(
    settings: Settings, verify: Callable[..., Any]
) -> list[tuple[str, StrategyFactory]]:
    """``(title, build(http) -> strategy)`` for each enabled provider, in button order.

    Args:
        settings: the validated settings.
        verify: the verify callback every strategy gets (``pass_request=True``).

    Returns:
        The factories; each builds its strategy on the shared HTTP client.

    Raises:
        ConfigurationError: a provider setting is not usable (when built).
    """

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
