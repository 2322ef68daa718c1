"""Everything the sandbox knows: the registered app, the companies, tokens."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.qbo_sandbox.clock import Clock, parse_offset
from services.qbo_sandbox.company import Change, Company
from services.qbo_sandbox.config import SandboxConfig
from services.qbo_sandbox.defaults import install_defaults
from services.qbo_sandbox.sample_company import install_sample
from services.qbo_sandbox.seed import Seeder, SeedPlan
from services.qbo_sandbox.tokens import TokenStore

SCOPE = "com.intuit.quickbooks.accounting"


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class World:
    config: SandboxConfig
    clock: Clock = field(default_factory=Clock)
    companies: dict[str, Company] = field(default_factory=dict)
    app: OAuthApp | None = None
    default_realm: str | None = None
    change_listener: Callable[[Change], None] | None = None
    tokens: TokenStore = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.clock, self.config)

    def wipe(self) -> None:
        self.companies.clear()
        self.tokens = TokenStore(self.clock, self.config)
        self.app = None
        self.default_realm = None

    def ensure_app(self, seed: int, redirect_uris: list[str]) -> OAuthApp:
        if self.app is None:
            rng = random.Random(f"app-{seed}")
            alphabet = string.ascii_letters + string.digits
            self.app = OAuthApp(
                client_id="AB" + "".join(rng.choice(alphabet) for _ in range(48)),
                client_secret="".join(rng.choice(alphabet) for _ in range(40)),
            )
        self.app.redirect_uris.extend(
            u for u in redirect_uris if u not in self.app.redirect_uris
        )
        return self.app

    def add_company(self, body: dict[str, Any]) -> dict[str, Any]:
        plan = SeedPlan.from_body(body)
        app = self.ensure_app(plan.seed, list(body.get("redirect_uris", [])))
        realm_id = str(body.get("realm_id") or self.new_realm_id(plan.seed))
        company = Company(
            realm_id=realm_id,
            name=str(
                body.get("company_name")
                or f"Sandbox Company_US_{len(self.companies) + 1}"
            ),
            tz=parse_offset(str(body.get("tz_offset", "-07:00"))),
            on_change=self.forward_change,
        )
        now = self.clock.now()
        if plan.sample:
            install_sample(company, now)
        else:
            install_defaults(company, now)
        counts = Seeder(company, plan, now).run()
        self.companies[realm_id] = company
        self.default_realm = realm_id
        grant = self.tokens.new_grant(realm_id, app.client_id, SCOPE)
        pair = self.tokens.issue_pair(grant)
        return {
            "realm_id": realm_id,
            "company_name": company.name,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": pair["refresh_token"],
            "access_token": pair["access_token"],
            "expires_in": pair["expires_in"],
            "x_refresh_token_expires_in": pair["x_refresh_token_expires_in"],
            "scope": SCOPE,
            "tz_offset": str(body.get("tz_offset", "-07:00")),
            "counts": counts,
        }

    def new_realm_id(self, seed: int) -> str:
        rng = random.Random(f"realm-{seed}-{len(self.companies)}")
        while True:
            realm_id = str(rng.randint(9130350000000000, 9130359999999999))
            if realm_id not in self.companies:
                return realm_id

    def forward_change(self, change: Change) -> None:
        if self.change_listener is not None:
            self.change_listener(change)
