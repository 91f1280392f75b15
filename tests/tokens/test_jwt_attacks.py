"""Known attacks on JWT libraries, each refused (RFC 8725 and the CVEs they cite)."""

from __future__ import annotations

import hmac
from typing import Any

import jwt as pyjwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from gatepass import jwt
from gatepass.errors import (
    BadSignatureError,
    ClaimError,
    InvalidKeyError,
    KeyMismatchError,
    MalformedTokenError,
    UnsupportedAlgorithmError,
)
from gatepass.tokens import Key, KeySet, Verifier
from gatepass.tokens._encoding import b64encode

NOW = 1_700_000_000
SECRET = b"0123456789abcdef0123456789abcdef"  # the hs256 fixture's secret


def clock() -> float:
    return NOW


def forge(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None = None) -> str:
    """A token with any header, HMAC-signed with ``secret`` (or a dummy signature)."""
    signing_input = b64encode(orjson.dumps(header)) + b"." + b64encode(orjson.dumps(claims))
    mac = hmac.digest(secret, signing_input, "sha256") if secret else b"\x01" * 32
    return (signing_input + b"." + b64encode(mac)).decode()


CLAIMS = {"sub": "admin", "exp": NOW + 3600}


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_unsigned_tokens_are_refused_in_any_case(hs256: Key, alg: str) -> None:
    token = forge({"alg": alg}, CLAIMS)
    with pytest.raises(UnsupportedAlgorithmError, match="never accepted"):
        jwt.verify(token, hs256, clock=clock)
    with pytest.raises(MalformedTokenError):
        jwt.verify(token.rsplit(".", 1)[0] + ".", hs256, clock=clock)


def test_unknown_algorithm_is_refused(hs256: Key) -> None:
    with pytest.raises(UnsupportedAlgorithmError, match="'HS1'"):
        jwt.verify(forge({"alg": "HS1"}, CLAIMS), hs256, clock=clock)


def _rsa_public_forms(key: Key) -> list[bytes]:
    material: Any = key._material
    public = material.public_key()
    return [
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH),
        orjson.dumps(key.public_jwk()),
    ]


def test_hs256_token_signed_with_the_rsa_public_key_is_refused(
    keys_by_algorithm: dict[str, Key],
) -> None:
    # RFC 8725 §2.1, CVE-2015-9235 (jsonwebtoken), CVE-2022-29217 (PyJWT).
    rsa_key = keys_by_algorithm["RS256"]
    public = rsa_key.public_key()
    for form in _rsa_public_forms(rsa_key):
        token = forge({"alg": "HS256", "kid": rsa_key.kid}, CLAIMS, secret=form)
        with pytest.raises(KeyMismatchError) as info:
            jwt.verify(token, public, clock=clock)
        assert info.value.code == "key_mismatch"
        with pytest.raises(KeyMismatchError):
            jwt.verify(token, KeySet([public]), clock=clock)
        # Passing the public key where a secret goes is refused outright.
        with pytest.raises(InvalidKeyError, match="asymmetric key"):
            jwt.verify(token, form, algorithm="HS256", clock=clock)


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c"])
def test_headers_that_carry_or_point_at_keys_are_refused(
    keys_by_algorithm: dict[str, Key], member: str
) -> None:
    key = keys_by_algorithm["ES256"]
    value: Any = key.public_jwk() if member == "jwk" else "https://attacker.example/k"
    header = orjson.dumps({"alg": "ES256", "kid": key.kid, member: value})
    signing_input = b64encode(header) + b"." + b64encode(orjson.dumps(CLAIMS))
    token = (signing_input + b"." + b64encode(key.sign(signing_input))).decode()
    with pytest.raises(MalformedTokenError, match="RFC 8725"):
        jwt.verify(token, key, clock=clock)


