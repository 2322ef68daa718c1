"""The Overview's API on the running console: connections (status, expiry,
re-connect link, last poll and webhook), counts per pair kind and direction
(records written by the matcher's own repository, in every state; the
counts agree with `syncctl record`'s per-record state), queue depths, and
no secret in any answer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from common.bus.dead_letters import Failure
from common.bus.topology import QUEUES, TENANT_QUEUES, tenant_bulk_writes
from common.connections import Connection, Connections, SystemCredentials
from common.crypto import TokenCipher
from common.entities import COUNTERPART
from common.gateway.cursors import Cursors
from common.messages import Envelope, Version
from common.record_states import read_state
from common.settings import Settings
from common.store import Store
from services.admin.console import Console
from services.matcher.model import Link, MirrorEntry, Parked, PendingWrite
from services.matcher.mongo import MongoRepository
from tests.admin.conftest import RunningConsole

pytestmark = pytest.mark.integration

TENANT = "acme"
# Every secret a connection holds; none may appear in any answer or page.
SECRETS = {
    "client_secret": "cs-SECRET-7f3a91",
    "refresh_token": "rt-SECRET-52bd0e",
    "access_token": "at-SECRET-c0ffee",
    "verifier_token": "vt-SECRET-1d2e3f",
    "channel_token": "ch-SECRET-abcdef",
}
EXPIRES = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)


def credentials(system: str, **changes: Any) -> SystemCredentials:
    fields: dict[str, Any] = {
        "client_id": f"{system}-client-id",
        "client_secret": SecretStr(SECRETS["client_secret"] + system),
        "refresh_token": SecretStr(SECRETS["refresh_token"] + system),
        "access_token": SecretStr(SECRETS["access_token"] + system),
        "access_expires_at": EXPIRES,
        "api_base": f"http://127.0.0.1:1/{system}",
        "token_url": f"http://127.0.0.1:1/{system}/token",
    }
    if system == "qbo":
        fields.update(
            realm_id="9130-REALM", verifier_token=SecretStr(SECRETS["verifier_token"])
        )
    else:
        fields.update(
            channel_id="77", channel_token=SecretStr(SECRETS["channel_token"])
        )
    fields.update(changes)
    return SystemCredentials(**fields)


async def save_connection(settings: Settings, store: Store, tenant: str) -> None:
    cipher = TokenCipher(settings.secret_key, settings.secret_key_previous)
    await Connections(store, cipher).save(
        Connection(
            tenant=tenant,
            crm=credentials("crm"),
            qbo=credentials(
                "qbo",
                status="needs_reauth",
                status_reason="refresh token refused (invalid_grant)",
            ),
        )
    )


def version(minute: int) -> Version:
    return Version(updated_at=datetime(2026, 1, 1, 9, minute, tzinfo=UTC))


def mirror(system: str, entity: str, external_id: str, **changes: Any) -> MirrorEntry:
    return MirrorEntry(
        tenant=changes.pop("tenant", TENANT),
        system=system,
        entity=entity,
        external_id=external_id,
        record={"name": f"{entity} {external_id}", "email": f"{external_id}@x.example"},
        version=version(1),
        **changes,
    )


def link(kind: str, crm_id: str, qbo_id: str | None, **changes: Any) -> Link:
    return Link(
        id=f"{TENANT}|{kind}|{crm_id}",
        tenant=TENANT,
        kind=kind,
        crm_id=crm_id,
        qbo_id=qbo_id,
        **changes,
    )


def failure(entity: str, external_id: str, error_class: str, reason: str) -> Failure:
    moment = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    return Failure(
        queue="crm_gateway.tasks",
        routing_key=f"fetch.crm.{entity}",
        body=b"{}",
        reason=reason,
        error_type="Refused" if error_class == "permanent" else "Timeout",
        error_class=error_class,
        attempts=1,
        first_failed_at=moment,
        last_failed_at=moment,
        event_id=f"e-{external_id}",
        tenant=TENANT,
        system="crm",
        entity=entity,
        external_id=external_id,
    )


# (system, entity, id) of every record seeded, for the agreement check.
RECORDS = [
    *[("crm", "contact", f"c{n}") for n in range(1, 12)],
    ("qbo", "customer", "q1"),
    ("qbo", "customer", "q3"),
    ("crm", "invoice", "i1"),
    ("crm", "invoice", "i2"),
    ("crm", "account", "a1"),
    ("qbo", "item", "x1"),
]


async def seed_records(console: Console) -> None:
    """Records in every state, written as the matcher writes them."""
    repository = MongoRepository(console.store)
    await repository.ensure_indexes()
    pending = PendingWrite(key="w-3", fields={"email": "c3@x.example"}, at="2026")
    create = PendingWrite(key="w-2", create=True, at="2026")
    entries = [
        mirror("crm", "contact", "c1"),  # linked both ways
        mirror("qbo", "customer", "q1"),
        mirror("crm", "contact", "c2"),  # waiting on its create in QuickBooks
        mirror("crm", "contact", "c3"),  # in flight, both ways
        mirror("qbo", "customer", "q3"),
        mirror("crm", "contact", "c4", state="refused", reason="no email"),
        mirror("crm", "contact", "c5", state="refused", reason="no email"),
        mirror("crm", "contact", "c6", state="refused", reason="duplicate email"),
        mirror("crm", "contact", "c7", state="failed", reason="QBO said: invalid"),
        mirror("crm", "contact", "c8"),  # seen, not decided yet
        mirror("crm", "contact", "c9", deleted=True),
        mirror("crm", "contact", "c10"),  # seen, then refused by its gateway
        mirror("crm", "invoice", "i1"),  # parked on a contact and a product
        mirror("crm", "invoice", "i2"),  # parked on the same contact
        mirror("crm", "account", "a1"),
        mirror("qbo", "item", "x1", state="refused", reason="no name"),
        mirror("crm", "contact", "z1", tenant="other"),  # another tenant's
    ]
    for entry in entries:
        await repository.save_mirror(entry)
    for made in [
        link("contact", "c1", "q1"),
        link("contact", "c2", None, state="creating", pending={"qbo": create}),
        link("contact", "c3", "q3", pending={"qbo": pending}),
        link("contact", "c10", "q10"),
    ]:
        await repository.save_link(made)
    for parked_id, waiting in [
        ("i1", ["crm:contact:c99", "crm:product:p1"]),
        ("i2", ["crm:contact:c99"]),
    ]:
        await repository.park(
            Parked(
                tenant=TENANT,
                system="crm",
                entity="invoice",
                external_id=parked_id,
                waiting=waiting,
                since="2026-01-01T09:00:00.000000Z",
            )
        )
    letters = console.dead_letters
    await letters.record(failure("contact", "c10", "permanent", "no last name"))
    await letters.record(failure("contact", "c11", "retriable", "Zoho timed out"))


def direction(answer: dict[str, Any], kind: str, side: str) -> dict[str, Any]:
    [tenant] = [t for t in answer["tenants"] if t["tenant"] == TENANT]
    [row] = [r for r in tenant["rows"] if r["kind"] == kind]
    [found] = [d for d in row["directions"] if d["from"] == side]
    return found


async def test_counts_every_state_per_kind_and_direction(
    running_console: RunningConsole,
) -> None:
    console = running_console.console
    await save_connection(console.settings, console.store, TENANT)
    await seed_records(console)

    answer = await running_console.api.get("/api/overview", tenant=TENANT)

    assert [t["tenant"] for t in answer["tenants"]] == [TENANT]
    rows = answer["tenants"][0]["rows"]
    assert [r["kind"] for r in rows] == [*COUNTERPART, "account"]
    contacts = direction(answer, "contact", "crm")
    assert contacts["entity"] == "contact"
    assert {k: contacts[k] for k in ("total", "linked", "waiting", "refused")} == {
        "total": 11,
        "linked": 1,
        "waiting": 3,
        "refused": 4,
    }
    assert (contacts["failed"], contacts["deleted"], contacts["in_flight"]) == (2, 1, 1)
    assert contacts["waiting_on"] == {
        "dependencies": 0,
        "create": 1,
        "confirmation": 1,
        "decision": 1,
    }
    assert contacts["refused_reasons"][0] == {"reason": "no email", "count": 2}
    assert {r["reason"] for r in contacts["refused_reasons"]} == {
        "no email",
        "duplicate email",
        "no last name",  # its gateway's dead letter outranks its mirror entry
    }
    assert {r["reason"]: r["count"] for r in contacts["failed_reasons"]} == {
        "QBO said: invalid": 1,
        "Zoho timed out": 1,  # a record only a dead letter names
    }
    customers = direction(answer, "contact", "qbo")
    assert (customers["entity"], customers["total"]) == ("customer", 2)
    assert (customers["linked"], customers["waiting"], customers["in_flight"]) == (
        1,
        1,
        1,
    )
    invoices = direction(answer, "invoice", "crm")
    assert (invoices["waiting"], invoices["waiting_on"]["dependencies"]) == (2, 2)
    assert invoices["dependencies"] == [
        {"on": "crm contact", "documents": 2, "records": 1},
        {"on": "crm product", "documents": 1, "records": 1},
    ]
    assert direction(answer, "invoice", "qbo")["total"] == 0
    [accounts] = [r for r in rows if r["kind"] == "account"]
    assert accounts["qbo_entity"] is None
    assert [d["from"] for d in accounts["directions"]] == ["crm"]
    assert (
        accounts["directions"][0]["linked"],
        accounts["directions"][0]["total"],
    ) == (
        1,
        1,
    )
    items = direction(answer, "product", "qbo")
    assert (items["refused"], items["refused_reasons"]) == (
        1,
        [{"reason": "no name", "count": 1}],
    )

    # The same state `syncctl record` decides for each record, counted.
    expected: Counter[tuple[str, str, str]] = Counter()
    for system, entity, external_id in RECORDS:
        state = await read_state(console.store.db, TENANT, system, entity, external_id)
        name = "linked" if state.state == "synced" else state.state
        expected[(system, entity, name)] += 1
    counted: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        for side in row["directions"]:
            for name in ("linked", "waiting", "refused", "failed", "deleted"):
                if side[name]:
                    counted[(side["from"], side["entity"], name)] += side[name]
    assert counted == expected

    everyone = await running_console.api.get("/api/overview")
    assert [t["tenant"] for t in everyone["tenants"]] == [TENANT, "other"]
    assert direction(everyone, "contact", "crm") == contacts


async def test_connections_show_status_expiry_reconnect_and_last_activity(
    running_console: RunningConsole,
) -> None:
    console = running_console.console
    await save_connection(console.settings, console.store, TENANT)
    cursors = Cursors(console.store)
    polled = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    await cursors.advance_watermark(TENANT, "crm", "contact", polled, read=3)
    # QuickBooks' change feed polls every entity at once (cursor "*"); a poll
    # that finds nothing newer still counts as the last poll.
    await cursors.advance_watermark(TENANT, "qbo", "*", polled, read=0)
    await cursors.advance_watermark(TENANT, "qbo", "*", polled, read=0)
    await cursors.note_webhook(TENANT, "qbo", "customer")

    answer = await running_console.api.get("/api/connections")

    [connection] = answer["connections"]
    assert connection["tenant"] == TENANT
    crm, qbo = connection["sides"]
    assert (crm["system"], crm["status"], crm["refresh"]) == ("crm", "active", "works")
    assert crm["access_expires_at"] == "2031-05-01T12:00:00.000000Z"
    assert crm["access_valid_seconds"] > 0
    assert crm["reconnect"] is None
    assert qbo["status"] == "needs_reauth"
    assert qbo["status_reason"] == "refresh token refused (invalid_grant)"
    assert qbo["refresh"] == "refused: authorise again"
    assert qbo["account"] == "9130-REALM"
    # No QBO app credentials in this console's settings: the link and what to set.
    assert qbo["reconnect"]["url"] is None
    assert "QBO_CLIENT_ID" in qbo["reconnect"]["instructions"]
    assert (
        "http://127.0.0.1:8082/oauth/qbo/start?tenant=acme"
        in (qbo["reconnect"]["instructions"])
    )
    crm_times = {e["entity"]: e for e in crm["entities"]}
    assert crm_times["contact"]["watermark"] == "2026-03-01T08:30:00.000000Z"
    assert crm_times["contact"]["last_poll"] is not None
    assert crm_times["invoice"]["last_poll"] is None
    qbo_times = {e["entity"]: e for e in qbo["entities"]}
    noted = qbo_times["customer"]["last_webhook"]
    assert noted is not None
    seconds = (datetime.now(UTC) - datetime.fromisoformat(noted)).total_seconds()
    assert 0 <= seconds < 60
    assert qbo_times["item"]["last_webhook"] is None
    for entity in ("customer", "item", "invoice"):
        assert qbo_times[entity]["watermark"] == "2026-03-01T08:30:00.000000Z"
        last_poll = datetime.fromisoformat(qbo_times[entity]["last_poll"])
        assert (datetime.now(UTC) - last_poll).total_seconds() < 60


async def test_the_reconnect_link_is_the_gateways_oauth_start_route() -> None:
    from services.admin.overview.connections import reconnect

    configured = Settings(
        qbo_client_id="app",
        qbo_client_secret=SecretStr("s"),
        qbo_redirect_uri="https://sync.example.com:8443/oauth/qbo/callback",
        zoho_client_id="app",
        zoho_client_secret=SecretStr("s"),
        zoho_redirect_uri="https://crm-gw.example.com/oauth/zoho/callback",
    )
    assert reconnect(configured, "a b", "qbo")["url"] == (
        "https://sync.example.com:8443/oauth/qbo/start?tenant=a+b"
    )
    assert reconnect(configured, "acme", "crm")["url"] == (
        "https://crm-gw.example.com/oauth/zoho/start?tenant=acme"
    )


async def test_no_secret_appears_in_any_answer_or_page(
    running_console: RunningConsole,
) -> None:
    console = running_console.console
    await save_connection(console.settings, console.store, TENANT)
    await seed_records(console)
    stored = await console.store.db["connections"].find_one({"_id": TENANT})
    assert stored is not None
    ciphertexts = [
        stored[side][name]
        for side in ("crm", "qbo")
        for name in SECRETS
        if stored[side].get(name)
    ]
    assert len(ciphertexts) == 8
    headers = {"Authorization": f"Bearer {running_console.api.token}"}
    for path in ("/api/connections", "/api/overview", "/api/queues", "/ui/"):
        async with running_console.http.get(
            running_console.base + path, headers=headers
        ) as response:
            assert response.status == 200, path
            text = await response.text()
        assert TENANT in text or path == "/api/queues"
        for secret in SECRETS.values():
            assert secret not in text, (path, secret)
        for ciphertext in ciphertexts:
            assert ciphertext not in text, path
        assert "qbo-client-id" not in text


async def test_a_malformed_or_unknown_tenant(running_console: RunningConsole) -> None:
    status, body = await running_console.api.call(
        "GET", "/api/overview", params={"tenant": "no such/tenant"}
    )
    assert status == 400
    assert "tenant" in body["error"]
    status, body = await running_console.api.call(
        "GET", "/api/overview", params={"tenant": "nobody"}
    )
    assert status == 404
    assert "nobody" in body["error"]
    async with running_console.http.get(
        running_console.base + "/ui/",
        params={"tenant": "x" * 70},
        headers={"Authorization": f"Bearer {running_console.api.token}"},
    ) as response:
        assert response.status == 400


async def test_queue_depths_by_passive_declares(
    running_console: RunningConsole,
) -> None:
    console = running_console.console
    await save_connection(console.settings, console.store, TENANT)
    bus = console.bus
    writes = QUEUES["crm_gateway"][0]
    await bus.declare_queue(writes)
    await bus.publish(
        Envelope(
            kind="write",
            tenant=TENANT,
            system="crm",
            entity="contact",
            external_id="c1",
            payload={},
        )
    )

    answer = await running_console.api.get("/api/queues")

    rows = {row["queue"]: row for row in answer["queues"]}
    expected = {bus.names.queue(s.name) for specs in QUEUES.values() for s in specs}
    expected |= {
        bus.names.queue(queue_of(TENANT).name) for queue_of in TENANT_QUEUES.values()
    }
    assert bus.names.queue(f"matcher.bulk.{TENANT}") in expected
    assert set(rows) == expected | {bus.names.dead_letters}
    written = rows[bus.names.queue(writes.name)]
    assert (written["declared"], written["ready"], written["consumers"]) == (True, 1, 0)
    assert written["retrying"] == 0
    assert written["service"] == "crm_gateway"
    tenant_queue = rows[bus.names.queue(tenant_bulk_writes("qbo", TENANT).name)]
    assert tenant_queue["tenant"] == TENANT
    assert (tenant_queue["declared"], tenant_queue["ready"]) == (False, None)
    assert rows[bus.names.dead_letters]["declared"] is True
    # Asking about missing queues did not break the console's publishing.
    assert bus.is_connected
    await bus.publish(
        Envelope(
            kind="write",
            tenant=TENANT,
            system="crm",
            entity="contact",
            external_id="c2",
            payload={},
        )
    )
    again = await running_console.api.get("/api/queues")
    assert {r["queue"]: r for r in again["queues"]}[written["queue"]]["ready"] == 2
