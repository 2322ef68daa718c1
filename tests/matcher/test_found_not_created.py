"""A create whose live re-check found the record already there (a person
made the same contact in Zoho while we created it from QBO) wrote nothing,
so nothing was agreed: the first sync of the two fills each side's gaps
from the other and clears nothing. Found by the convergence suite: the
customer's mobile was cleared because the found contact had none."""

from __future__ import annotations

import pytest

from common.messages import Envelope, Version, WriteCommand, WriteOutcome
from tests.matcher.harness import (
    Harness,
    command_of,
    contact,
    customer,
    data_writes,
    writes,
)

pytestmark = pytest.mark.unit


def found_existing(h: Harness, create: Envelope, external_id: str) -> Envelope:
    command = WriteCommand.model_validate(create.payload)
    outcome = WriteOutcome(
        ok=True, idempotency_key=command.idempotency_key, linked_existing=True
    )
    return create.caused(
        key="written",
        kind="written",
        external_id=external_id,
        version=Version(updated_at=h.at()),
        payload=outcome.model_dump(mode="json"),
    )


@pytest.mark.parametrize("contact_first", [False, True])
async def test_a_found_record_is_merged_by_filling_gaps_never_clearing(
    harness: Harness, contact_first: bool
) -> None:
    h = harness
    mobile, phone = "+1 415 555 2735", "+1 415 555 0100"
    [create] = writes(
        await h.send(h.change("qbo", "customer", "q1", customer(mobile=mobile), seq=0))
    )
    assert create.routing_key == "write.crm.contact"
    person = h.change("crm", "contact", "c9", contact(phone=phone))

    if contact_first:
        out = await h.send(person)
        out += await h.send(found_existing(h, create, "c9"))
    else:
        out = await h.send(found_existing(h, create, "c9"))
        out += await h.send(person)

    to_crm = [w for w in data_writes(out) if w.system == "crm"]
    to_qbo = [w for w in data_writes(out) if w.system == "qbo"]
    assert [command_of(w).record.get("mobile") for w in to_crm] == [mobile]
    assert [command_of(w).record.get("phone") for w in to_qbo] == [phone]
    for write in data_writes(out):
        cleared = [
            f
            for f in command_of(write).fields
            if command_of(write).record.get(f) is None
        ]
        assert cleared == [], f"{write.routing_key} clears {cleared}"
