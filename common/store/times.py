"""Times as stored: fixed-width ISO-8601 UTC strings that sort as they compare."""

from __future__ import annotations

from datetime import UTC, datetime


def to_stored(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: store only timezone-aware times")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_stored(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def stored_now() -> str:
    return to_stored(datetime.now(UTC))
