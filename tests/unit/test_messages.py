from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from common.bus.topology import pick_delay
from common.hashing import content_hash
from common.messages import Envelope, Version, WriteOutcome
from common.records import DocumentLine, Party, SalesDocument

pytestmark = pytest.mark.unit


def test_envelope_round_trips_and_keeps_money_exact() -> None:
    document = SalesDocument(
        kind="invoice",
        lines=(DocumentLine(quantity=Decimal("3"), unit_price=Decimal("0.10")),),
    )
    envelope = Envelope(
        kind="change",
        tenant="acme",
        system="qbo",
        entity="invoice",
        external_id="238",
        payload={"record": document.model_dump(mode="json")},
    )
    again = Envelope.from_bytes(envelope.to_bytes())
    assert again == envelope
    assert again.routing_key == "change.qbo.invoice"
    record = again.record()
    assert isinstance(record, SalesDocument)
    assert record.lines[0].unit_price == Decimal("0.10")
    assert '"0.10"' in envelope.model_dump_json()  # a string, never a float


def test_envelope_refuses_unknown_entities_and_naive_times() -> None:
    with pytest.raises(ValidationError, match="unknown crm entity"):
        Envelope(kind="change", tenant="t", system="crm", entity="customer")
    with pytest.raises(ValidationError):
        Envelope(
            kind="change",
            tenant="t",
            system="crm",
            entity="contact",
            occurred_at=datetime(2026, 1, 1),
        )
    with pytest.raises(ValidationError):
        Envelope(
            kind="change",
            tenant="t",
            system="crm",
            entity="contact",
            surprise=1,  # type: ignore[call-arg]
        )


def test_caused_with_key_derives_the_same_id_twice() -> None:
    source = Envelope(kind="change", tenant="t", system="crm", entity="contact")
    a = source.caused(key="write", kind="write", system="qbo", entity="customer")
    b = source.caused(key="write", kind="write", system="qbo", entity="customer")
    assert a.event_id == b.event_id == uuid.uuid5(source.event_id, "write")
    assert a.causation_id == source.event_id
    assert a.correlation_id == source.correlation_id
    assert source.caused().event_id != source.caused().event_id


def test_versions_order_by_sync_token_then_time() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert Version(updated_at=t, sequence=1).is_older_than(
        Version(updated_at=t, sequence=2)
    )
    # Same second, higher SyncToken: newer even though the clock did not move.
    assert not Version(updated_at=t, sequence=3).is_older_than(
        Version(updated_at=t + timedelta(seconds=1), sequence=2)
    )
    pacific = timezone(timedelta(hours=-8))
    zoho = Version(updated_at=datetime(2026, 1, 1, 4, tzinfo=pacific))
    assert zoho.updated_at == datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_content_hash_ignores_blank_versus_missing_and_whitespace() -> None:
    assert content_hash(Party(email="a@b.co", phone="")) == content_hash(
        Party(email=" a@b.co ")
    )
    assert content_hash(Party(email="a@b.co")) != content_hash(Party(email="c@b.co"))


def test_retry_delay_grows_and_honours_retry_after() -> None:
    delays = (1.0, 5.0, 30.0)
    assert [pick_delay(delays, n) for n in (1, 2, 3, 9)] == [1.0, 5.0, 30.0, 30.0]
    assert pick_delay(delays, 1, at_least=4) == 5.0
    assert pick_delay(delays, 1, at_least=100) == 30.0


def test_an_outcome_with_a_retired_field_still_parses() -> None:
    # content_hash left WriteOutcome in session 3; outcomes queued or
    # dead-lettered before still carry it and must not be refused.
    old = {"ok": True, "idempotency_key": "k", "content_hash": "abc", "created": True}
    outcome = WriteOutcome.model_validate(old)
    assert outcome.created
    assert "content_hash" not in outcome.model_dump()
    with pytest.raises(ValidationError):
        WriteOutcome.model_validate({**old, "contnet_hash": "typo"})
