"""Connections: one per tenant, holding both sides' credentials and settings.

Secrets (client secrets, refresh and access tokens, webhook tokens) are
stored encrypted (``common.crypto``); a ``Connection`` read from the store
holds them decrypted in memory only. Token updates are compare-and-set on
``token_version`` so two gateway replicas never overwrite each other's
rotated refresh token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from common.connection_settings import ConnectionSettings
from common.crypto import TokenCipher
from common.errors import PermanentError
from common.store import Store
from common.store.client import IndexSpec
from common.store.times import from_stored, to_stored

CONNECTIONS = "connections"
CONNECTION_INDEXES = [
    IndexSpec(CONNECTIONS, (("qbo.realm_id", 1),)),
    IndexSpec(CONNECTIONS, (("crm.channel_id", 1),)),
]
SECRET_FIELDS = (
    "client_secret",
    "refresh_token",
    "access_token",
    "verifier_token",
    "channel_token",
)

Status = Literal["active", "needs_reauth", "disconnected"]


class SystemCredentials(BaseModel):
    """One side of a connection (QBO or Zoho)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr | None = None
    access_token: SecretStr | None = None
    access_expires_at: datetime | None = None
    token_version: int = 0
    status: Status = "active"
    status_reason: str | None = None
    api_base: str  # QBO: https://quickbooks.api.intuit.com; Zoho: api_domain
    token_url: str  # the OAuth token endpoint
    # QBO only
    realm_id: str | None = None
    verifier_token: SecretStr | None = None
    # Zoho only
    accounts_server: str | None = None
    channel_id: str | None = None
    channel_token: SecretStr | None = None
    channel_expires_at: datetime | None = None

    def access_token_valid_for(self, now: datetime) -> float:
        if self.access_token is None or self.access_expires_at is None:
            return 0.0
        return (self.access_expires_at - now).total_seconds()


class Connection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    qbo: SystemCredentials | None = None
    crm: SystemCredentials | None = None
    settings: ConnectionSettings = ConnectionSettings()

    def side(self, system: str) -> SystemCredentials:
        credentials = self.qbo if system == "qbo" else self.crm
        if credentials is None:
            raise LookupError(f"tenant {self.tenant!r} has no {system} connection")
        return credentials


class StaleTokenVersion(Exception):
    """Another process updated the tokens first."""


