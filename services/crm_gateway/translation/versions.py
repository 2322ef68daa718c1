"""Zoho versions: no sequence; Modified_Time (second resolution) is the version."""

from __future__ import annotations

from common.messages import Version
from common.translation.reader import Reader


def version_from_zoho(reader: Reader) -> Version:
    return Version(updated_at=reader.moment("Modified_Time"))
