"""Zoho's Modified_Time has one-second resolution, so two states of a record
read in one second carry the same version (found by the convergence suite:
a phone cleared in the same second as an earlier edit was lost, and the old
phone later written back over the person's change). The matcher neither
keeps the first state read nor drops the second: it reads the record again,
and takes that read — the record as it is now — at the same version."""

from __future__ import annotations

import pytest

from tests.matcher.harness import TENANT, Harness, contact

pytestmark = pytest.mark.unit


async def test_two_states_in_one_second_are_settled_by_a_read_again(
    harness: Harness,
) -> None:
    h = harness
    same_second = h.at()
    await h.send(h.change("crm", "contact", "c1", contact(phone="1"), at=same_second))

    out = await h.send(h.change("crm", "contact", "c1", contact(), at=same_second))

    [recheck] = out
    assert recheck.routing_key == "fetch.crm.contact"
    assert recheck.external_id == "c1"
    assert recheck.payload["source"] == "recheck"
    # What the re-read returns is the record now: taken at the same version.
    now = h.change("crm", "contact", "c1", contact(), at=same_second)
    now = now.model_copy(update={"payload": {**now.payload, "source": "recheck"}})
    await h.send(now)
    mirror = await h.repo.mirror(TENANT, "crm", "contact", "c1")
    assert mirror is not None
    assert mirror.record is not None
    assert mirror.record["phone"] is None


async def test_the_same_state_again_in_one_second_is_a_duplicate(
    harness: Harness,
) -> None:
    h = harness
    same_second = h.at()
    await h.send(h.change("crm", "contact", "c1", contact(phone="1"), at=same_second))

    again = await h.send(
        h.change("crm", "contact", "c1", contact(phone="1"), at=same_second)
    )

    assert again == []
