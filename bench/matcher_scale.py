"""The matcher's cost per change as the stored records grow.

N linked contacts are stored first (both mirror entries and the link, bulk
inserted), then the matcher's handler takes two kinds of change one at a
time on the real store: an edit of a linked contact (the common path: the
merge, one write) and a new contact (identity look-up, a create). Reported
per N: milliseconds per change (mean and p95) and store round trips per
change, counted by a command listener on the driver (every command the
handler sends: finds, inserts, replaces, updates, deletes). At the smallest
N, which commands (name and collection) one message of each kind sends
(``round_trips_by_message``): an edit, our update confirmed (written.*), its
echo, the same version again, a new contact, our create confirmed and the
created record's first change; "live" (each message created just before it
is handled, so it reads the tenant's settings) and "queued" (created
earlier, as in a burst: the settings read once for it is reused).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from common.messages import Envelope, Version, WriteCommand, WriteOutcome
from common.records import Party
from common.settings import Settings
from common.store import Store, open_store
from common.store.commands import CommandCounter
from services.matcher.bootstrap import bootstrap
from services.matcher.fields import values_hash
from services.matcher.model import Link, MirrorEntry, version_key
from services.matcher.mongo import stored

TENANT = "bench"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 1000


# What the crm-gateway reads of a contact that has no account: the company
# fields, the display name and "active" are not a contact's to carry.
CONTACT_NOT_CARRIED = ["active", "billing_address", "company_name", "display_name"]


def _contact(i: int, phone: str = "+1 415 555 0000") -> dict[str, Any]:
    """A Zoho contact as the crm-gateway's change carries it."""
    person = Party(
        first_name="P", last_name=f"N{i}", email=f"p{i}@bench.io", phone=phone
    )
    return {**person.model_dump(mode="json"), "not_carried": CONTACT_NOT_CARRIED}


def _customer(i: int) -> dict[str, Any]:
    """Its QBO customer as the qbo-gateway's change carries it."""
    person = Party(
        first_name="P",
        last_name=f"N{i}",
        display_name=f"P N{i}",
        email=f"p{i}@bench.io",
        phone="+1 415 555 0000",
    )
    return {**person.model_dump(mode="json"), "not_carried": ["account_id"]}


def _stored(i: int) -> list[tuple[str, dict[str, Any]]]:
    """The documents the matcher keeps for one linked contact, as its
    repository stores them: two mirror entries and the link."""
    crm_id, qbo_id = f"c{i}", f"q{i}"
    record = _contact(i)
    key = record["email"]
    # The agreed values of the synced fields both sides carry.
    values = {k: record[k] for k in ("first_name", "last_name", "email", "phone")}
    crm = MirrorEntry(
        tenant=TENANT,
        system="crm",
        entity="contact",
        external_id=crm_id,
        record=record,
        version=Version(updated_at=T0),
        vkey=version_key(Version(updated_at=T0)),
        match_key=key,
        rev=1,
    )
    qbo = crm.model_copy(
        update={
            "system": "qbo",
            "entity": "customer",
            "external_id": qbo_id,
            "record": _customer(i),
            "version": Version(updated_at=T0, sequence=0),
        }
    )
    link = Link(
        id=f"{TENANT}|contact|crm|{crm_id}",
        tenant=TENANT,
        kind="contact",
        crm_id=crm_id,
        qbo_id=qbo_id,
        base=values,
        base_hash=values_hash(values),
        rev=1,
    )
    return [
        ("matcher_mirror", stored(crm)),
        ("matcher_mirror", stored(qbo)),
        ("matcher_links", stored(link)),
    ]


async def _seed(store: Store, count: int, start: int) -> None:
    for first in range(start, start + count, CHUNK):
        batch: dict[str, list[dict[str, Any]]] = {}
        for i in range(first, min(first + CHUNK, start + count)):
            for collection, doc in _stored(i):
                batch.setdefault(collection, []).append(doc)
        for collection, docs in batch.items():
            await store.db[collection].insert_many(docs, ordered=False)


def _change(i: int, second: int, phone: str) -> Envelope:
    return Envelope(
        kind="change",
        tenant=TENANT,
        system="crm",
        entity="contact",
        external_id=f"c{i}",
        version=Version(updated_at=T0 + timedelta(days=1, seconds=second)),
        payload={"record": _contact(i, phone)},
    )


class CommandLog(monitoring.CommandListener):
    """The commands sent, as "name collection" (what each round trip was)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        where = f" {target}" if isinstance(target, str) else ""
        self.sent.append(f"{event.command_name}{where}")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _written(
    write: Envelope, external_id: str, at: datetime, *, created: bool = False
) -> Envelope:
    """The gateway's confirmation of ``write``: it landed."""
    command = WriteCommand.model_validate(write.payload)
    outcome = WriteOutcome(
        ok=True, idempotency_key=command.idempotency_key, created=created
    )
    return write.caused(
        key="written",
        kind="written",
        external_id=external_id,
        version=Version(updated_at=at, sequence=1),
        payload=outcome.model_dump(mode="json"),
    )


def _read_back(write: Envelope, external_id: str, at: datetime) -> Envelope:
    """The QBO customer ``write`` made, as its next change carries it."""
    return Envelope(
        kind="change",
        tenant=TENANT,
        system="qbo",
        entity="customer",
        external_id=external_id,
        version=Version(updated_at=at, sequence=1),
        payload={"record": WriteCommand.model_validate(write.payload).record},
    )


