"""Content hashes over the synced fields only.

Echo suppression compares the hash of a record that comes back with the hash
of what we wrote. CRM marker fields (QuickBooks ids, QBSYNC) are not part of
the canonical records, so writing them back never changes a hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from common.records import CanonicalRecord


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def content_hash(
    record: CanonicalRecord | dict[str, Any],
    *,
    exclude: Iterable[str] = (),
) -> str:
    """sha256 of the record's fields, normalised so equal content hashes equal.

    Empty strings count as absent, so "" in one API and null in the other
    do not look like a change.
    """
    data = record.model_dump(mode="json") if not isinstance(record, dict) else record
    skipped = set(exclude)
    normalised = _normalise({k: v for k, v in data.items() if k not in skipped})
    return hashlib.sha256(canonical_json(normalised).encode()).hexdigest()


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {k: _normalise(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", {}, [])}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, str):
        return value.strip()
    return value
