from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from common.crypto import SecretKeyMissing, TokenCipher, constant_time_equals

pytestmark = pytest.mark.unit


def key() -> SecretStr:
    return SecretStr(Fernet.generate_key().decode())


def test_round_trip_and_ciphertext_hides_the_token() -> None:
    cipher = TokenCipher(key())
    stored = cipher.encrypt("1000.refresh.token")
    assert "refresh" not in stored
    assert cipher.decrypt(stored) == "1000.refresh.token"


def test_key_rotation_reads_old_values() -> None:
    old, new = key(), key()
    stored = TokenCipher(old).encrypt("t")
    assert TokenCipher(new, previous=old).decrypt(stored) == "t"
    with pytest.raises(ValueError, match="SECRET_KEY differs"):
        TokenCipher(new).decrypt(stored)


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(SecretKeyMissing, match=r"python -m common\.crypto"):
        TokenCipher(None)


def test_constant_time_equals() -> None:
    assert constant_time_equals("abc", b"abc")
    assert not constant_time_equals("abc", "abd")
    assert not constant_time_equals("abc", "abcd")