def _qbo_write(out: Sequence[Envelope]) -> Envelope:
    [write] = [e for e in out if e.routing_key == "write.qbo.customer"]
    return write


async def _breakdown(
    matcher: Any, log: CommandLog, i: int, fresh: int, *, queued: bool
) -> dict[str, Any]:
    """The commands one message of each kind sends: an edit of stored
    contact ``i`` and what follows it, then new contact ``fresh`` and what
    follows it. ``queued``: each message was created a second before it is
    handled (a burst, settings read by an earlier message of it); else just
    before (a person's change on a quiet system: the settings are read)."""
    at = T0 + timedelta(days=2)
    if queued:
        created = datetime.now(UTC) - timedelta(seconds=1)
        await matcher.settings.get(TENANT, created)  # the burst's first read
    sent: dict[str, list[str]] = {}

    async def handled(name: str, message: Envelope) -> Sequence[Envelope]:
        if queued:
            message = message.model_copy(update={"occurred_at": created})
        start = len(log.sent)
        out = await matcher.handle(message)
        sent[name] = log.sent[start:]
        return out

    phone = "+1 415 555 9999"
    edit = _change(i, 0, phone).model_copy(update={"version": Version(updated_at=at)})
    write = _qbo_write(await handled("edit_of_a_linked_contact", edit))
    await handled("written_our_update", _written(write, f"q{i}", at))
    await handled("echo_of_our_update", _read_back(write, f"q{i}", at))
    again = edit.model_copy(update={"event_id": uuid.uuid4()})
    await handled("same_version_again", again)
    new = _change(fresh, 1, "+1 415 555 0001")
    create = _qbo_write(await handled("new_contact", new))
    new_id = f"q{fresh}"
    await handled("written_our_create", _written(create, new_id, at, created=True))
    await handled("echo_of_our_create", _read_back(create, new_id, at))
    return {name: {"round_trips": len(c), "commands": c} for name, c in sent.items()}


async def _timed(
    matcher: Any, commands: CommandCounter, changes: Sequence[Envelope]
) -> tuple[list[float], int]:
    took: list[float] = []
    before = commands.sent
    for change in changes:
        started = time.perf_counter()
        await matcher.handle(change)
        took.append((time.perf_counter() - started) * 1000)
    return took, commands.sent - before


def _summary(took: list[float], sent: int) -> dict[str, float]:
    ordered = sorted(took)
    return {
        "ms_mean": round(statistics.fmean(took), 2),
        "ms_p95": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "round_trips_per_change": round(sent / len(took), 1),
    }


async def matcher_scale(
    settings: Settings, sizes: Sequence[int], changes: int
) -> dict[str, Any]:
    # The project's own store, once, for what kind of server it is (the
    # embedded one behaves otherwise in places); then a client of the same
    # server with the command listener on it.
    probe = await open_store(settings)
    server = probe.server
    await probe.close()
    assert settings.mongodb_url is not None
    commands = CommandCounter()
    log = CommandLog()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url.get_secret_value(),
        tz_aware=True,
        event_listeners=[commands, log],
    )
    database = f"{settings.mongodb_database}_scale"
    store = Store(client=client, db=client[database], server=server, commands=commands)
    figures: dict[str, Any] = {}
    try:
        matcher = await bootstrap(store)
        stored, fresh = 0, 10_000_000
        for size in sizes:
            await _seed(store, size - stored, stored)
            # Contacts stored in this round, spread over it, none edited before.
            step = max(1, (size - stored) // changes)
            picked = range(stored, size, step)
            stored = size
            second = size * 10
            edits = [
                _change(i, second + n, f"+1 415 555 {n + 1:04}")
                for n, i in enumerate(picked)
            ][:changes]
            new = [
                _change(fresh + n, second + changes + n, "+1 415 555 0001")
                for n in range(changes)
            ]
            fresh += changes
            edit_took, edit_sent = await _timed(matcher, commands, edits)
            new_took, new_sent = await _timed(matcher, commands, new)
            if not figures:  # on contacts no timed edit picked
                figures["round_trips_by_message"] = {
                    "live": await _breakdown(
                        matcher, log, size - 1, fresh - changes - 1, queued=False
                    ),
                    "queued": await _breakdown(
                        matcher, log, size - 2, fresh - changes - 2, queued=True
                    ),
                }
            figures[str(size)] = {
                "edit_of_a_linked_contact": _summary(edit_took, edit_sent),
                "new_contact": _summary(new_took, new_sent),
            }
        smallest, largest = str(sizes[0]), str(sizes[-1])
        figures["edit_cost_ratio_largest_to_smallest"] = round(
            figures[largest]["edit_of_a_linked_contact"]["ms_mean"]
            / figures[smallest]["edit_of_a_linked_contact"]["ms_mean"],
            2,
        )
        figures["new_cost_ratio_largest_to_smallest"] = round(
            figures[largest]["new_contact"]["ms_mean"]
            / figures[smallest]["new_contact"]["ms_mean"],
            2,
        )
    finally:
        await client.drop_database(database)
        await client.close()
    return figures
