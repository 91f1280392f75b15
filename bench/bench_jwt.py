"""JWT sign/verify speed: gatepass (cold and cached) against PyJWT, joserfc and the floor.

The floor is the bare primitive on the same input: ``hmac.digest`` or the
``cryptography`` verify call with prepared key objects. For HS256 a second floor
adds what any verifier must do besides: base64url-decode the signature and the
payload and ``orjson.loads`` the payload. "cold" is a ``Verifier`` without a
``VerifiedTokenCache`` (it still memoises parsed headers; the next column clears
that memo before each call); "module" is the one-shot ``gatepass.jwt.verify``
function, which builds its verifier on every call.
"""

from __future__ import annotations

import base64
import hmac
import statistics
import time
import timeit
import warnings
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jwk as jose_jwk
from joserfc import jwt as jose_jwt

from gatepass import jwt
from gatepass.tokens import VerifiedTokenCache, Verifier

ALGS = ("HS256", "RS256", "ES256", "EdDSA")
REPEATS = 7
TARGET_SECONDS = 0.06  # per repeat
AUDIENCE = "api"
ISSUER = "https://issuer.example"


def _calibrate(func: Callable[[], object]) -> int:
    """How many calls take about TARGET_SECONDS."""
    func()
    number = 1
    while True:
        elapsed = timeit.timeit(func, number=number)
        if elapsed >= TARGET_SECONDS / 4 or number >= 1 << 20:
            break
        number *= 4
    return max(1, int(number * TARGET_SECONDS / max(elapsed, 1e-9)))


