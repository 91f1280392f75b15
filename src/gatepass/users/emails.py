"""Email addresses as account keys: one normal form, so one person gets one account.

The normal form is Unicode NFKC, surrounding whitespace stripped, and the whole
address case-folded. Folding the local part too is a deliberate choice: RFC 5321
§2.4 lets a mail server treat ``Ann@example.com`` and ``ann@example.com`` as two
mailboxes, but no mainstream provider does, and two accounts that differ only by
case are a phishing and account-mix-up aid (one person, two accounts, two passwords).
NFKC makes look-alike compatibility forms (full-width letters, ligatures such as ``ﬁ``) the same
address; ``casefold`` also folds ``ß`` to ``ss``.
"""

from __future__ import annotations

import unicodedata

from gatepass.errors import InvalidEmailError

# RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain; 254 in a path in practice.
MAX_EMAIL_LENGTH = 254
# Characters as typed. NFKC can grow a character eighteen-fold (U+FDFA) and shrink a
# few into one, so the 254 limit is checked after it; text this long is refused before
# it, so a hostile login cannot make normalization stall the event loop.
MAX_TYPED_LENGTH = 1024


def normalize_email(email: str) -> str:
    """Return the normal form of an email address, the key accounts are stored under.

    Args:
        email: the address as typed.

    Returns:
        The NFKC-normalized, stripped, case-folded address.

    Raises:
        InvalidEmailError: the text cannot be an email address (no single ``@``
            between a local part and a dotted-or-plain domain, whitespace or
            control characters inside, or longer than 254 characters; text longer
            than 1024 characters as typed is refused without normalizing it).
    """
    if len(email) > MAX_TYPED_LENGTH:
        raise InvalidEmailError()
    normal = unicodedata.normalize("NFKC", email).strip().casefold()
    local, at, domain = normal.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or len(normal) > MAX_EMAIL_LENGTH
        or domain.startswith(".")
        or domain.endswith(".")
        or ".." in domain
        or "@" in domain
        or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in normal)
    ):
        raise InvalidEmailError()
    return normal


def local_part(email: str) -> str:
    """Return the part of a normalized address before the last ``@``.

    Args:
        email: an address in normal form (see :func:`normalize_email`).

    Returns:
        The local part, or the whole text when it has no ``@``.
    """
    local, _, _ = email.rpartition("@")
    return local or email
