"""What an entity rule needs to know about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WriteContext:
    now: datetime
    # `include=allowduplicatedocnum` lets a client reuse a DocNumber.
    allow_duplicate_doc_number: bool = False
