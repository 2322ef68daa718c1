"""The sandbox's own clock, which tests can move forward to expire tokens,
open rate-limit windows or age records past the CDC lookback."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo


class Clock:
    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset_seconds


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def parse_offset(text: str) -> timezone:
    """'-07:00' or '-0700' to a fixed-offset zone (no DST, see the README)."""
    match = _OFFSET.match(text.strip())
    if not match:
        raise ValueError(f"bad UTC offset {text!r}")
    sign = -1 if match.group(1) == "-" else 1
    minutes = int(match.group(2)) * 60 + int(match.group(3))
    return timezone(sign * timedelta(minutes=minutes))


def offset_text(tz: timezone) -> str:
    raw = datetime(2000, 1, 1, tzinfo=tz).strftime("%z")
    return f"{raw[:3]}:{raw[3:5]}"


def meta_time(moment: datetime, tz: timezone) -> str:
    """MetaData times: whole seconds, the company's offset with a colon."""
    return moment.astimezone(tz).replace(microsecond=0).isoformat()


def response_time(moment: datetime, tz: timezone) -> str:
    """The `time` of every response: milliseconds, the company's offset."""
    local = moment.astimezone(tz)
    millis = f"{local.microsecond // 1000:03d}"
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + millis + offset_text(tz)


def webhook_time(moment: datetime, tz: tzinfo) -> str:
    """Webhook `lastUpdated`: Intuit's sample has no colon in the offset."""
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def parse_when(text: str, tz: timezone) -> datetime:
    """A date or datetime from a query or CDC call; a bare date or a datetime
    without offset is read in the company's zone."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=tz)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed
