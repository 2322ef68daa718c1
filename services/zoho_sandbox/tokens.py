"""Grant codes, refresh tokens and access tokens, with Zoho's lifetimes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

ACCESS_TOKEN_SECONDS = 3600
GRANT_CODE_SECONDS = 120
# Zoho accounts: at most 20 refresh tokens per user and client (the 21st removes
# the oldest) and 30 live access tokens per refresh token.
MAX_REFRESH_TOKENS = 20
MAX_ACCESS_TOKENS = 30


def _token() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


@dataclass
class TokenStore:
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh: dict[str, dict[str, Any]] = field(default_factory=dict)
    access: dict[str, dict[str, Any]] = field(default_factory=dict)

    def issue_code(self, org: str, grant: dict[str, Any], now: float) -> str:
        code = _token()
        self.codes[code] = {**grant, "org": org, "expires": now + GRANT_CODE_SECONDS}
        return code

    def take_code(self, code: str, now: float) -> dict[str, Any] | None:
        grant = self.codes.pop(code, None)
        if grant is None or grant["expires"] < now:
            return None
        return grant

    def issue_refresh(
        self, org: str, scope: str, now: float, token: str | None = None
    ) -> str:
        token = token or _token()
        self.refresh[token] = {"org": org, "scope": scope, "created": now}
        mine = [t for t, v in self.refresh.items() if v["org"] == org]
        for stale in mine[:-MAX_REFRESH_TOKENS]:
            self.revoke(stale)
        return token

    def issue_access(self, org: str, refresh: str | None, now: float) -> str:
        token = _token()
        self.access[token] = {
            "org": org,
            "refresh": refresh,
            "expires": now + ACCESS_TOKEN_SECONDS,
        }
        if refresh is not None:
            siblings = [t for t, v in self.access.items() if v["refresh"] == refresh]
            for stale in siblings[:-MAX_ACCESS_TOKENS]:
                del self.access[stale]
        return token

    def org_for_access(self, token: str, now: float) -> str | None:
        entry = self.access.get(token)
        if entry is None or entry["expires"] <= now:
            return None
        return str(entry["org"])

    def revoke(self, refresh: str) -> bool:
        if self.refresh.pop(refresh, None) is None:
            return False
        for token in [t for t, v in self.access.items() if v["refresh"] == refresh]:
            del self.access[token]
        return True

    def expire_access(self, org: str | None) -> int:
        doomed = [t for t, v in self.access.items() if org in (None, v["org"])]
        for token in doomed:
            self.access[token]["expires"] = 0
        return len(doomed)

    def forget_org(self, org: str) -> None:
        for table in (self.codes, self.refresh, self.access):
            for key in [k for k, v in table.items() if v["org"] == org]:
                del table[key]
