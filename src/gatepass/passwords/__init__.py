"""gatepass.passwords: argon2id hashing, the password policy and the login check."""

from gatepass.passwords.credentials import verify_credentials
from gatepass.passwords.hashing import (
    OWASP_MINIMUM,
    RFC9106_LOW_MEMORY,
    Argon2Parameters,
    PasswordHasher,
)
from gatepass.passwords.policy import PasswordPolicy, load_common_passwords

__all__ = [
    "OWASP_MINIMUM",
    "RFC9106_LOW_MEMORY",
    "Argon2Parameters",
    "PasswordHasher",
    "PasswordPolicy",
    "load_common_passwords",
    "verify_credentials",
]
