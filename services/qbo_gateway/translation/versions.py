"""QBO versions: SyncToken is the sequence; LastUpdatedTime the time."""

from __future__ import annotations

from common.messages import Version
from common.translation.reader import Reader


def version_from_qbo(reader: Reader) -> Version:
    token = reader.required_text("SyncToken")
    if not token.isdigit():
        raise reader.fail("SyncToken", f"not a counter: {token!r}")
    return Version(
        updated_at=reader.moment("MetaData.LastUpdatedTime"), sequence=int(token)
    )
