"""Encryption at rest for OAuth tokens and webhook verifier tokens.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) keyed by SECRET_KEY.
Rotating the key: set SECRET_KEY to the new key and SECRET_KEY_PREVIOUS to
the old one; values are decrypted with either and re-encrypted on next write.
Generate a key with ``python -m common.crypto``.
"""

from __future__ import annotations

import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class SecretKeyMissing(RuntimeError):
    pass


class TokenCipher:
    def __init__(
        self, key: SecretStr | None, previous: SecretStr | None = None
    ) -> None:
        if key is None:
            raise SecretKeyMissing(
                "SECRET_KEY is not set: generate one with `python -m common.crypto`"
            )
        keys = [Fernet(key.get_secret_value().encode())]
        if previous is not None:
            keys.append(Fernet(previous.get_secret_value().encode()))
        self._fernet = MultiFernet(keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "cannot decrypt a stored secret: SECRET_KEY differs from the one "
                "it was written with"
            ) from exc


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    """Compare secrets without leaking where they differ through timing."""
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


if __name__ == "__main__":
    print(Fernet.generate_key().decode())
