"""The console's admin token: ADMIN_TOKEN, or one made once under DATA_DIR.

`make run` and the admin service must agree on it without the person
setting anything, so an unset ADMIN_TOKEN means the file
``DATA_DIR/admin_token`` (created with mode 0600 on first use). The token is
never logged: only the file's path is.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from common.settings import Settings

TOKEN_FILE = "admin_token"
MIN_LENGTH = 16  # shorter than this is guessable; refused at start


class WeakToken(ValueError):
    """ADMIN_TOKEN is set but too short to protect the console."""


def token_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / TOKEN_FILE


def admin_token(settings: Settings) -> str:
    """The token the console accepts; made and saved when there is none."""
    if settings.admin_token is not None:
        token = settings.admin_token.get_secret_value()
        if len(token) < MIN_LENGTH:
            raise WeakToken(
                f"ADMIN_TOKEN must be at least {MIN_LENGTH} characters "
                "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return token
    path = token_path(settings)
    if path.exists():
        saved = path.read_text().strip()
        if len(saved) >= MIN_LENGTH:
            return saved
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    # Created 0600 from the start: never readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    return token