class Connections:
    def __init__(self, store: Store, cipher: TokenCipher) -> None:
        self._store = store
        self._collection = store.db[CONNECTIONS]
        self._cipher = cipher

    # -- encoding -------------------------------------------------------------
    def _encode_side(self, side: SystemCredentials) -> dict[str, Any]:
        data = side.model_dump()
        for name in SECRET_FIELDS:
            value = getattr(side, name)
            data[name] = (
                None
                if value is None
                else self._cipher.encrypt(value.get_secret_value())
            )
        for name in ("access_expires_at", "channel_expires_at"):
            data[name] = None if data[name] is None else to_stored(data[name])
        return data

    def _decode_side(self, data: dict[str, Any]) -> SystemCredentials:
        decoded = dict(data)
        for name in SECRET_FIELDS:
            if decoded.get(name) is not None:
                decoded[name] = self._cipher.decrypt(decoded[name])
        for name in ("access_expires_at", "channel_expires_at"):
            if decoded.get(name) is not None:
                decoded[name] = from_stored(decoded[name])
        return SystemCredentials.model_validate(decoded)

    def _decode(self, document: dict[str, Any]) -> Connection:
        return Connection(
            tenant=document["_id"],
            qbo=self._decode_side(document["qbo"]) if document.get("qbo") else None,
            crm=self._decode_side(document["crm"]) if document.get("crm") else None,
            settings=settings_from(document["_id"], document.get("settings")),
        )

    # -- reads ----------------------------------------------------------------
    async def get(self, tenant: str) -> Connection | None:
        document = await self._collection.find_one({"_id": tenant})
        return self._decode(document) if document else None

    async def require(self, tenant: str) -> Connection:
        connection = await self.get(tenant)
        if connection is None:
            raise LookupError(f"no connection for tenant {tenant!r}")
        return connection

    async def by_realm(self, realm_id: str) -> list[Connection]:
        cursor = self._collection.find({"qbo.realm_id": realm_id})
        return [self._decode(document) async for document in cursor]

    async def by_channel(self, channel_id: str) -> Connection | None:
        document = await self._collection.find_one({"crm.channel_id": channel_id})
        return self._decode(document) if document else None

    async def tenants(self) -> list[str]:
        """Every connected tenant's name (nothing decrypted)."""
        return await connected_tenants(self._store)

    async def all(self) -> list[Connection]:
        return [self._decode(document) async for document in self._collection.find({})]

    # -- writes ---------------------------------------------------------------
    async def save(self, connection: Connection) -> None:
        """Create or replace a connection (setup, OAuth callback, admin)."""
        document: dict[str, Any] = {
            "_id": connection.tenant,
            "qbo": self._encode_side(connection.qbo) if connection.qbo else None,
            "crm": self._encode_side(connection.crm) if connection.crm else None,
            "settings": ConnectionSettings.model_validate(
                connection.settings
            ).model_dump(mode="json", exclude_defaults=True),
        }
        await self._collection.replace_one(
            {"_id": connection.tenant}, document, upsert=True
        )

    async def save_side(
        self, tenant: str, system: str, side: SystemCredentials
    ) -> None:
        await self._collection.update_one(
            {"_id": tenant}, {"$set": {system: self._encode_side(side)}}, upsert=True
        )

    async def store_tokens(
        self,
        tenant: str,
        system: str,
        *,
        expected_version: int,
        access_token: str,
        expires_at: datetime,
        refresh_token: str | None,
    ) -> int:
        """Persist a refreshed token pair atomically; returns the new version."""
        update: dict[str, Any] = {
            f"{system}.access_token": self._cipher.encrypt(access_token),
            f"{system}.access_expires_at": to_stored(expires_at),
            f"{system}.token_version": expected_version + 1,
            f"{system}.status": "active",
            f"{system}.status_reason": None,
        }
        if refresh_token is not None:
            update[f"{system}.refresh_token"] = self._cipher.encrypt(refresh_token)
        result = await self._collection.update_one(
            {"_id": tenant, f"{system}.token_version": expected_version},
            {"$set": update},
        )
        if result.matched_count == 0:
            raise StaleTokenVersion(f"{tenant}/{system} tokens changed meanwhile")
        return expected_version + 1

    async def mark(self, tenant: str, system: str, status: Status, reason: str) -> None:
        await self._collection.update_one(
            {"_id": tenant},
            {"$set": {f"{system}.status": status, f"{system}.status_reason": reason}},
        )

    async def set_channel(
        self, tenant: str, channel_id: str, token: str, expires_at: datetime
    ) -> None:
        await self._collection.update_one(
            {"_id": tenant},
            {
                "$set": {
                    "crm.channel_id": channel_id,
                    "crm.channel_token": self._cipher.encrypt(token),
                    "crm.channel_expires_at": to_stored(expires_at),
                }
            },
        )


def utcnow() -> datetime:
    return datetime.now(UTC)


def settings_from(tenant: str, stored: Any) -> ConnectionSettings:
    """The stored settings, typed; a bad one names the tenant and the field
    (every message of that tenant is dead-lettered with it until fixed)."""
    try:
        return ConnectionSettings.model_validate(stored or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise PermanentError(
            f"the settings of connection {tenant!r} are invalid: {problems}"
        ) from exc


async def connected_tenants(store: Store) -> list[str]:
    """Every connected tenant's name, for a service that holds no key to
    decrypt a connection (the matcher's per-tenant queues)."""
    return [str(doc["_id"]) async for doc in store.db[CONNECTIONS].find({}, {"_id": 1})]
