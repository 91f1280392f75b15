from __future__ import annotations

import pytest

from gatepass import jwt
from gatepass.errors import InvalidKeyError, UnknownKeyError
from gatepass.tokens import Key, KeySet

NOW = 1_700_000_000


def clock() -> float:
    return NOW


@pytest.fixture
def three() -> list[Key]:
    return [Key.generate("ES256", kid=f"k{i}") for i in range(3)]


def test_first_key_signs_until_rotation(three: list[Key]) -> None:
    keyset = KeySet(three[:2])
    assert keyset.current is three[0]
    keyset.rotate(three[2])
    assert keyset.current is three[2]
    assert [key.kid for key in keyset] == ["k0", "k1", "k2"]
    assert len(keyset) == 3
    assert "k1" in keyset


def test_current_can_be_chosen(three: list[Key]) -> None:
    assert KeySet(three, current="k1").current is three[1]
    with pytest.raises(UnknownKeyError):
        KeySet(three, current="nope")


def test_rotation_keeps_old_tokens_verifying_until_retired(three: list[Key]) -> None:
    keyset = KeySet([three[0]])
    old_token = jwt.sign({}, keyset, clock=clock)
    keyset.rotate(three[1])
    new_token = jwt.sign({}, keyset, clock=clock)
    assert jwt.decode_unverified(new_token).header["kid"] == "k1"
    assert jwt.verify(old_token, keyset, clock=clock)
    assert jwt.verify(new_token, keyset, clock=clock)
    assert keyset.retire("k0") is three[0]
    with pytest.raises(UnknownKeyError, match="'k0'"):
        jwt.verify(old_token, keyset, clock=clock)
    assert jwt.verify(new_token, keyset, clock=clock)


def test_the_current_signer_cannot_be_retired_while_others_remain(three: list[Key]) -> None:
    keyset = KeySet(three[:2], current="k1")
    with pytest.raises(InvalidKeyError, match="rotate before retiring"):
        keyset.retire("k1")
    keyset.retire("k0")
    keyset.retire("k1")
    with pytest.raises(InvalidKeyError, match="empty"):
        _ = keyset.current
    with pytest.raises(UnknownKeyError):
        keyset.retire("k1")


def test_duplicate_kid_is_refused(three: list[Key]) -> None:
    twin = Key.generate("ES256", kid="k0")
    with pytest.raises(InvalidKeyError, match="already has a key with kid 'k0'"):
        KeySet([three[0], twin])


def test_symmetric_and_asymmetric_keys_never_share_a_set(three: list[Key], hs256: Key) -> None:
    with pytest.raises(InvalidKeyError, match="not both"):
        KeySet([three[0], hs256])


def test_token_without_kid_needs_a_one_key_set(three: list[Key]) -> None:
    assert KeySet([three[0]]).get(None) is three[0]
    with pytest.raises(UnknownKeyError, match="no 'kid'"):
        KeySet(three).get(None)
    assert KeySet(three).find(None) is None


def test_jwks_export_has_public_keys_only(keys_by_algorithm: dict[str, Key]) -> None:
    keys = [keys_by_algorithm[alg] for alg in ("RS256", "PS256", "ES256", "ES512", "EdDSA")]
    jwks = KeySet(keys).to_jwks()
    assert [entry["kid"] for entry in jwks["keys"]] == [key.kid for key in keys]
    for entry in jwks["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & entry.keys()
    again = KeySet.from_jwks(jwks)
    for key in keys:
        assert again.get(key.kid).verify_signature(b"m", key.sign(b"m"))
        assert not again.get(key.kid).can_sign


def test_jwks_export_of_hmac_keys_is_empty(hs256: Key) -> None:
    assert KeySet([hs256]).to_jwks() == {"keys": []}


def test_jwks_import_refuses_bad_documents_and_keys(three: list[Key]) -> None:
    with pytest.raises(InvalidKeyError, match="'keys' list"):
        KeySet.from_jwks({"keys": {}})
    enc = {**three[0].public_jwk(), "use": "enc"}
    with pytest.raises(InvalidKeyError, match="use 'enc'"):
        KeySet.from_jwks({"keys": [enc, three[1].public_jwk()]})
    lenient = KeySet.from_jwks({"keys": [enc, three[1].public_jwk()]}, skip_unusable=True)
    assert [key.kid for key in lenient] == ["k1"]


def test_jwks_import_pins_keys_without_alg(keys_by_algorithm: dict[str, Key]) -> None:
    jwk = keys_by_algorithm["RS256"].public_jwk()
    del jwk["alg"]
    with pytest.raises(InvalidKeyError, match="pass algorithm="):
        KeySet.from_jwks({"keys": [jwk]})
    assert next(iter(KeySet.from_jwks({"keys": [jwk]}, algorithm="PS256"))).algorithm == "PS256"


def test_generation_changes_on_every_change(three: list[Key]) -> None:
    keyset = KeySet()
    seen = {keyset.generation}
    keyset.add(three[0])
    seen.add(keyset.generation)
    keyset.rotate(three[1])
    seen.add(keyset.generation)
    keyset.retire("k0")
    seen.add(keyset.generation)
    assert len(seen) == 4
    assert repr(keyset) == "KeySet(kids=['k1'], current='k1')"
