"""Forged and mangled bearer tokens against ``GET /api/me``: every one is a 401.

Never a 500 (a crash is a denial of service and leaks internals, OWASP ASVS 7.4.1) and
never a 200. Each case names the CVE or the RFC 8725 (JWT Best Current Practices)
section it comes from. The server signs with ES256 (its default algorithm) from
``GATEPASS_SIGNING_KEY_FILE``; the tests hold that key so they can also build tokens
that are validly signed but wrong in their claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest

from gatepass.tokens import Key, decode_unverified

if TYPE_CHECKING:
    from security.conftest import ServerKey

# P-256 group order n: (r, s) = (n, n) is r = s = 0 modulo n (CVE-2022-21449).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64u(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def json_part(value: Any) -> str:
    # The standard library, not orjson: it writes integers past 64 bits too.
    raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":"))
    return b64u(raw if isinstance(raw, bytes) else raw.encode())


@dataclass(frozen=True, slots=True)
class Forge:
    """What an attack builds on: the server key, a genuine token and its parts."""

    server: ServerKey
    genuine: str
    header: dict[str, Any]
    claims: dict[str, Any]
    attacker: Key

    def es256(self, header: dict[str, Any], claims: dict[str, Any] | bytes) -> str:
        """Signed with the server's own key (what only the server can make)."""
        return self.signed(header, claims, self.server.key.sign)

    def by_attacker(self, header: dict[str, Any], claims: dict[str, Any] | bytes) -> str:
        """Signed with a key the attacker made."""
        return self.signed(header, claims, self.attacker.sign)

    def hmac(self, header: dict[str, Any], secret: bytes) -> str:
        """HS256 over the genuine claims with ``secret`` as the HMAC key."""
        return self.signed(
            header, self.claims, lambda data: hmac.digest(secret, data, hashlib.sha256)
        )

    @staticmethod
    def signed(
        header: Any,
        claims: dict[str, Any] | bytes,
        sign: Callable[[bytes], bytes],
    ) -> str:
        signing_input = f"{json_part(header)}.{json_part(claims)}"
        return f"{signing_input}.{b64u(sign(signing_input.encode()))}"


