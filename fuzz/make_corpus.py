"""Write the seed corpus of ``fuzz_verify.py``: small valid and invalid tokens.

    .venv/bin/python fuzz/make_corpus.py

One file per input in ``fuzz/corpus/verify``, named after what it is. The tokens are
signed with the test-only key in ``fuzz/seed_key.json`` at the target's fixed clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from gatepass.tokens import Key

HERE = Path(__file__).parent
CORPUS = HERE / "corpus" / "verify"
NOW = 1_700_000_000
KEY = Key.from_jwk(json.loads((HERE / "seed_key.json").read_text()))
OTHER = Key.generate("ES256", kid="other")
HEADER = {"alg": "ES256", "kid": KEY.kid, "typ": "at+jwt"}
CLAIMS = {
    "iss": "https://issuer.example",
    "aud": "gatepass",
    "sub": "user-1",
    "jti": "id-1",
    "iat": NOW - 10,
    "exp": NOW + 600,
}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def part(value: Any) -> str:
    return b64u(value if isinstance(value, bytes) else json.dumps(value).encode())


def token(header: Any, claims: Any, key: Key = KEY) -> str:
    signing_input = f"{part(header)}.{part(claims)}"
    return f"{signing_input}.{b64u(key.sign(signing_input.encode()))}"


def seeds() -> dict[str, str | bytes]:
    """Every seed input by name."""
    valid = token(HEADER, CLAIMS)
    head, body, signature = valid.split(".")
    hs = f"{part({**HEADER, 'alg': 'HS256'})}.{part(CLAIMS)}"
    hs_mac = hmac.digest(json.dumps(KEY.public_jwk()).encode(), hs.encode(), hashlib.sha256)
    return {
        "valid": valid,
        "valid-no-kid": token({"alg": "ES256", "typ": "at+jwt"}, CLAIMS),
        "valid-aud-list": token(HEADER, {**CLAIMS, "aud": ["x", "gatepass"]}),
        "valid-nbf": token(HEADER, {**CLAIMS, "nbf": NOW - 5}),
        "valid-nested-claims": token(HEADER, {**CLAIMS, "ctx": {"a": [1, {"b": None}]}}),
        "expired": token(HEADER, {**CLAIMS, "exp": NOW - 1}),
        "immature": token(HEADER, {**CLAIMS, "nbf": NOW + 60}),
        "wrong-aud": token(HEADER, {**CLAIMS, "aud": "other"}),
        "wrong-iss": token(HEADER, {**CLAIMS, "iss": "https://evil.example"}),
        "missing-jti": token(HEADER, {k: v for k, v in CLAIMS.items() if k != "jti"}),
        "exp-string": token(HEADER, {**CLAIMS, "exp": "soon"}),
        "exp-float": token(HEADER, {**CLAIMS, "exp": NOW + 0.5}),
        "typ-jwt": token({**HEADER, "typ": "JWT"}, CLAIMS),
        "alg-none": f"{part({'alg': 'none'})}.{body}.",
        "alg-None": f"{part({'alg': 'None', 'kid': KEY.kid})}.{body}.{signature}",
        "hs256-public-key": f"{hs}.{b64u(hs_mac)}",
        "other-key": token(HEADER, CLAIMS, OTHER),
        "unknown-kid": token({**HEADER, "kid": "nope"}, CLAIMS, OTHER),
        "kid-traversal": token({**HEADER, "kid": "../../etc/passwd"}, CLAIMS, OTHER),
        "kid-int": token({**HEADER, "kid": 7}, CLAIMS),
        "jwk-header": token({**HEADER, "jwk": OTHER.public_jwk()}, CLAIMS, OTHER),
        "jku-header": token({**HEADER, "jku": "https://evil.example/k"}, CLAIMS, OTHER),
        "crit-header": token({**HEADER, "crit": ["x"], "x": 1}, CLAIMS),
        "duplicate-claim": token(HEADER, json.dumps(CLAIMS)[:-1].encode() + b', "sub": "x"}'),
        "claims-array": token(HEADER, [1, 2]),
        "claims-not-json": token(HEADER, b"{not json"),
        "header-not-json": f"{b64u(b'{')}.{body}.{signature}",
        "ecdsa-zero": f"{head}.{body}.{b64u(bytes(64))}",
        "short-signature": f"{head}.{body}.{b64u(b'x')}",
        "stripped-signature": f"{head}.{body}.",
        "payload-swapped": f"{head}.{part({**CLAIMS, 'sub': 'admin'})}.{signature}",
        "padded": valid + "==",
        "standard-alphabet": valid.replace("-", "+").replace("_", "/"),
        "two-dots": f"{head}.{body}",
        "four-parts": valid + ".e30",
        "empty": "",
        "dots": "...",
        "space": " ",
        "non-ascii": "é.é.é",
        "nul": b"\x00.\x00.\x00",
        "bearer-prefix": "Bearer " + valid,
    }


def main() -> None:
    """Write every seed, replacing the files of the same name."""
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        raw = data.encode("utf-8") if isinstance(data, str) else data
        (CORPUS / name).write_bytes(raw)
    print(f"{len(seeds())} seeds in {CORPUS}")


if __name__ == "__main__":
    main()
