"""The notification channel of each connection: subscribe, renew, replace.

Zoho channels last at most a week; one that lapses stops silently. A
background job checks every connection each minute and renews a channel with
less than a day left, or subscribes one when the connection has none. At
start it renews every channel, whatever its expiry: while the gateway was
down, Zoho may have dropped it. A connection saved by an operator command
is subscribed at once (the ``connected`` request). A lease per tenant keeps
two replicas from subscribing two channels.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import structlog

from common.connections import Connections
from common.gateway.calls import ApiPermanentError
from common.gateway.leases import Leases
from services.crm_gateway.client import ZohoClient
from services.crm_gateway.modules import WATCHED_EVENTS

log = structlog.get_logger(__name__)

CHANNEL_DAYS = 7
LIFETIME = timedelta(days=CHANNEL_DAYS) - timedelta(minutes=10)  # under Zoho's max
RENEW_WHEN_LEFT = timedelta(days=1)
CHECK_EVERY_SECONDS = 60.0


def new_channel_id() -> str:
    return str(10**17 + secrets.randbelow(9 * 10**17))  # Zoho wants a long


def new_token() -> str:
    return secrets.token_urlsafe(30)[:40]  # Zoho echoes ≤ 50 characters


LEASE_TRIES, LEASE_PAUSE = 50, 0.2  # wait up to 10 s for a renewal in progress


class Channels:
    def __init__(
        self,
        client: ZohoClient,
        connections: Connections,
        leases: Leases,
        notify_url: str,
    ) -> None:
        self.client = client
        self.connections = connections
        self.leases = leases
        self.notify_url = notify_url

    async def subscribe(self, tenant: str) -> str:
        """A fresh channel (new id and token) for the connection."""
        side = (await self.connections.require(tenant)).side("crm")
        if side.channel_id:
            await self._quietly_unwatch(tenant, side.channel_id)
        channel_id, token = new_channel_id(), new_token()
        expires = datetime.now(UTC) + LIFETIME
        if not await self._watch(tenant, channel_id, token, expires, renew=False):
            raise RuntimeError(f"zoho refused channel {channel_id} of {tenant}")
        await self.connections.set_channel(tenant, channel_id, token, expires)
        log.info("zoho_channel_subscribed", tenant=tenant, channel_id=channel_id)
        return channel_id

    async def subscribe_alone(self, tenant: str) -> str:
        """``subscribe`` under the tenant's channel lease, so a periodic
        check renewing at the same moment cannot leave a second channel."""
        lease = f"channel:crm:{tenant}"
        for _ in range(LEASE_TRIES):
            if await self.leases.acquire(lease, 60):
                try:
                    return await self.subscribe(tenant)
                finally:
                    await self.leases.release(lease)
            await asyncio.sleep(LEASE_PAUSE)
        raise RuntimeError(f"the channel of {tenant} is being renewed elsewhere")

    async def renew(self, tenant: str) -> None:
        side = (await self.connections.require(tenant)).side("crm")
        if not side.channel_id or side.channel_token is None:
            await self.subscribe(tenant)
            return
        expires = datetime.now(UTC) + LIFETIME
        token = side.channel_token.get_secret_value()
        try:
            renewed = await self._watch(
                tenant, side.channel_id, token, expires, renew=True
            )
        except ApiPermanentError:
            renewed = False
        if not renewed:  # Zoho no longer knows the channel (it lapsed)
            await self.subscribe(tenant)
            return
        await self.connections.set_channel(tenant, side.channel_id, token, expires)
        log.info("zoho_channel_renewed", tenant=tenant, channel_id=side.channel_id)

    async def _watch(
        self,
        tenant: str,
        channel_id: str,
        token: str,
        expires: datetime,
        *,
        renew: bool,
    ) -> bool:
        answer = await self.client.watch(
            tenant,
            channel_id=channel_id,
            events=WATCHED_EVENTS,
            notify_url=self.notify_url,
            token=token,
            expires_at=expires,
            renew=renew,
        )
        if answer.get("status") != "success":
            log.warning("zoho_channel_refused", tenant=tenant, answer=answer)
            return False
        return True

    async def _quietly_unwatch(self, tenant: str, channel_id: str) -> None:
        try:
            await self.client.unwatch(tenant, channel_id)
        except Exception as exc:  # an expired channel is already gone
            log.info("zoho_channel_unwatch_failed", tenant=tenant, error=repr(exc))

    async def check_all(
        self, now: datetime | None = None, *, everything: bool = False
    ) -> int:
        """Renew what expires within a day (``everything``: all of them);
        returns how many were touched."""
        now = now or datetime.now(UTC)
        touched = 0
        for connection in await self.connections.all():
            side = connection.crm
            if side is None or side.status != "active":
                continue
            expires = side.channel_expires_at
            fresh = side.channel_id and expires and expires - now > RENEW_WHEN_LEFT
            if fresh and not everything:
                continue
            lease = f"channel:crm:{connection.tenant}"
            if not await self.leases.acquire(lease, 60):
                continue
            try:
                await self.renew(connection.tenant)
                touched += 1
            except Exception as exc:
                log.warning(
                    "zoho_channel_renewal_failed",
                    tenant=connection.tenant,
                    error=repr(exc),
                )
            finally:
                await self.leases.release(lease)
        return touched

    async def run(self, every: float = CHECK_EVERY_SECONDS) -> None:
        starting = True
        while True:
            try:
                await self.check_all(everything=starting)
                starting = False
            except Exception as exc:
                log.warning("zoho_channel_check_failed", error=repr(exc))
            await asyncio.sleep(every)
