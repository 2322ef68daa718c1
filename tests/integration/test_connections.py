"""Connections: secrets encrypted at rest, token updates compare-and-set."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from common.connections import (
    CONNECTIONS,
    Connection,
    Connections,
    StaleTokenVersion,
    SystemCredentials,
)
from common.crypto import TokenCipher
from common.errors import PermanentError
from common.settings import Settings
from common.store import Store

pytestmark = pytest.mark.integration

SECRETS = ("s3cret-client", "rt-plain-refresh", "at-plain-access", "vt-verifier")


def side() -> SystemCredentials:
    return SystemCredentials(
        client_id="client",
        client_secret=SecretStr(SECRETS[0]),
        refresh_token=SecretStr(SECRETS[1]),
        access_token=SecretStr(SECRETS[2]),
        access_expires_at=datetime.now(UTC) + timedelta(hours=1),
        api_base="https://quickbooks.api.intuit.com",
        token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        realm_id="123",
        verifier_token=SecretStr(SECRETS[3]),
    )


async def test_secrets_are_encrypted_at_rest_and_read_back(
    store: Store, settings: Settings
) -> None:
    connections = Connections(store, TokenCipher(settings.secret_key))
    await connections.save(Connection(tenant="acme", qbo=side()))
    raw = json.dumps(await store.db[CONNECTIONS].find_one({"_id": "acme"}), default=str)
    for secret in SECRETS:
        assert secret not in raw
    loaded = (await connections.require("acme")).side("qbo")
    assert loaded.refresh_token is not None
    assert loaded.refresh_token.get_secret_value() == SECRETS[1]
    assert SECRETS[1] not in repr(loaded)  # SecretStr hides it from logs too
    assert [c.tenant for c in await connections.by_realm("123")] == ["acme"]


async def test_token_updates_are_compare_and_set(
    store: Store, settings: Settings
) -> None:
    connections = Connections(store, TokenCipher(settings.secret_key))
    await connections.save(Connection(tenant="acme", qbo=side()))
    expires = datetime.now(UTC) + timedelta(hours=1)
    version = await connections.store_tokens(
        "acme",
        "qbo",
        expected_version=0,
        access_token="a2",
        expires_at=expires,
        refresh_token="r2",
    )
    assert version == 1
    with pytest.raises(StaleTokenVersion):
        await connections.store_tokens(
            "acme",
            "qbo",
            expected_version=0,
            access_token="a3",
            expires_at=expires,
            refresh_token="r3",
        )
    loaded = (await connections.require("acme")).side("qbo")
    assert loaded.refresh_token is not None
    assert loaded.refresh_token.get_secret_value() == "r2"


async def test_a_different_secret_key_cannot_read_them(
    store: Store, settings: Settings
) -> None:
    from cryptography.fernet import Fernet

    await Connections(store, TokenCipher(settings.secret_key)).save(
        Connection(tenant="acme", qbo=side())
    )
    other = Connections(store, TokenCipher(SecretStr(Fernet.generate_key().decode())))
    with pytest.raises(ValueError, match="SECRET_KEY differs"):
        await other.require("acme")


async def test_settings_are_typed_when_read_and_a_bad_one_names_its_field(
    store: Store, settings: Settings
) -> None:
    connections = Connections(store, TokenCipher(settings.secret_key))
    typed = {
        "conflict": {"default": "qbo_wins"},
        "field_maps": {
            "qbo": {"customer": {"links": [{"api_field": "Notes", "custom_key": "n"}]}}
        },
        "qbo_tax_codes": {"VAT": "3"},
    }
    await connections.save(Connection(tenant="acme", qbo=side(), settings=typed))
    read = await connections.require("acme")
    assert read.settings.conflict.winner_for("email") == "qbo_wins"
    field_map = read.settings.field_map("qbo", "customer")
    assert field_map is not None
    assert [link.api_field for link in field_map.links] == ["Notes"]
    assert read.settings.field_map("crm", "contact") is None
    assert read.settings.qbo_tax_codes == {"VAT": "3"}
    assert read.settings.qbo_us_tax is True  # the default, not stored
    stored = await store.db[CONNECTIONS].find_one({"_id": "acme"})
    assert stored is not None
    assert "qbo_us_tax" not in stored["settings"]

    # A typo or a wrong type, written by hand: refused, naming tenant and field.
    await store.db[CONNECTIONS].update_one(
        {"_id": "acme"}, {"$set": {"settings": {"field_map": {}, "qbo_us_tax": "?"}}}
    )
    with pytest.raises(PermanentError) as raised:
        await connections.get("acme")
    assert "'acme'" in raised.value.reason
    assert "field_map: Extra inputs are not permitted" in raised.value.reason
    assert "qbo_us_tax" in raised.value.reason
