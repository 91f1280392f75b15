"""atheris fuzz target: the token verification path, as the server runs it.

Every input is handed to a ``Verifier`` with the server's policy (ES256 key set,
``typ`` at+jwt, audience, issuer, required claims, verified-token cache) and to
``decode_unverified``. Claims or a :class:`~gatepass.errors.GatepassError` are the only
allowed outcomes; anything else is a crash that atheris reports with the input.

Run it for a bounded time (``make fuzz``); new inputs go to the first folder, the
checked-in seeds are only read::

    mkdir -p .gatepass/fuzz-corpus
    .venv/bin/python fuzz/fuzz_verify.py -max_total_time=60 .gatepass/fuzz-corpus fuzz/corpus/verify

The seed corpus (``fuzz/corpus/verify``) holds valid and invalid tokens; it is written
by ``fuzz/make_corpus.py``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]
import orjson

with atheris.instrument_imports():
    from gatepass.errors import GatepassError
    from gatepass.tokens import Key, KeySet, VerifiedTokenCache, Verifier, decode_unverified

NOW = 1_700_000_000
# A fixed test-only key, so the seed corpus (signed with it) stays valid between runs.
SEED_KEY = Path(__file__).with_name("seed_key.json")
KEYS = KeySet([Key.from_jwk(orjson.loads(SEED_KEY.read_bytes()))])
VERIFIER = Verifier(
    keys=KEYS,
    audience="gatepass",
    issuer="https://issuer.example",
    typ="at+jwt",
    require=("exp", "iat", "sub", "jti"),
    cache=VerifiedTokenCache(max_size=64),
    clock=lambda: NOW,
)


def test_one_input(data: bytes) -> None:
    """One fuzz input: the bytes as a token, and their Latin-1 text as a token.

    Args:
        data: the input libFuzzer chose.
    """
    for token in (data, data.decode("latin-1")):
        with contextlib.suppress(GatepassError):
            VERIFIER.verify(token)
        with contextlib.suppress(GatepassError):
            decode_unverified(token)


def main() -> None:
    """Start atheris with the command-line options (libFuzzer's)."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
