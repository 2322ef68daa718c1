"""A dependency that links between the invoice's look and its park must not
leave the invoice parked for ever."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from services.matcher.bootstrap import bootstrap
from services.matcher.memory import InMemoryRepository
from services.matcher.model import Parked
from tests.matcher.harness import Harness, writes
from tests.matcher.test_rules_products_documents import (
    invoice,
    linked_contact,
)

pytestmark = pytest.mark.unit


class LinksWhileParking(InMemoryRepository):
    """Runs ``just_before_park`` at the worst moment: after the invoice saw
    its product unlinked, before its park is stored."""

    just_before_park: Callable[[], Awaitable[None]] | None = None

    async def park(self, parked: Parked) -> None:
        hook, self.just_before_park = self.just_before_park, None
        if hook is not None:
            await hook()
        await super().park(parked)


async def test_invoice_parked_while_its_product_links_goes_again() -> None:
    repo = LinksWhileParking()
    h = Harness(await bootstrap(repository=repo), repo)
    await linked_contact(h)
    [create] = writes(await h.send(h.change("crm", "product", "p1", {"name": "P1"})))

    async def link_now() -> None:
        await h.send(h.written(create, "i1"))  # finds nothing parked yet

    repo.just_before_park = link_now
    change = h.change("crm", "invoice", "inv1", invoice("c1", "p1"))
    # It looks again after parking, finds everything linked and goes again in
    # the same message (no raise: on a resume that would abort the handler).
    out = await h.send(change)
    [pushed] = writes(out, "write.qbo.invoice")
    assert pushed.payload["record"]["lines"][0]["product_id"] == "i1"
    # A redelivery of the same message sends the same write again.
    assert await h.send(change) == out
    # Its write confirmed, nothing is left parked.
    await h.send(h.written(pushed, "qi1"))
    assert repo.parked == {}
