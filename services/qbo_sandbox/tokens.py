"""OAuth 2.0 grants, codes and tokens as Intuit issues them: 1 h access
tokens, a new refresh token on every refresh (the old one then fails)."""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from typing import Any

from services.qbo_sandbox.clock import Clock
from services.qbo_sandbox.config import SandboxConfig

HARD_CAP_SECONDS = 5 * 365 * 24 * 3600
_ALNUM = string.ascii_letters + string.digits
# Real access tokens are long JWE strings; their header is always the same.
_JWE_HEADER = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0"


class TokenError(Exception):
    """An OAuth error body: {"error": code}."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


class AccessDenied(Exception):
    """A bearer token the API refuses; detail goes into the 401 body."""


@dataclass
class Grant:
    realm_id: str
    client_id: str
    scope: str
    created: float
    revoked: bool = False


@dataclass
class Issued:
    grant_id: str
    expires_at: float
    spent: bool = False
    redirect_uri: str = ""


@dataclass
class TokenStore:
    clock: Clock
    config: SandboxConfig
    grants: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, Issued] = field(default_factory=dict)
    access: dict[str, Issued] = field(default_factory=dict)
    refresh: dict[str, Issued] = field(default_factory=dict)

    def now(self) -> float:
        return self.clock.now().timestamp()

    def new_grant(self, realm_id: str, client_id: str, scope: str) -> str:
        grant_id = secrets.token_hex(8)
        self.grants[grant_id] = Grant(realm_id, client_id, scope, self.now())
        return grant_id

    def issue_code(self, grant_id: str, redirect_uri: str) -> str:
        code = "AB11" + "".join(secrets.choice(_ALNUM) for _ in range(46))
        expires = self.now() + self.config.auth_code_seconds
        self.codes[code] = Issued(grant_id, expires, redirect_uri=redirect_uri)
        return code

    def issue_refresh(self, grant_id: str) -> str:
        token = "AB11" + "".join(secrets.choice(_ALNUM) for _ in range(46))
        expires = self.now() + self.config.refresh_token_seconds
        self.refresh[token] = Issued(grant_id, expires)
        return token

    def issue_pair(self, grant_id: str, hard_cap: bool = False) -> dict[str, Any]:
        access = f"{_JWE_HEADER}..{secrets.token_urlsafe(240)}"
        self.access[access] = Issued(
            grant_id, self.now() + self.config.access_token_seconds
        )
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": self.issue_refresh(grant_id),
            "expires_in": self.config.access_token_seconds,
            "x_refresh_token_expires_in": self.config.refresh_token_seconds,
        }
        if hard_cap:
            age = self.now() - self.grants[grant_id].created
            body["x_refresh_token_hard_expires_in"] = int(HARD_CAP_SECONDS - age)
        return body

    def usable(self, issued: Issued | None) -> Grant:
        if issued is None or issued.spent or issued.expires_at <= self.now():
            raise TokenError("invalid_grant")
        grant = self.grants[issued.grant_id]
        if grant.revoked:
            raise TokenError("invalid_grant")
        return grant

    def redeem_code(
        self, client_id: str, code: str, redirect_uri: str
    ) -> dict[str, Any]:
        issued = self.codes.get(code)
        grant = self.usable(issued)
        assert issued is not None
        if grant.client_id != client_id or issued.redirect_uri != redirect_uri:
            raise TokenError("invalid_grant")
        issued.spent = True
        return self.issue_pair(issued.grant_id)

    def rotate(self, client_id: str, token: str, hard_cap: bool) -> dict[str, Any]:
        issued = self.refresh.get(token)
        grant = self.usable(issued)
        assert issued is not None
        if grant.client_id != client_id:
            raise TokenError("invalid_grant")
        issued.spent = True
        return self.issue_pair(issued.grant_id, hard_cap)

    def revoke(self, token: str) -> None:
        issued = self.refresh.get(token) or self.access.get(token)
        if issued is not None:
            self.grants[issued.grant_id].revoked = True

    def realm_of(self, bearer: str) -> str:
        if not 40 <= len(bearer) <= 4096:
            raise AccessDenied("Malformed bearer token: too short or too long")
        issued = self.access.get(bearer)
        if issued is None or self.grants[issued.grant_id].revoked:
            raise AccessDenied("Token revoked or unknown")
        if issued.expires_at <= self.now():
            raise AccessDenied(f"Token expired: {bearer[:12]}...")
        return self.grants[issued.grant_id].realm_id

    def expire(self, kind: str) -> int:
        tables = {"access": [self.access], "refresh": [self.refresh]}.get(
            kind, [self.access, self.refresh]
        )
        count = 0
        for table in tables:
            for issued in table.values():
                issued.expires_at = min(issued.expires_at, self.now() - 1)
                count += 1
        return count

    def to_json(self) -> dict[str, Any]:
        return {
            "grants": {k: asdict(v) for k, v in self.grants.items()},
            "codes": {k: asdict(v) for k, v in self.codes.items()},
            "access": {k: asdict(v) for k, v in self.access.items()},
            "refresh": {k: asdict(v) for k, v in self.refresh.items()},
        }

    def load_json(self, data: dict[str, Any]) -> None:
        self.grants = {k: Grant(**v) for k, v in data["grants"].items()}
        for name in ("codes", "access", "refresh"):
            setattr(self, name, {k: Issued(**v) for k, v in data[name].items()})
