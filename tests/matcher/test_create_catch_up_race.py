"""A change of the source saved while its create's ``written.*`` is between
reading the source's mirror and committing the link is not lost: the
catch-up loses its commit and goes again, reading the change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from services.matcher.bootstrap import bootstrap
from services.matcher.memory import InMemoryRepository
from services.matcher.model import MirrorEntry
from services.matcher.ports import StaleWrite
from tests.matcher.harness import TENANT, Harness, command_of, contact, writes

pytestmark = pytest.mark.unit


class ChangeDuringRead(InMemoryRepository):
    """Runs ``during`` right after the ``skip``-th read of CRM contact c1's
    mirror has been answered (the read the catch-up decides from)."""

    def __init__(self) -> None:
        super().__init__()
        self.during: Callable[[], Awaitable[None]] | None = None
        self.skip = 0

    async def mirror(
        self, tenant: str, system: str, entity: str, external_id: str
    ) -> MirrorEntry | None:
        found = await super().mirror(tenant, system, entity, external_id)
        if self.during is not None and (system, external_id) == ("crm", "c1"):
            if self.skip:
                self.skip -= 1
            else:
                run, self.during = self.during, None
                await run()
        return found


# 0: after the read that checks the source was not deleted; 1: after the
# catch-up's own read, before its commit (the race).
@pytest.mark.parametrize("reads_before", [0, 1])
async def test_a_change_saved_during_the_creates_catch_up_is_written(
    reads_before: int,
) -> None:
    repo = ChangeDuringRead()
    h = Harness(await bootstrap(repository=repo), repo)
    [create] = writes(await h.send(h.change("crm", "contact", "c1", contact())))
    edited = h.change("crm", "contact", "c1", contact(phone="+1 555 0100"))
    emitted = []

    async def person_edits() -> None:
        emitted.extend(await h.send(edited))

    repo.during, repo.skip = person_edits, reads_before
    written = h.written(create, "q1", seq=0)
    try:
        out = await h.send(written)
    except StaleWrite:
        out = await h.send(written)  # the bus's retry
    phones = [
        command_of(w).record.get("phone")
        for w in writes(out + emitted, "write.qbo.customer")
    ]
    link = await repo.link_of(TENANT, "contact", "crm", "c1")
    assert link is not None
    assert link.complete
    assert repo.during is None  # the person's edit did run in between
    # The edit reached QBO: written by the catch-up or by the change itself.
    assert "+1 555 0100" in phones
