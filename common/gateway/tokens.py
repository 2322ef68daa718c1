"""OAuth access tokens: refreshed ahead of expiry, once per connection.

Within a process an asyncio lock per connection serialises refreshes; across
replicas a MongoDB lease does. A replica that finds the lease taken waits for
the holder's new token to appear (``token_version`` moves) instead of
refreshing again. ``invalid_grant`` marks the connection as needing
re-authorisation; callers park their work until a person re-connects.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from common.connections import Connections, StaleTokenVersion, SystemCredentials
from common.errors import RetriableError, SyncError
from common.gateway.leases import Leases

log = structlog.get_logger(__name__)

REFRESH_AHEAD_SECONDS = 300  # refresh when less than 5 minutes are left
LEASE_SECONDS = 30


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: float
    refresh_token: str | None  # None: the provider did not rotate it (Zoho)


class InvalidGrant(Exception):
    """The provider refused the refresh token (spent, revoked or expired)."""


class NeedsReauthorization(SyncError):
    """A person must authorise the connection again; work waits for it."""


Refresher = Callable[[SystemCredentials], Awaitable[TokenGrant]]


class TokenManager:
    def __init__(
        self,
        connections: Connections,
        leases: Leases,
        system: str,
        refresher: Refresher,
        *,
        wait_seconds: float = 20.0,
    ) -> None:
        self.connections = connections
        self.leases = leases
        self.system = system
        self.refresher = refresher
        self.wait_seconds = wait_seconds
        self.refreshes = 0  # performed by this process, for tests and metrics
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def credentials(self, tenant: str) -> SystemCredentials:
        connection = await self.connections.require(tenant)
        side = connection.side(self.system)
        if side.status == "needs_reauth":
            raise NeedsReauthorization(
                f"{self.system} connection of {tenant} needs re-authorisation: "
                f"{side.status_reason or 'refresh token refused'}"
            )
        return side

    async def access_token(self, tenant: str, rejected: str | None = None) -> str:
        """A valid access token; ``rejected`` is one the API just refused."""
        async with self._locks[tenant]:
            side = await self.credentials(tenant)
            if self._usable(side, rejected):
                assert side.access_token is not None
                return side.access_token.get_secret_value()
            return await self._refresh_once(tenant, side, rejected)

    @staticmethod
    def _usable(side: SystemCredentials, rejected: str | None) -> bool:
        if side.access_token is None:
            return False
        if rejected is not None and side.access_token.get_secret_value() == rejected:
            return False
        left = side.access_token_valid_for(datetime.now(UTC))
        return left > REFRESH_AHEAD_SECONDS

    async def _refresh_once(
        self, tenant: str, side: SystemCredentials, rejected: str | None
    ) -> str:
        lease = f"token:{self.system}:{tenant}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        seen_version = side.token_version
        while True:
            if await self.leases.acquire(lease, LEASE_SECONDS):
                try:
                    current = await self.credentials(tenant)
                    if current.token_version != seen_version and self._usable(
                        current, rejected
                    ):
                        assert current.access_token is not None
                        return current.access_token.get_secret_value()
                    return await self._refresh(tenant, current)
                finally:
                    await self.leases.release(lease)
            # Another replica is refreshing: wait for its result.
            await asyncio.sleep(0.1)
            current = await self.credentials(tenant)
            if current.token_version != seen_version and self._usable(
                current, rejected
            ):
                assert current.access_token is not None
                return current.access_token.get_secret_value()
            if loop.time() > deadline:
                raise RetriableError(
                    f"{self.system} token refresh for {tenant} did not finish in "
                    f"{self.wait_seconds}s"
                )

    async def _refresh(self, tenant: str, side: SystemCredentials) -> str:
        try:
            grant = await self.refresher(side)
        except InvalidGrant as exc:
            reason = f"refresh token refused ({exc}); authorise the connection again"
            await self.connections.mark(tenant, self.system, "needs_reauth", reason)
            log.error("token_refresh_refused", tenant=tenant, system=self.system)
            raise NeedsReauthorization(reason) from exc
        self.refreshes += 1
        expires_at = datetime.now(UTC) + timedelta(seconds=grant.expires_in)
        # The new refresh token is only in this process's memory until this
        # write lands: retry hard, because losing it breaks the connection.
        for attempt in range(5):
            try:
                await self.connections.store_tokens(
                    tenant,
                    self.system,
                    expected_version=side.token_version,
                    access_token=grant.access_token,
                    expires_at=expires_at,
                    refresh_token=grant.refresh_token,
                )
                break
            except StaleTokenVersion:
                raise
            except Exception:
                if attempt == 4:
                    log.error("token_persist_failed", tenant=tenant, system=self.system)
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
        log.info("token_refreshed", tenant=tenant, system=self.system)
        return grant.access_token
