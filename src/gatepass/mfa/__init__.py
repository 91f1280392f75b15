"""gatepass.mfa: second factors. TOTP (RFC 6238) with recovery codes, secrets sealed at rest.

``TOTPFactor`` is the face: ``begin`` / ``confirm`` / ``verify`` / ``disable``, over an
``MFAStore`` (memory, or SQL beside the users). ``MFAChallenges`` holds the
``mfa_token`` between the password step and the code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.mfa.challenges import CHALLENGE_LIFETIME, MFAChallenges, PendingChallenge
from gatepass.mfa.encryption import SecretBox, parse_keys
from gatepass.mfa.passkey_store import MemoryPasskeyStore, Passkey, PasskeyStore
from gatepass.mfa.recovery import RECOVERY_CODE_COUNT, RecoveryCodes
from gatepass.mfa.service import Method, TOTPFactor, TOTPSetup
from gatepass.mfa.store import MemoryMFAStore, MFAStore, TOTPRecord
from gatepass.mfa.totp import code_at, match_step, new_secret, otpauth_uri

if TYPE_CHECKING:
    from gatepass.mfa.passkeys import CeremonyOptions, PasskeyCeremonies
    from gatepass.mfa.passkeys_sql import SQLPasskeyStore
    from gatepass.mfa.sql import SQLMFAStore

__all__ = [
    "CHALLENGE_LIFETIME",
    "RECOVERY_CODE_COUNT",
    "CeremonyOptions",
    "MFAChallenges",
    "MFAStore",
    "MemoryMFAStore",
    "MemoryPasskeyStore",
    "Method",
    "Passkey",
    "PasskeyCeremonies",
    "PasskeyStore",
    "PendingChallenge",
    "RecoveryCodes",
    "SQLMFAStore",
    "SQLPasskeyStore",
    "SecretBox",
    "TOTPFactor",
    "TOTPRecord",
    "TOTPSetup",
    "code_at",
    "match_step",
    "new_secret",
    "otpauth_uri",
    "parse_keys",
]

# SQLAlchemy (extra ``sql``) and py_webauthn (extra ``passkeys``): imported on first use.
__getattr__ = lazy_attributes(
    __name__,
    {
        "CeremonyOptions": "gatepass.mfa.passkeys",
        "PasskeyCeremonies": "gatepass.mfa.passkeys",
        "SQLMFAStore": "gatepass.mfa.sql",
        "SQLPasskeyStore": "gatepass.mfa.passkeys_sql",
    },
)
