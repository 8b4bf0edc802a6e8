"""Signing keys: generated on first start with 0600, rotated with overlap, retired later."""

import stat
import time
from pathlib import Path

import pytest
from joserfc import jwt

from idp.keyring import Keyring, KeyringError


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring(tmp_path).ensure()


def test_first_start_generates_an_es256_and_an_rs256_key(keyring: Keyring) -> None:
    assert sorted(key.alg for key in keyring.keys) == ["ES256", "RS256"]
    assert keyring.signing_key().alg == "ES256"


def test_key_files_are_readable_by_the_owner_only(keyring: Keyring) -> None:
    for path in keyring.directory.glob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_public_jwks_has_kids_and_no_private_parts(keyring: Keyring) -> None:
    for jwk in keyring.public_jwks["keys"]:
        assert jwk["kid"] and jwk["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)


def test_a_second_start_reuses_the_keys(tmp_path: Path, keyring: Keyring) -> None:
    again = Keyring(tmp_path).ensure()
    assert [key.kid for key in again.keys] == [key.kid for key in keyring.keys]


def test_rotation_keeps_the_old_key_published_and_verifying(keyring: Keyring) -> None:
    old = keyring.signing_key()
    token = jwt.encode({"alg": "ES256", "kid": old.kid}, {"sub": "a"}, old.jwk)
    new = keyring.rotate()
    assert keyring.signing_key().kid == new.kid != old.kid
    assert old.kid in {jwk["kid"] for jwk in keyring.public_jwks["keys"]}
    assert jwt.decode(token, keyring.verification_set, algorithms=["ES256"]).claims["sub"] == "a"


def test_retire_waits_until_tokens_of_the_old_key_have_expired(keyring: Keyring) -> None:
    old = keyring.signing_key()
    keyring.rotate()
    assert keyring.retire(min_age_seconds=300) == []
    assert keyring.retire(min_age_seconds=0) == [old.kid]
    assert old.kid not in {jwk["kid"] for jwk in keyring.public_jwks["keys"]}


def test_retiring_a_current_key_by_kid_is_refused(keyring: Keyring) -> None:
    with pytest.raises(KeyringError):
        keyring.retire(min_age_seconds=0, kid=keyring.signing_key().kid)


def test_retiring_by_kid_does_not_wait(keyring: Keyring) -> None:
    old = keyring.signing_key()
    keyring.rotate()
    time.sleep(0)
    assert keyring.retire(min_age_seconds=10_000, kid=old.kid) == [old.kid]
