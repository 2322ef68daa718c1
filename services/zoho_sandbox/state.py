"""Everything one sandbox process holds, and how handlers reach it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import Clock
from .config import SandboxConfig
from .errors import ZohoError, invalid_module
from .faults import Faults
from .limits import Limiter
from .org import Org
from .schema import Module, find_module
from .stats import Stats
from .tokens import TokenStore

if TYPE_CHECKING:
    from .notify_delivery import Dispatcher


@dataclass
class SandboxState:
    config: SandboxConfig
    clock: Clock = field(default_factory=Clock)
    orgs: dict[str, Org] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)
    limiter: Limiter = field(default_factory=Limiter)
    page_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    dispatcher: Dispatcher | None = None

    def now(self) -> int:
        """Zoho keeps record times to the second."""
        return int(self.clock.timestamp())


STATE = web.AppKey("zoho_sandbox_state", SandboxState)
ORG_KEY = web.RequestKey("zoho_org", Org)


def state_of(request: web.Request) -> SandboxState:
    return request.app[STATE]


def org_of(request: web.Request) -> Org:
    """The org whose access token authorised this call (set by the middleware)."""
    return request[ORG_KEY]


def module_of(request: web.Request) -> Module:
    name = request.match_info["module"]
    module = find_module(name)
    if module is None:
        raise invalid_module(name)
    return module


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise ZohoError(
            400, "INVALID_DATA", "the input json is invalid", {"cause": str(exc)}
        ) from exc
    if not isinstance(body, dict):
        raise ZohoError(400, "INVALID_DATA", "the input json is invalid", {})
    return body
