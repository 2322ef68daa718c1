"""Time as the sandbox sees it: wall clock plus an offset tests can advance."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone


class Clock:
    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def timestamp(self) -> float:
        return time.time() + self.offset_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds


def parse_offset(text: str) -> timezone:
    """`+05:30` / `-07:00` -> a fixed-offset zone (Zoho answers in the user's zone)."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def format_zoho_time(moment: datetime, zone: timezone) -> str:
    """ISO 8601, second precision, with a `+HH:MM` offset, as Zoho writes it."""
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def parse_zoho_time(text: str) -> datetime:
    """Accepts what clients send in headers, criteria and COQL."""
    cleaned = text.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
