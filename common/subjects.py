"""The record a failure is about, as the person who edited it knows it.

A dead letter names its *subject*: the side, the entity (module), the id and
a label (name, email, number), so a person finds the record they edited
without reading the message that failed. A handler that knows it puts it on
the error it raises (``SyncError.subject``); otherwise the envelope's own
record is the subject (a change, a fetch, a forced sync).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.messages import Envelope

# The fields a person knows a record by, first found wins per group.
NAME_FIELDS = ("display_name", "name", "number", "subject")
PERSON_FIELDS = ("first_name", "last_name")


@dataclass(frozen=True)
class Subject:
    system: str
    entity: str
    external_id: str
    label: str | None = None

    def describe(self) -> str:
        """``crm product 123 (Widget)``: how a person reads it."""
        named = f" ({self.label})" if self.label else ""
        return f"{self.system} {self.entity} {self.external_id}{named}"


def label_of(record: Mapping[str, Any] | None) -> str | None:
    """A canonical record's name and email, e.g. ``Ann Lee <ann@example.com>``."""
    if not record:
        return None
    name = next((str(record[f]) for f in NAME_FIELDS if record.get(f)), None)
    if name is None:
        person = [str(record[f]) for f in PERSON_FIELDS if record.get(f)]
        name = " ".join(person) or None
    email = record.get("email")
    if name and email:
        return f"{name} <{email}>"
    return name or (str(email) if email else None)


def subject_of(envelope: Envelope) -> Subject | None:
    """The envelope's own record, when it names one."""
    if not envelope.external_id or envelope.entity == "*":
        return None
    record = envelope.payload.get("record")
    return Subject(
        system=envelope.system,
        entity=envelope.entity,
        external_id=envelope.external_id,
        label=label_of(record) if isinstance(record, Mapping) else None,
    )