@pytest.mark.parametrize(
    "extra", [{"crit": ["exp"], "exp": 1}, {"crit": []}, {"b64": False}, {"b64": True}]
)
def test_critical_extensions_and_unencoded_payloads_are_refused(
    hs256: Key, extra: dict[str, Any]
) -> None:
    token = forge({"alg": "HS256", "kid": "hs", **extra}, CLAIMS, secret=SECRET)
    with pytest.raises(MalformedTokenError):
        jwt.verify(token, hs256, clock=clock)


def _valid(hs256: Key) -> str:
    return jwt.sign({"sub": "a"}, hs256, clock=clock)


def test_padded_signature_is_refused_where_pyjwt_accepts_it(hs256: Key) -> None:
    token = _valid(hs256)
    padded = token + "=" * (-len(token.rsplit(".", 1)[1]) % 4 or 4)
    assert pyjwt.decode(padded, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    with pytest.raises(MalformedTokenError, match="padding"):
        jwt.verify(padded, hs256, clock=clock)


def test_string_exp_is_refused_where_pyjwt_accepts_it(hs256: Key) -> None:
    token = forge(
        {"alg": "HS256", "kid": "hs"},
        {"exp": "4000000000"},
        secret=SECRET,
    )
    assert pyjwt.decode(token, SECRET, algorithms=["HS256"])
    with pytest.raises(ClaimError, match="number"):
        jwt.verify(token, hs256, clock=clock)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace(".", ".?", 1),
        lambda t: t + "?",
        lambda t: t[:10] + " " + t[10:],
        lambda t: t[:10] + "\n" + t[10:],
        lambda t: t + ".",
        lambda t: "." + t,
        lambda t: t.replace(".", "..", 1),
        lambda t: t.split(".", 1)[1],
        lambda t: "",
        lambda t: t[:5] + "é" + t[5:],
        lambda t: t[:-1],  # a 1-character tail can never be base64
        lambda t: "x" * 20_000 + t,
        lambda t: '{"payload":"e30","signatures":[]}',
    ],
)
def test_malformed_compact_serialisation_is_refused(hs256: Key, mutate: Any) -> None:
    token = _valid(hs256)
    bad = mutate(token)
    if bad == token[:-1] and len(token.rsplit(".", 1)[1]) % 4 != 2:
        bad = token[:-2]  # keep the case a length that is never valid
    with pytest.raises(MalformedTokenError) as info:
        jwt.verify(bad, hs256, clock=clock)
    assert info.value.code == "malformed_token"


def test_non_canonical_trailing_bits_are_refused(hs256: Key) -> None:
    token = _valid(hs256)
    head, body, sig = token.split(".")
    assert len(sig) % 4 == 3  # 32 bytes -> 43 characters, 2 unused bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(sig[-1]) | 1]  # same bytes for a lax decoder
    with pytest.raises(MalformedTokenError, match="non-canonical"):
        jwt.verify(f"{head}.{body}.{sig[:-1]}{twin}", hs256, clock=clock)


def test_altered_signature_or_payload_fails(keys_by_algorithm: dict[str, Key]) -> None:
    for key in keys_by_algorithm.values():
        token = jwt.sign({"sub": "a"}, key, clock=clock)
        head, body, sig = token.split(".")
        flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
        with pytest.raises(BadSignatureError) as info:
            jwt.verify(f"{head}.{body}.{flipped}", key, clock=clock)
        assert info.value.code == "bad_signature"
        other = jwt.sign({"sub": "b"}, key, clock=clock).split(".")[1]
        with pytest.raises(BadSignatureError):
            jwt.verify(f"{head}.{other}.{sig}", key, clock=clock)


