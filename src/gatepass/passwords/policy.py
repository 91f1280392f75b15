"""What a new password must be, in the spirit of NIST SP 800-63B §5.1.1.2.

Length counts, composition rules do not: at least 8 characters, no "one digit, one
symbol" demands, and a refusal of passwords that are known to be common or that are
the account's own email. The upper bound is 256 bytes of UTF-8 (with NFKC applied,
as the hasher does): it bounds the cost of hashing a hostile input (OWASP Password
Storage Cheat Sheet, "Maximum password lengths") while still allowing the at least
64 characters NIST asks verifiers to accept, even when every character takes four
bytes. Text longer than the hasher's ``MAX_PASSWORD_CHARS`` (1024 characters as
typed) is refused before NFKC, which can grow one character eighteen-fold.
"""

from __future__ import annotations

import gzip
import unicodedata
from collections.abc import Callable, Collection, Iterable
from functools import cached_property
from importlib.resources import files

from gatepass.errors import PasswordPolicyError
from gatepass.passwords.hashing import MAX_PASSWORD_CHARS
from gatepass.users.emails import MAX_TYPED_LENGTH, local_part

MIN_LENGTH = 8  # NIST SP 800-63B §5.1.1.2: "at least 8 characters in length".
MAX_BYTES = 256  # 64 characters of up to 4 UTF-8 bytes each (NIST asks for >= 64).
COMMON_PASSWORDS_RESOURCE = "data/common-passwords.txt.gz"


def load_common_passwords() -> frozenset[str]:
    """Read the bundled list of 10,000 common passwords (SecLists, MIT; see data/README.md).

    Returns:
        The entries, case-folded.
    """
    raw = files("gatepass.passwords").joinpath(COMMON_PASSWORDS_RESOURCE).read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    return frozenset(line.casefold() for line in text.splitlines() if line)


class PasswordPolicy:
    """Decide whether a new password may be set; ``check`` says why not, for people.

    Args:
        min_length: fewest characters (Unicode code points, after NFKC).
        max_bytes: most UTF-8 bytes (after NFKC).
        common_passwords: a loader of the case-folded passwords to refuse; the
            bundled list by default, read once per policy object on first use.
        context_words: more words to refuse as a whole password, such as the site's
            name (NIST SP 800-63B §5.1.1.2 "context-specific words").
    """

    def __init__(
        self,
        *,
        min_length: int = MIN_LENGTH,
        max_bytes: int = MAX_BYTES,
        common_passwords: Callable[[], Collection[str]] = load_common_passwords,
        context_words: Iterable[str] = (),
    ) -> None:
        self.min_length = min_length
        self.max_bytes = max_bytes
        self._load_common = common_passwords
        self._context_words = frozenset(_fold(word) for word in context_words if word)

    @cached_property
    def common_passwords(self) -> Collection[str]:
        """The refused common passwords, loaded on first use and kept."""
        return self._load_common()

    def problems(self, password: str, *, email: str | None = None) -> list[str]:
        """List what is wrong with a new password, as sentences to show a person.

        Args:
            password: the new password in clear.
            email: the account's email, if known; the password may not be it, nor
                its part before the ``@``.

        Returns:
            Human messages; empty when the password is acceptable.
        """
        too_long = (
            f"Use a shorter password: at most {self.max_bytes} bytes, which is at least "
            f"{self.max_bytes // 4} characters."
        )
        if len(password) > MAX_PASSWORD_CHARS:
            # Refused as typed: NFKC of a hostile input could take seconds and
            # megabytes (OWASP Password Storage Cheat Sheet, "Maximum password lengths").
            return [too_long]
        normal = unicodedata.normalize("NFKC", password)
        try:
            size = len(normal.encode("utf-8"))
        except UnicodeEncodeError:
            # A lone surrogate (possible in JSON text) cannot be hashed or typed again.
            return ["The password contains characters that cannot be used; remove them."]
        folded = normal.casefold()
        reasons: list[str] = []
        if len(normal) < self.min_length:
            reasons.append(f"Use at least {self.min_length} characters.")
        if size > self.max_bytes:
            reasons.append(too_long)
        if folded in self.common_passwords:
            reasons.append("This password is one of the most common ones; choose another.")
        elif normal and len(set(normal)) == 1:
            # NIST SP 800-63B §5.1.1.2 names repetitive characters ("aaaaaa").
            reasons.append("A password made of one repeated character is easy to guess.")
        if email and folded in _email_words(email):
            reasons.append("Do not use your email address as your password.")
        elif folded in self._context_words:
            reasons.append("This password is too easy to guess for this site; choose another.")
        return reasons

    def check(self, password: str, *, email: str | None = None) -> None:
        """Accept a new password or say why not.

        Args:
            password: the new password in clear.
            email: the account's email, if known.

        Raises:
            PasswordPolicyError: with ``reasons``, human messages to show next to the
                password field (422).
        """
        reasons = self.problems(password, email=email)
        if reasons:
            raise PasswordPolicyError(reasons=reasons)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _email_words(email: str) -> set[str]:
    if len(email) > MAX_TYPED_LENGTH:
        # No address this long is accepted, and NFKC of it could stall the event loop.
        return set()
    folded = _fold(email)
    return {word for word in (folded, local_part(folded)) if word}
