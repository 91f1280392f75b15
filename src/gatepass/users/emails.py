"""Email addresses as account keys: one normal form, folding only what is one mailbox.

Two spellings share an account only where they provably reach the same mailbox
(CWE-176, CWE-178):

- the domain is compared as DNS compares it: ASCII case-insensitive, and an
  internationalized domain in its IDNA2008 / UTS #46 form (``BÜCHER.de``,
  ``xn--bcher-kva.de`` and ``bücher.de`` are one domain); the key keeps the
  Unicode form;
- the local part is compared exactly, except ASCII letters, whose case is folded by
  policy: RFC 5321 §2.4 lets a mail server tell ``Ann`` from ``ann``, but no
  mainstream provider does, and two accounts differing only by case aid phishing;
- combining sequences are composed (NFC), so a decomposed ``u + U+0308`` is ``ü``.

Nothing else is folded: ``ß`` stays apart from ``ss``, ``Ü`` from ``ü``, a Cyrillic
``U+0430`` from a Latin ``a``. Compatibility characters (the Kelvin sign U+212A,
full-width letters, ligatures such as ``ﬁ``) are refused in the local part: NFKC
would turn them into other, ordinary letters, so such an address could sign in as
someone else's, and no mail provider hands them out.
"""

from __future__ import annotations

import unicodedata

import idna

from gatepass.errors import InvalidEmailError

# RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain; 254 in a path in practice.
MAX_EMAIL_LENGTH = 254
# Characters as typed. Normalization can grow text (NFKC eighteen-fold for U+FDFA),
# so the 254 limit is checked after it; text this long is refused before it, so a
# hostile login cannot make normalization stall the event loop.
MAX_TYPED_LENGTH = 1024


def normalize_email(email: str) -> str:
    """Return the normal form of an email address, the key accounts are stored under.

    Args:
        email: the address as typed.

    Returns:
        The stripped address: the local part composed (NFC) with its ASCII letters
        lower-cased, the domain lower-cased in its Unicode IDNA form.

    Raises:
        InvalidEmailError: the text cannot be an email address (no single ``@``
            between a local part and a dotted-or-plain domain, whitespace or
            control characters inside, a compatibility character in the local
            part, a domain IDNA refuses, or longer than 254 characters; text longer
            than 1024 characters as typed is refused without normalizing it).
    """
    if len(email) > MAX_TYPED_LENGTH:
        raise InvalidEmailError()
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmailError()
    normal = f"{_local_key(local)}@{_domain_key(domain)}"
    if len(normal) > MAX_EMAIL_LENGTH or any(
        ch.isspace() or unicodedata.category(ch).startswith("C") for ch in normal
    ):
        raise InvalidEmailError()
    return normal


def legacy_email_key(email: str) -> str | None:
    """The key of the first normal form (NFKC + casefold), when it may name a stored row.

    Rows written under that form are found by this key, but only when it still holds a
    non-ASCII letter: an ASCII legacy key is the normal form of an ASCII address,
    and matching ``ß@`` to ``ss@`` or a Kelvin sign to ``k`` is what the new form
    refuses (CWE-178).

    Args:
        email: the address as typed (or its normal form).

    Returns:
        The legacy key when it differs from the normal form and is not ASCII, else
        ``None``.
    """
    if len(email) > MAX_TYPED_LENGTH:
        return None
    legacy = unicodedata.normalize("NFKC", email).strip().casefold()
    if legacy.isascii() or len(legacy) > MAX_EMAIL_LENGTH:
        return None
    try:
        current = normalize_email(email)
    except InvalidEmailError:
        current = None
    return None if legacy == current else legacy


def _local_key(local: str) -> str:
    # A character that NFKC changes on its own is a compatibility form of another
    # character: refused, not folded (Kelvin sign -> "K", full-width A U+FF21 -> "A").
    if not all(unicodedata.is_normalized("NFKC", ch) for ch in local):
        raise InvalidEmailError()
    composed = unicodedata.normalize("NFC", local)
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in composed)


def _domain_key(domain: str) -> str:
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        raise InvalidEmailError()
    lowered = domain.lower() if domain.isascii() else domain
    if lowered.isascii() and not any(label.startswith("xn--") for label in lowered.split(".")):
        return lowered
    try:
        # UTS #46 non-transitional mapping, as resolvers apply it: "ß" stays "ß".
        return str(idna.decode(idna.encode(domain, uts46=True)))
    except (idna.IDNAError, UnicodeError):
        raise InvalidEmailError() from None


def local_part(email: str) -> str:
    """Return the part of a normalized address before the last ``@``.

    Args:
        email: an address in normal form (see :func:`normalize_email`).

    Returns:
        The local part, or the whole text when it has no ``@``.
    """
    local, _, _ = email.rpartition("@")
    return local or email
