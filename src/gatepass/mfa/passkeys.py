"""Passkey ceremonies (WebAuthn) on py_webauthn: register a credential, sign in with one.

The relying party's origin and RP ID are fixed at construction (from the public URL);
every response is checked against them, against the challenge the caller issued, and,
on sign-in, against the stored public key and sign count. User verification is
required, so a passkey alone is two factors (something held, something known or are),
which is what lets it sign in without a password (W3C WebAuthn Level 3 §7; OWASP ASVS
2.7, 2.8). The caller keeps each challenge for one ceremony and spends it once.
py_webauthn's exceptions are translated here into ``PasskeyError`` and nowhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from gatepass.errors import PasskeyError
from gatepass.mfa.passkey_store import Passkey, PasskeyStore

__all__ = ["CeremonyOptions", "PasskeyCeremonies"]

Response = str | Mapping[str, Any]
_TRANSPORTS = {item.value: item for item in AuthenticatorTransport}


class CeremonyOptions:
    """Options for the browser (``json``) and the challenge to keep until the answer."""

    def __init__(self, json: str, challenge: bytes) -> None:
        self.json = json
        self.challenge = challenge


class PasskeyCeremonies:
    """Registration and authentication against one relying party.

    Args:
        store: where passkeys live.
        rp_id: the relying party id, the host of the public URL (``auth.example.com``).
        rp_name: the name browsers show.
        origin: the exact origin pages run on (``https://auth.example.com``).
        clock: "now" for ``created_at``.
    """

    def __init__(
        self,
        store: PasskeyStore,
        *,
        rp_id: str,
        rp_name: str,
        origin: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self._rp_id = rp_id
        self._rp_name = rp_name
        self._origin = origin
        self._clock = clock

    async def registration_options(
        self,
        *,
        user_id: str,
        user_name: str,
        display_name: str | None = None,
        challenge: bytes | None = None,
    ) -> CeremonyOptions:
        """Options for ``navigator.credentials.create()``: a discoverable credential.

        The user's passkeys are excluded, so one authenticator is registered once.

        Args:
            user_id: the signed-in user (the credential's user handle).
            user_name: the name authenticators show (the email).
            display_name: a friendlier name, if any.
            challenge: 32+ random bytes; new ones by default.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        existing = await self.store.list_passkeys(user_id)
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name=self._rp_name,
            user_name=user_name,
            user_id=user_id.encode(),
            user_display_name=display_name or user_name,
            challenge=challenge or secrets.token_bytes(32),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(key) for key in existing],
        )
        return CeremonyOptions(options_to_json(options), options.challenge)

    async def register(
        self, *, user_id: str, response: Response, challenge: bytes, name: str = "Passkey"
    ) -> Passkey:
        """Check the browser's answer to :meth:`registration_options` and keep the passkey.

        Args:
            user_id: the signed-in user the options were made for.
            response: the ``PublicKeyCredential`` as JSON (text or parsed).
            challenge: the challenge of those options, spent by the caller.
            name: the user's label for it.

        Returns:
            The stored passkey.

        Raises:
            PasskeyError: the answer does not verify, or the credential is registered.
            StoreUnavailableError: the store cannot be reached.
        """
        try:
            verified = verify_registration_response(
                credential=_as_dict(response),
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyError("The passkey could not be registered.") from exc
        transports = _as_dict(response).get("response", {}).get("transports") or []
        passkey = Passkey(
            credential_id=verified.credential_id,
            user_id=user_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=tuple(str(item) for item in transports if item in _TRANSPORTS),
            backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
            backed_up=verified.credential_backed_up,
            aaguid=verified.aaguid,
            name=name[:100],
            created_at=self._clock(),
        )
        if not await self.store.add_passkey(passkey):
            raise PasskeyError("This passkey is already registered.")
        return passkey

    async def authentication_options(
        self, *, user_id: str | None = None, challenge: bytes | None = None
    ) -> CeremonyOptions:
        """Options for ``navigator.credentials.get()``.

        Args:
            user_id: a user to allow only the passkeys of (a second factor); ``None``
                for a discoverable sign-in, where the authenticator picks the account.
            challenge: 32+ random bytes; new ones by default.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        allow = await self.store.list_passkeys(user_id) if user_id is not None else []
        options = generate_authentication_options(
            rp_id=self._rp_id,
            challenge=challenge or secrets.token_bytes(32),
            allow_credentials=[_descriptor(key) for key in allow],
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return CeremonyOptions(options_to_json(options), options.challenge)

    async def authenticate(
        self, *, response: Response, challenge: bytes, user_id: str | None = None
    ) -> Passkey:
        """Check a signed assertion; move the passkey's sign count.

        Args:
            response: the ``PublicKeyCredential`` as JSON (text or parsed).
            challenge: the challenge of the options, spent by the caller.
            user_id: the user the credential must belong to (second factor), or
                ``None`` (the credential names its user).

        Returns:
            The passkey, with its new sign count.

        Raises:
            PasskeyError: unknown credential, another user's, a user handle that does
                not match, a bad signature, origin or RP ID, or a sign count that did
                not grow (a cloned authenticator).
            StoreUnavailableError: the store cannot be reached.
        """
        body = _as_dict(response)
        try:
            credential_id = base64url_to_bytes(str(body.get("rawId") or body.get("id") or ""))
        except ValueError as exc:
            raise PasskeyError() from exc
        passkey = await self.store.find_passkey(credential_id) if credential_id else None
        if passkey is None or (user_id is not None and passkey.user_id != user_id):
            raise PasskeyError()
        handle = body.get("response", {}).get("userHandle")
        if handle and _decoded(handle) != passkey.user_id.encode():
            raise PasskeyError()
        try:
            verified = verify_authentication_response(
                credential=body,
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origin,
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyError() from exc
        moved = await self.store.record_use(
            credential_id,
            expected_count=passkey.sign_count,
            new_count=verified.new_sign_count,
            backed_up=verified.credential_backed_up,
        )
        if not moved:
            raise PasskeyError()  # a concurrent use moved the count first
        updated = await self.store.find_passkey(credential_id)
        return updated or passkey


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=passkey.credential_id,
        transports=[_TRANSPORTS[item] for item in passkey.transports if item in _TRANSPORTS],
    )


def _as_dict(response: Response) -> dict[str, Any]:
    if isinstance(response, str):
        import json

        try:
            parsed = json.loads(response)
        except ValueError as exc:
            raise PasskeyError() from exc
        if not isinstance(parsed, dict):
            raise PasskeyError()
        return parsed
    return dict(response)


def _decoded(value: object) -> bytes | None:
    try:
        return base64url_to_bytes(str(value))
    except ValueError:
        return None