def _runs(funcs: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """µs per call of each function in each repeat. Repeats interleave the functions,
    so a busy moment on the machine hits all of them alike and ratios taken repeat
    by repeat stay fair."""
    numbers = {name: _calibrate(func) for name, func in funcs.items()}
    runs: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(REPEATS):
        for name, func in funcs.items():
            elapsed = timeit.timeit(func, number=numbers[name])
            runs[name].append(elapsed / numbers[name] * 1e6)
    return runs


def _ratio(runs: dict[str, list[float]], top: str, bottom: str) -> float:
    """Median of the per-repeat ratios ``top / bottom``."""
    return statistics.median(a / b for a, b in zip(runs[top], runs[bottom], strict=True))


def _b64d(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class _Case:
    """Everything one algorithm needs: keys in each library, a token, the floors."""

    def __init__(self, alg: str) -> None:
        self.alg = alg
        self.key = jwt.Key.generate(alg)  # type: ignore[arg-type]
        jwk = self.key.private_jwk()
        self.claims = {"sub": "user-123", "jti": "abcdef0123456789", "scope": "read write"}
        self.token = jwt.sign(self.claims, self.key, audience=AUDIENCE, issuer=ISSUER)
        self.cold = Verifier(keys=self.key, audience=AUDIENCE, issuer=ISSUER)
        self.cached = Verifier(
            keys=self.key, audience=AUDIENCE, issuer=ISSUER, cache=VerifiedTokenCache()
        )
        self.jose_key = jose_jwk.import_key(jwk)
        self.py_private: Any
        self.py_public: Any
        if alg.startswith("HS"):
            self.py_private = self.py_public = _b64d(jwk["k"])
        else:
            self.py_private = serialization.load_pem_private_key(self._pem(jwk), password=None)
            self.py_public = self.py_private.public_key()
        header, payload, signature = self.token.split(".")
        self.signing_input = f"{header}.{payload}".encode()
        self.signature = _b64d(signature)
        self.payload_b64 = payload
        self.sign_floor, self.verify_floor = self._floors()
        self.raw_verify = self._raw_verify()

    def _pem(self, jwk: dict[str, str]) -> bytes:
        key = pyjwt.PyJWK(jwk).key
        return key.private_bytes(  # type: ignore[no-any-return]
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def _floors(self) -> tuple[Callable[[], object], Callable[[], object]]:
        data, sig, key = self.signing_input, self.signature, self.py_private
        if self.alg == "HS256":
            return (
                lambda: hmac.digest(key, data, "sha256"),
                lambda: hmac.compare_digest(hmac.digest(key, data, "sha256"), sig),
            )
        public = key.public_key()
        if self.alg == "RS256":
            pad, sha = padding.PKCS1v15(), hashes.SHA256()
            return (lambda: key.sign(data, pad, sha), lambda: public.verify(sig, data, pad, sha))
        if self.alg == "ES256":
            scheme = ec.ECDSA(hashes.SHA256())
            der = encode_dss_signature(
                int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
            )
            return (lambda: key.sign(data, scheme), lambda: public.verify(der, data, scheme))
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return (lambda: key.sign(data), lambda: public.verify(sig, data))

    def _raw_verify(self) -> Callable[[bytes, bytes], object]:
        """Verify raw JWS signature bytes with the bare primitive."""
        key = self.py_private
        if self.alg == "HS256":

            def check_hmac(data: bytes, sig: bytes) -> None:
                if not hmac.compare_digest(hmac.digest(key, data, "sha256"), sig):
                    raise ValueError("bad signature")

            return check_hmac
        public = key.public_key()
        if self.alg == "RS256":
            pad, sha = padding.PKCS1v15(), hashes.SHA256()
            return lambda data, sig: public.verify(sig, data, pad, sha)
        if self.alg == "ES256":
            scheme = ec.ECDSA(hashes.SHA256())
            return lambda data, sig: public.verify(
                encode_dss_signature(
                    int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
                ),
                data,
                scheme,
            )
        return lambda data, sig: public.verify(sig, data)

    def floor_with_decode(self) -> object:
        """The floor plus the decoding every verifier does: split, base64url-decode
        signature and payload (r||s to DER for ECDSA), ``orjson.loads``; no checks."""
        header, payload, signature = self.token.split(".")
        self.raw_verify(f"{header}.{payload}".encode(), _b64d(signature))
        return orjson.loads(_b64d(payload))

    def gatepass_sign(self) -> str:
        return jwt.sign(self.claims, self.key, audience=AUDIENCE, issuer=ISSUER)

    def pyjwt_sign(self) -> str:
        now = int(time.time())
        claims = {**self.claims, "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + 3600}
        return pyjwt.encode(claims, self.py_private, algorithm=self.alg)

    def joserfc_sign(self) -> str:
        now = int(time.time())
        claims = {**self.claims, "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + 3600}
        return jose_jwt.encode({"alg": self.alg}, claims, self.jose_key, algorithms=[self.alg])

    def pyjwt_verify(self) -> object:
        return pyjwt.decode(
            self.token, self.py_public, algorithms=[self.alg], audience=AUDIENCE, issuer=ISSUER
        )

    def joserfc_verify(self) -> object:
        token = jose_jwt.decode(self.token, self.jose_key, algorithms=[self.alg])
        registry = jose_jwt.JWTClaimsRegistry(
            aud={"essential": True, "value": AUDIENCE}, iss={"essential": True, "value": ISSUER}
        )
        registry.validate(token.claims)
        return token.claims

    def verify_without_header_memo(self) -> object:
        """Cold verify that also parses and polices the header every time."""
        self.cold._headers.clear()
        return self.cold.verify(self.token)

    def module_verify(self) -> object:
        return jwt.verify(self.token, self.key, audience=AUDIENCE, issuer=ISSUER)


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def run() -> str:
    """Measure and return the Markdown section."""
    warnings.simplefilter("ignore")  # joserfc warns that "EdDSA" is deprecated (RFC 9864)
    sign_rows: list[tuple[str, ...]] = []
    verify_rows: list[tuple[str, ...]] = []
    targets: list[tuple[str, ...]] = []
    for alg in ALGS:
        case = _Case(alg)
        sign_runs = _runs(
            {
                "gatepass": case.gatepass_sign,
                "PyJWT": case.pyjwt_sign,
                "joserfc": case.joserfc_sign,
                "floor": case.sign_floor,
            }
        )
        s = {name: statistics.median(values) for name, values in sign_runs.items()}
        sign_rows.append((alg, *(f"{s[k]:.1f}" for k in ("gatepass", "PyJWT", "joserfc", "floor"))))
        verify_funcs: dict[str, Callable[[], object]] = {
            "cold": lambda c=case: c.cold.verify(c.token),  # type: ignore[misc]
            "cached": lambda c=case: c.cached.verify(c.token),  # type: ignore[misc]
            "no_memo": case.verify_without_header_memo,
            "module": case.module_verify,
            "PyJWT": case.pyjwt_verify,
            "joserfc": case.joserfc_verify,
            "floor": case.verify_floor,
            "floor_decode": case.floor_with_decode,
        }
        verify_runs = _runs(verify_funcs)
        v = {name: statistics.median(values) for name, values in verify_runs.items()}
        floor_decode = v["floor_decode"]
        verify_rows.append(
            (
                alg,
                *(
                    f"{v[k]:.1f}"
                    for k in ("cold", "no_memo", "cached", "module", "PyJWT", "joserfc")
                ),
                f"{v['floor']:.1f}",
                f"{floor_decode:.1f}",
            )
        )
        if alg == "HS256":
            ratio = _ratio(verify_runs, "cold", "floor_decode")
            targets.append(
                (
                    f"{alg} cold verify / floor with decode+orjson",
                    f"{ratio:.2f}x",
                    "≤ 1.5x",
                    "yes" if ratio <= 1.5 else "NO",
                )
            )
        else:
            ratio = _ratio(verify_runs, "cold", "floor")
            targets.append(
                (
                    f"{alg} cold verify / bare cryptography verify",
                    f"{ratio:.2f}x",
                    "≤ 1.15x",
                    "yes" if ratio <= 1.15 else "NO",
                )
            )
            context = _ratio(verify_runs, "floor_decode", "floor")
            targets.append(
                (
                    f"{alg} (context) floor with decode+orjson / bare verify",
                    f"{context:.2f}x",
                    "-",
                    "-",
                )
            )
        speedup = _ratio(verify_runs, "PyJWT", "cached")
        targets.append(
            (
                f"{alg} cached verify speed-up over PyJWT",
                f"{speedup:.0f}x",
                "≥ 20x",
                "yes" if speedup >= 20 else "NO",
            )
        )
    return "\n\n".join(
        [
            "## JWT (`bench/bench_jwt.py`)",
            f"µs per operation, median of {REPEATS} interleaved repeats; claims checked: exp, "
            "iat, aud, iss. *cold*: a `Verifier` without `VerifiedTokenCache` (parsed "
            "headers memoised); *cached*: the same token again through the cache; *floor*: "
            "the bare `hmac`/`cryptography` call on the same bytes. Ratios are medians of "
            "per-repeat ratios.",
            "### Sign",
            _table(sign_rows, ("alg", "gatepass", "PyJWT", "joserfc", "floor")),
            "### Verify",
            _table(
                verify_rows,
                (
                    "alg",
                    "gatepass cold",
                    "cold, header parsed each time",
                    "gatepass cached",
                    "gatepass module fn",
                    "PyJWT",
                    "joserfc",
                    "floor",
                    "floor + b64 + orjson",
                ),
            ),
            "### Targets",
            _table(targets, ("ratio", "measured", "target", "met")),
        ]
    )


if __name__ == "__main__":
    print(run())
