"""Each message kind's payload as a model (common/payloads.py): what the
producers send (and have sent: messages in queues, stored dead letters)
parses; a payload of the wrong shape fails naming its field, and that
failure is permanent (``classify``: the values are the message's own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from common.errors import classify
from common.messages import Envelope, Kind, WriteCommand
from common.payloads import (
    PAYLOADS,
    BackfillPayload,
    ChangePayload,
    CommandPayload,
    FetchPayload,
    PollPayload,
    typed_payload,
)

pytestmark = pytest.mark.unit


def refused(model: type[BaseModel], payload: dict[str, Any], field: str) -> None:
    """``payload`` fails ``model`` naming ``field``, as a permanent error."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)
    assert [error["loc"][0] for error in caught.value.errors()] == [field]
    assert f"\n{field}" in str(caught.value)  # the dead letter's reason names it
    assert classify(caught.value, payload) == "permanent"


def test_every_kind_has_a_payload_model() -> None:
    assert set(PAYLOADS) == set(get_args(Kind))
    assert PAYLOADS["write"] is WriteCommand


# -- change -------------------------------------------------------------------
def test_change_payloads_as_the_gateways_send_them() -> None:
    read = ChangePayload.model_validate(
        {"record": {"last_name": "Lee", "phone": None}, "source": "poll"}
    )
    assert read.record == {"last_name": "Lee", "phone": None}
    assert read.source == "poll"
    assert read.forced is False
    deleted = {"record": {}, "source": "webhook", "forced": False}
    assert ChangePayload.model_validate(deleted).wire() == deleted
    assert ChangePayload.model_validate({}) == ChangePayload()  # record-less
    # A key a newer gateway adds does not stop an older matcher.
    assert ChangePayload.model_validate({"source": "fetch", "new": 1}).source == "fetch"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"record": "Lee"}, "record"),
        ({"record": {}, "source": "pol"}, "source"),
        ({"record": {}, "forced": "yes"}, "forced"),
    ],
)
def test_change_payloads_of_the_wrong_shape(
    payload: dict[str, Any], field: str
) -> None:
    refused(ChangePayload, payload, field)


# -- fetch --------------------------------------------------------------------
def test_fetch_payloads_as_their_producers_send_them() -> None:
    webhook = FetchPayload.model_validate({"ids": ["7", "8"], "source": "webhook"})
    assert webhook.ids == ["7", "8"]
    assert webhook.forced is False
    assert FetchPayload.model_validate({}) == FetchPayload(source="fetch")  # matcher
    assert FetchPayload.model_validate({"source": "replay"}).ids == []  # dead letters
    assert FetchPayload.model_validate({"ids": ["1"], "n": 3}).ids == ["1"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ids": "7"}, "ids"),  # not a list
        ({"ids": [7]}, "ids"),  # an id is a string
        ({"ids": [""]}, "ids"),
        ({"ids": ["7"], "source": "fetched"}, "source"),
        ({"forced": 1}, "forced"),
    ],
)
def test_fetch_payloads_of_the_wrong_shape(payload: dict[str, Any], field: str) -> None:
    refused(FetchPayload, payload, field)