def test_ecdsa_zero_signature_is_refused(keys_by_algorithm: dict[str, Key]) -> None:
    # CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
    for alg, size in (("ES256", 32), ("ES384", 48), ("ES512", 66)):
        key = keys_by_algorithm[alg]
        head, body, _ = jwt.sign({}, key, clock=clock).split(".")
        zero = b64encode(b"\x00" * 2 * size).decode()
        with pytest.raises(BadSignatureError):
            jwt.verify(f"{head}.{body}.{zero}", key, clock=clock)
        der_like = b64encode(b"\x30\x06\x02\x01\x00\x02\x01\x00").decode()
        with pytest.raises(BadSignatureError):
            jwt.verify(f"{head}.{body}.{der_like}", key, clock=clock)


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (b'{"alg":"HS256","alg":"none"}', b'{"exp":1700003600}'),
        (b'{"alg":"HS256","kid":"hs","kid" :"other"}', b'{"exp":1700003600}'),
        (b'{"alg":"HS256"}', b'{"sub":"user","sub":"admin","exp":1700003600}'),
        (b'{"alg":"HS256"}', b'{"sub":"user",\n"sub"\t:"admin","exp":1700003600}'),
        (b'{"alg":"HS256"}', b'{"exp":1700003600,"x":{"role":"a","role":"b"}}'),
        (b'{"alg":"HS256"}', b'{"exp":1700003600,"a":"\\":","a":1}'),
    ],
)
def test_duplicate_member_names_are_refused(hs256: Key, header: bytes, payload: bytes) -> None:
    signing_input = b64encode(header) + b"." + b64encode(payload)
    token = (signing_input + b"." + b64encode(hs256.sign(signing_input))).decode()
    with pytest.raises((MalformedTokenError, UnsupportedAlgorithmError), match=r"repeats|none"):
        jwt.verify(token, hs256, clock=clock)


def test_nested_objects_and_whitespace_without_duplicates_are_fine(hs256: Key) -> None:
    payload = b'{ "exp" : 1700003600, "x": {"role": "a", "more": {"k": [1, {"k": 2}]}} }'
    signing_input = b64encode(b'{"alg" : "HS256"}') + b"." + b64encode(payload)
    token = (signing_input + b"." + b64encode(hs256.sign(signing_input))).decode()
    assert jwt.verify(token, hs256, clock=clock)["x"]["more"] == {"k": [1, {"k": 2}]}


@pytest.mark.parametrize(
    ("header", "payload", "message"),
    [
        (b"[]", b"{}", "not a JSON object"),
        (b'{"alg":"HS256"}', b"[1]", "not a JSON object"),
        (b'{"alg":"HS256"}', b"{nope", "not valid JSON"),
        (b'{"alg":"HS256"}', b'{"exp":NaN}', "not valid JSON"),
        (b'{"alg":"HS256"}', b"\xff", "not valid JSON"),
        (b'{"alg":3}', b"{}", "'alg' string"),
        (b'{"typ":"JWT"}', b"{}", "'alg' string"),
        (b'{"alg":"HS256","kid":1}', b"{}", "'kid' must be a string"),
    ],
)
def test_malformed_json_is_refused(hs256: Key, header: bytes, payload: bytes, message: str) -> None:
    signing_input = b64encode(header) + b"." + b64encode(payload)
    token = (signing_input + b"." + b64encode(hs256.sign(signing_input))).decode()
    with pytest.raises(MalformedTokenError, match=message):
        jwt.verify(token, hs256, clock=clock)


def test_token_of_the_wrong_type_is_malformed(hs256: Key) -> None:
    with pytest.raises(MalformedTokenError, match="string"):
        Verifier(keys=hs256).verify(42)  # type: ignore[arg-type]


def test_bytes_tokens_are_accepted(hs256: Key) -> None:
    assert jwt.verify(_valid(hs256).encode(), hs256, clock=clock)["sub"] == "a"


def test_decode_unverified_reads_but_never_checks_the_signature(hs256: Key) -> None:
    token = forge({"alg": "HS256", "kid": "x"}, {"sub": "anyone"})
    assert jwt.decode_unverified(token) == ({"alg": "HS256", "kid": "x"}, {"sub": "anyone"})
    with pytest.raises(UnsupportedAlgorithmError):
        jwt.decode_unverified(forge({"alg": "none"}, {}))
