from __future__ import annotations

import gatepass.jwt
import gatepass.tokens


def test_tokens_package_exports_its_public_nouns() -> None:
    for name in gatepass.tokens.__all__:
        assert getattr(gatepass.tokens, name) is not None
    assert {"Key", "KeySet", "RemoteKeySet", "Verifier", "VerifiedTokenCache"} <= set(
        gatepass.tokens.__all__
    )
    assert {"sign", "verify", "decode_unverified", "parse_duration"} <= set(gatepass.tokens.__all__)


def test_jwt_facade_offers_the_jsonwebtoken_calls() -> None:
    for name in gatepass.jwt.__all__:
        assert getattr(gatepass.jwt, name) is not None
    assert gatepass.jwt.sign is gatepass.tokens.sign
    assert gatepass.jwt.verify is gatepass.tokens.verify
    assert gatepass.jwt.decode_unverified is gatepass.tokens.decode_unverified


def test_public_callables_have_docstrings() -> None:
    for module in (gatepass.tokens, gatepass.jwt):
        for name in module.__all__:
            obj = getattr(module, name)
            if (callable(obj) and not name[0].isupper()) or isinstance(obj, type):
                assert obj.__doc__, name