# -- poll ---------------------------------------------------------------------
def test_poll_payloads() -> None:
    assert PollPayload.model_validate({}).since is None  # the scheduler's
    assert PollPayload.model_validate({"n": 2}).since is None
    first = PollPayload.model_validate({"since": "2026-01-01T10:00:00+02:00"})
    assert first.since == datetime(2026, 1, 1, 8, tzinfo=UTC)
    naive = PollPayload.model_validate({"since": "2026-01-01T10:00:00"})
    assert naive.since == datetime(2026, 1, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("since", ["yesterday", 0, "", ["2026-01-01"]])
def test_poll_payloads_with_a_bad_since(since: Any) -> None:
    refused(PollPayload, {"since": since}, "since")


# -- backfill -----------------------------------------------------------------
def test_backfill_payloads_old_and_new() -> None:
    old = BackfillPayload.model_validate({"since": "2000-01-01", "run_id": "r1"})
    assert old.since == datetime(2000, 1, 1, tzinfo=UTC)
    assert old.run_id == "r1"
    new = BackfillPayload(since=datetime(2000, 1, 1, tzinfo=UTC), run_id="r1")
    assert new.wire() == {"since": "2000-01-01T00:00:00Z", "run_id": "r1"}
    assert BackfillPayload.model_validate(new.wire()) == old
    assert datetime.fromisoformat(new.wire()["since"]) == old.since  # old gateways
    assert BackfillPayload.model_validate({}) == BackfillPayload()
    assert BackfillPayload().wire() == {}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"since": "soon", "run_id": "r1"}, "since"),
        ({"since": 946684800, "run_id": "r1"}, "since"),  # a Unix time
        ({"since": "2000-01-01", "run_id": ""}, "run_id"),
        ({"since": "2000-01-01", "run_id": 5}, "run_id"),
        ({"since": "2000-01-01", "until": "2001-01-01"}, "until"),  # not known
    ],
)
def test_backfill_payloads_of_the_wrong_shape(
    payload: dict[str, Any], field: str
) -> None:
    refused(BackfillPayload, payload, field)


# -- command ------------------------------------------------------------------
def test_command_payloads() -> None:
    assert (
        CommandPayload.model_validate({"action": "force_sync"}).action == "force_sync"
    )
    sweep = CommandPayload.model_validate(
        {"action": "sweep", "refetch_after": 0, "resend_after": 2.5}
    )
    assert (sweep.refetch_after, sweep.resend_after) == (0.0, 2.5)
    assert CommandPayload(action="sweep").wire() == {"action": "sweep"}  # scheduler


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "resync"}, "action"),
        ({}, "action"),
        ({"action": None}, "action"),
        ({"action": "sweep", "refetch_after": "10"}, "refetch_after"),
        ({"action": "sweep", "refetch_after": True}, "refetch_after"),
        ({"action": "sweep", "resend_after": -1}, "resend_after"),
        ({"action": "sweep", "refetch_afer": 10}, "refetch_afer"),  # misspelt
    ],
)
def test_command_payloads_of_the_wrong_shape(
    payload: dict[str, Any], field: str
) -> None:
    refused(CommandPayload, payload, field)


# -- on the envelope ------------------------------------------------------------
def fetch(payload: dict[str, Any]) -> Envelope:
    return Envelope(
        kind="fetch", tenant="t", system="qbo", entity="customer", payload=payload
    )


def test_the_consumer_s_parse_is_the_one_the_handler_reads() -> None:
    envelope = fetch({"ids": ["1"]})
    parsed = typed_payload(envelope)
    assert envelope.payload_as(FetchPayload) is parsed
    retried = envelope.model_copy(update={"attempt": 2})
    assert retried.payload_as(FetchPayload) is parsed  # the same payload
    other = envelope.model_copy(update={"payload": {"ids": ["2"]}})
    assert other.payload_as(FetchPayload).ids == ["2"]  # a payload of its own
    assert envelope.payload_as(FetchPayload).ids == ["1"]


def test_a_parsed_payload_changes_neither_the_wire_nor_equality() -> None:
    envelope = fetch({"ids": ["1"], "source": "webhook"})
    unparsed = Envelope.from_bytes(envelope.to_bytes())
    typed_payload(envelope)
    assert envelope == unparsed
    assert envelope.to_bytes() == unparsed.to_bytes()


def test_typed_payload_refuses_by_the_envelope_s_kind() -> None:
    with pytest.raises(ValidationError, match="FetchPayload"):
        typed_payload(fetch({"ids": "1"}))
    command = Envelope(
        kind="command", tenant="t", system="crm", entity="*", payload={"ids": "1"}
    )
    with pytest.raises(ValidationError, match="CommandPayload"):
        typed_payload(command)
