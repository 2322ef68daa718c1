import pytest

from common.store import Store

pytestmark = pytest.mark.integration


async def test_store_answers_ping(store: Store) -> None:
    assert await store.ping()
    await store.db["x"].insert_one({"_id": "a"})
    assert await store.db["x"].find_one({"_id": "a"}) == {"_id": "a"}
