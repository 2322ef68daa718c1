"""Connecting a tenant to the two local sandboxes (the demo, tests, bench)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from common.connections import Connection, SystemCredentials


def sandbox_connection(
    tenant: str,
    zoho: dict[str, Any],
    qbo: dict[str, Any],
    verifier_token: str,
    settings: dict[str, Any] | None = None,
) -> Connection:
    """A connection to the sandboxes from their `/_sandbox/reset` answers."""
    return Connection(
        tenant=tenant,
        crm=zoho_sandbox_side(zoho),
        qbo=qbo_sandbox_side(qbo, verifier_token),
        settings=settings or {},
    )


def zoho_sandbox_side(zoho: dict[str, Any]) -> SystemCredentials:
    return SystemCredentials(
        client_id=zoho["client_id"],
        client_secret=SecretStr(zoho["client_secret"]),
        refresh_token=SecretStr(zoho["refresh_token"]),
        access_token=SecretStr(zoho["access_token"]),
        access_expires_at=datetime.now(UTC) + timedelta(minutes=55),
        api_base=zoho["api_domain"],
        token_url=zoho["accounts_server"].rstrip("/") + "/oauth/v2/token",
        accounts_server=zoho["accounts_server"],
    )


def qbo_sandbox_side(qbo: dict[str, Any], verifier_token: str) -> SystemCredentials:
    return SystemCredentials(
        client_id=qbo["client_id"],
        client_secret=SecretStr(qbo["client_secret"]),
        refresh_token=SecretStr(qbo["refresh_token"]),
        access_token=SecretStr(qbo["access_token"]),
        access_expires_at=datetime.now(UTC) + timedelta(minutes=55),
        api_base=qbo["base_url"],
        token_url=qbo["token_url"],
        realm_id=qbo["realm_id"],
        verifier_token=SecretStr(verifier_token),
    )
