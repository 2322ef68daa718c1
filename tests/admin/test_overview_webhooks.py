"""The last webhook per entity, as the gateways note it: one document per
tenant, system and entity, written at most once per 5 s however many
webhooks arrive, and a store that fails never fails the webhook."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.gateway.cursors import CURSORS, Cursors
from common.settings import Settings
from common.store import Store, open_store
from common.store.times import from_stored

pytestmark = pytest.mark.integration


async def test_a_burst_of_webhooks_is_one_store_write(store: Store) -> None:
    cursors = Cursors(store)
    before = store.commands.sent
    await cursors.note_webhook("acme", "qbo", "customer")
    first = store.commands.sent - before
    document = await store.db[CURSORS].find_one({"_id": "webhook:acme:qbo:customer"})
    assert document is not None
    assert {k: document[k] for k in ("tenant", "kind", "system", "entity")} == {
        "tenant": "acme",
        "kind": "webhook",
        "system": "qbo",
        "entity": "customer",
    }
    at = from_stored(document["at"])
    assert abs((datetime.now(UTC) - at).total_seconds()) < 30
    assert first == 1

    before = store.commands.sent
    for _ in range(50):
        await cursors.note_webhook("acme", "qbo", "customer")
    assert store.commands.sent == before  # throttled: no round trip at all
    await cursors.note_webhook("acme", "qbo", "item")  # another entity: noted
    assert store.commands.sent == before + 1
    assert await store.db[CURSORS].count_documents({"kind": "webhook"}) == 2


async def test_a_failing_store_never_fails_the_webhook(settings: Settings) -> None:
    closed = await open_store(settings)
    cursors = Cursors(closed)
    await closed.close()  # every write now fails
    await cursors.note_webhook("acme", "crm", "contact")  # does not raise