def _with(claims: dict[str, Any], **changes: Any) -> dict[str, Any]:
    merged = {**claims, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def _tamper_payload(forge: Forge) -> str:
    header_b64, _payload, signature = forge.genuine.split(".")
    evil = json_part(_with(forge.claims, sub="someone-else"))
    return f"{header_b64}.{evil}.{signature}"


def _non_canonical_signature(forge: Forge) -> str:
    # 64 signature bytes end in a base64url character with 4 unused low bits; setting
    # one of them decodes to the same bytes in a lenient decoder (RFC 4648 §3.5).
    body, signature = forge.genuine.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    tail = alphabet[alphabet.index(signature[-1]) | 1]
    assert tail != signature[-1]
    return f"{body}.{signature[:-1]}{tail}"


def _ecdsa_zero(forge: Forge, value: int) -> str:
    raw = value.to_bytes(32, "big") * 2
    signing_input = f"{json_part(forge.header)}.{json_part(forge.claims)}"
    return f"{signing_input}.{b64u(raw)}"


def _duplicate_claims(forge: Forge) -> str:
    # RFC 7515 §5.2 / RFC 8259 §4: duplicate names are refused, not "last one wins",
    # or two parsers read two different subjects (CVE-2017-12635 style).
    body = orjson.dumps(forge.claims)[:-1] + b',"sub":"someone-else"}'
    return forge.signed(forge.header, body, forge.server.key.sign)


def _duplicate_header(forge: Forge) -> str:
    header = orjson.dumps(forge.header)[:-1] + b',"alg":"none"}'
    signing_input = f"{b64u(header)}.{json_part(forge.claims)}"
    return f"{signing_input}.{b64u(forge.server.key.sign(signing_input.encode()))}"


NOW = int(time.time())
EVIL = "https://evil.example/jwks.json"

ATTACKS: dict[str, Callable[[Forge], str]] = {
    # RFC 8725 §2.1/§3.1: alg none, in any case (the 2015 "critical vulnerabilities
    # in JSON Web Token libraries" disclosure).
    "alg-none": lambda f: f.signed({**f.header, "alg": "none"}, f.claims, lambda _: b"sig"),
    "alg-None-empty-signature": lambda f: f.signed(
        {**f.header, "alg": "None"}, f.claims, lambda _: b""
    ),
    "alg-NONE-kept-signature": lambda f: f.signed(
        {**f.header, "alg": "NONE"}, f.claims, f.server.key.sign
    ),
    "alg-none-no-kid": lambda f: f.signed(
        {"alg": "none", "typ": "at+jwt"}, f.claims, lambda _: b""
    ),
    # RFC 8725 §2.1/§3.1, CVE-2015-9235 (jsonwebtoken), CVE-2016-10555 (jwt-simple),
    # CVE-2022-29217 (PyJWT): HS256 keyed with
    # the server's public key, which anyone can fetch from /.well-known/jwks.json.
    "hs256-with-public-pem": lambda f: f.hmac({**f.header, "alg": "HS256"}, f.server.public_pem),
    "hs256-with-public-jwk": lambda f: f.hmac(
        {**f.header, "alg": "HS256"}, orjson.dumps(f.server.key.public_jwk())
    ),
    "hs256-with-public-jwk-x": lambda f: f.hmac(
        {**f.header, "alg": "HS256"}, str(f.server.key.public_jwk()["x"]).encode()
    ),
    # RFC 8725 §3.1: signature stripped (CVE-2020-28042 style "verify skipped").
    "stripped-signature": lambda f: f.genuine.rsplit(".", 1)[0] + ".",
    "two-segments": lambda f: f.genuine.rsplit(".", 1)[0],
    # RFC 7515 §5.2: another key's signature under the server's kid.
    "other-key-signature": lambda f: f.by_attacker(f.header, f.claims),
    "other-key-own-kid": lambda f: f.by_attacker({**f.header, "kid": f.attacker.kid}, f.claims),
    "other-key-no-kid": lambda f: f.by_attacker({"alg": "ES256", "typ": "at+jwt"}, f.claims),
    # RFC 8725 §3.10, CVE-2018-0114 (node-jose): a key embedded in the header.
    "embedded-jwk": lambda f: f.by_attacker(
        {**f.header, "kid": f.attacker.kid, "jwk": f.attacker.public_jwk()}, f.claims
    ),
    "embedded-jwk-server-kid": lambda f: f.by_attacker(
        {**f.header, "jwk": f.attacker.public_jwk()}, f.claims
    ),
    # RFC 8725 §3.10, RFC 7515 §10.1: key URLs chosen by the token's author (SSRF too).
    "jku-elsewhere": lambda f: f.by_attacker({**f.header, "jku": EVIL}, f.claims),
    "x5u-elsewhere": lambda f: f.by_attacker({**f.header, "x5u": EVIL}, f.claims),
    "x5c-embedded": lambda f: f.by_attacker({**f.header, "x5c": ["MIIB"]}, f.claims),
    # RFC 8725 §3.10: kid used as a path or query (the /dev/null empty-HMAC-key trick).
    "kid-path-traversal": lambda f: f.hmac(
        {"alg": "HS256", "typ": "at+jwt", "kid": "../../../../../../dev/null"}, b""
    ),
    "kid-etc-passwd": lambda f: f.by_attacker({**f.header, "kid": "../../etc/passwd"}, f.claims),
    "kid-sql-injection": lambda f: f.by_attacker({**f.header, "kid": "' OR 1=1 --"}, f.claims),
    "kid-very-long": lambda f: f.by_attacker({**f.header, "kid": "k" * 10_000}, f.claims),
    "kid-integer": lambda f: f.es256({**f.header, "kid": 1}, f.claims),
    "kid-null": lambda f: f.by_attacker({**f.header, "kid": None}, f.claims),
    "kid-object": lambda f: f.es256({**f.header, "kid": {"$ne": ""}}, f.claims),
    "kid-list": lambda f: f.es256({**f.header, "kid": [f.server.key.kid]}, f.claims),
    "kid-nul-byte": lambda f: f.es256({**f.header, "kid": f.server.key.kid + "\x00"}, f.claims),
    # RFC 7519 §4.1.4/§4.1.5, RFC 8725 §3.8-3.9: time and audience claims, validly signed.
    "expired": lambda f: f.es256(f.header, _with(f.claims, exp=NOW - 3600, iat=NOW - 7200)),
    "not-yet-valid": lambda f: f.es256(f.header, _with(f.claims, nbf=NOW + 3600)),
    "missing-exp": lambda f: f.es256(f.header, _with(f.claims, exp=None)),
    "exp-as-string": lambda f: f.es256(f.header, _with(f.claims, exp=str(NOW + 3600))),
    # Validly signed, so only a trusted signer could mint these; still a 401, not a crash.
    "exp-far-past": lambda f: f.es256(f.header, _with(f.claims, exp=-(10**30))),
    "nbf-far-future": lambda f: f.es256(f.header, _with(f.claims, nbf=10**30)),
    "wrong-audience": lambda f: f.es256(f.header, _with(f.claims, aud="another-service")),
    "audience-list-without-ours": lambda f: f.es256(f.header, _with(f.claims, aud=["x", "y"])),
    "wrong-issuer": lambda f: f.es256(f.header, _with(f.claims, iss="https://evil.example")),
    "missing-sub": lambda f: f.es256(f.header, _with(f.claims, sub=None)),
    "missing-jti": lambda f: f.es256(f.header, _with(f.claims, jti=None)),
    "unknown-subject": lambda f: f.es256(f.header, _with(f.claims, sub="no-such-user")),
    # RFC 8725 §3.11, RFC 9068 §4: explicit typing; an id token or plain JWT is not
    # an access token.
    "typ-jwt": lambda f: f.es256({**f.header, "typ": "JWT"}, f.claims),
    "typ-missing": lambda f: f.es256({"alg": "ES256", "kid": f.server.key.kid}, f.claims),
    # RFC 7515 §5.2 step 7: any change under the original signature.
    "payload-changed": _tamper_payload,
    # RFC 4648 §3.5 / RFC 7515 §2: one token, one encoding (no malleable copies).
    "non-canonical-signature-tail": _non_canonical_signature,
    "padded-signature": lambda f: f.genuine + "==",
    "standard-alphabet": lambda f: (
        f.genuine.replace("-", "+").replace("_", "/")
        if ("-" in f.genuine or "_" in f.genuine)
        else f.genuine + "+"
    ),
    "whitespace-inside": lambda f: f.genuine[:10] + " " + f.genuine[10:],
    "extra-segment": lambda f: f.genuine + ".e30",
    # RFC 8259 §4 / RFC 7515 §5.2: duplicate member names.
    "duplicate-claims": _duplicate_claims,
    "duplicate-header-alg": _duplicate_header,
    # CVE-2022-21449 ("psychic signatures"): ECDSA r = s = 0, and r = s = n.
    "ecdsa-r-s-zero": lambda f: _ecdsa_zero(f, 0),
    "ecdsa-r-s-order": lambda f: _ecdsa_zero(f, P256_ORDER),
    "ecdsa-short-signature": lambda f: f.genuine.rsplit(".", 1)[0] + "." + b64u(b"\x00" * 8),
    "ecdsa-der-signature": lambda f: f.genuine.rsplit(".", 1)[0] + "." + b64u(b"\x30\x06\x02\x01"),
    # RFC 7797: unencoded payload and unknown critical headers (RFC 7515 §4.1.11).
    "crit-header": lambda f: f.es256({**f.header, "crit": ["exp"]}, f.claims),
    "b64-false": lambda f: f.es256({**f.header, "b64": False, "crit": ["b64"]}, f.claims),
    # Header and claims that are not JSON objects (RFC 7515 §5.2 step 3).
    "header-is-array": lambda f: f.signed(["ES256"], f.claims, f.server.key.sign),
    "claims-is-array": lambda f: f.es256(f.header, b"[1,2,3]"),
    "claims-not-json": lambda f: f.es256(f.header, b"\xff\xfe not json"),
    "empty-token": lambda f: "",
    "garbage": lambda f: "not-a-token",
}


@pytest.fixture
def forge(server_key: ServerKey, victim_tokens: dict[str, Any]) -> Forge:
    genuine = str(victim_tokens["access_token"])
    header, claims = decode_unverified(genuine)
    return Forge(server_key, genuine, header, claims, Key.generate("ES256"))


async def test_the_genuine_token_is_accepted(
    attack_client: httpx.AsyncClient, forge: Forge
) -> None:
    # The control: without it every 401 below could be a broken setup.
    response = await attack_client.get(
        "/api/me", headers={"authorization": f"Bearer {forge.genuine}"}
    )
    assert response.status_code == 200
    assert response.json()["email"] == "victim@example.com"
    resigned = forge.es256(forge.header, forge.claims)
    again = await attack_client.get("/api/me", headers={"authorization": f"Bearer {resigned}"})
    assert again.status_code == 200


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_forged_or_mangled_token_is_refused_with_401(
    attack_client: httpx.AsyncClient, forge: Forge, attack: str
) -> None:
    token = ATTACKS[attack](forge)
    assert token != forge.genuine
    response = await attack_client.get(
        "/api/me", headers={"authorization": f"Bearer {token}", "accept": "application/json"}
    )
    assert response.status_code == 401, (attack, response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "message"}
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Traceback" not in response.text


async def test_refresh_token_is_not_an_access_token(
    attack_client: httpx.AsyncClient, victim_tokens: dict[str, Any]
) -> None:
    # RFC 8725 §3.11 / RFC 9068 §4: one token kind is never accepted as another.
    refresh = victim_tokens["refresh_token"]
    response = await attack_client.get("/api/me", headers={"authorization": f"Bearer {refresh}"})
    assert response.status_code == 401
    assert response.json()["error"] != "internal_error"


async def test_access_token_is_not_a_refresh_token(
    attack_client: httpx.AsyncClient, victim_tokens: dict[str, Any]
) -> None:
    # RFC 9700 §4.14: only an opaque refresh token of a live family can be rotated.
    access = victim_tokens["access_token"]
    response = await attack_client.post("/auth/refresh", json={"refresh_token": access})
    # 422 when the JWT is longer than any refresh token can be (a schema refusal).
    assert response.status_code in {401, 422}, response.text
    assert "access_token" not in response.json()
    # And the genuine refresh token still works: the attempt broke nothing.
    good = await attack_client.post(
        "/auth/refresh", json={"refresh_token": victim_tokens["refresh_token"]}
    )
    assert good.status_code == 200
