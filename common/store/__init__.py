from common.store.client import Store, open_store
from common.store.embedded import EmbeddedMongo

__all__ = ["EmbeddedMongo", "Store", "open_store"]
