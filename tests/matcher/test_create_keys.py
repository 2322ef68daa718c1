"""A create carries both match keys the gateways re-check live before it
(``common/matchkeys.py``): the match key, and the alternative key."""

from __future__ import annotations

import pytest

from tests.matcher.harness import Harness, command_of, writes

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("system", "record", "keys", "target"),
    [
        # A vendor without email is re-checked by name.
        ("qbo", {"name": "  Ink   Inc "}, (None, "ink inc"), "write.crm.vendor"),
        (
            "crm",
            {"name": "Paper  Co", "email": " AP@Paper.co"},
            ("ap@paper.co", "paper co"),
            "write.qbo.vendor",
        ),
    ],
)
async def test_a_vendor_create_carries_its_email_and_name_keys(
    harness: Harness,
    system: str,
    record: dict[str, str],
    keys: tuple[str | None, str | None],
    target: str,
) -> None:
    out = await harness.send(harness.change(system, "vendor", "v1", record, seq=0))
    [create] = writes(out, target)
    command = command_of(create)
    assert (command.match_key, command.alt_match_key) == keys


async def test_an_update_carries_no_keys(harness: Harness) -> None:
    h = harness
    [create] = writes(await h.send(h.change("crm", "product", "p1", {"name": "W"})))
    await h.send(h.written(create, "i1"))
    renamed = {"name": "W2"}
    [update] = writes(await h.send(h.change("crm", "product", "p1", renamed)))
    command = command_of(update)
    assert update.external_id == "i1"
    assert (command.match_key, command.alt_match_key) == (None, None)
