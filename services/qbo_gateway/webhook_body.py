"""The body of a QBO webhook: bytes → notices, or a one-line reason why not.

Two shapes are read, nothing else: Intuit's legacy object
``{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [...]}}]}``
and the CloudEvents array it is moving to. Both are validated whole, as
pydantic models, before any of it is used: a body that is valid JSON but not
one of these shapes is refused (400), never half-read. Entities of types we
do not sync are kept here and skipped later: QBO sends them and that is fine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from services.qbo_gateway.catalog import BY_API_NAME

CLOUD_EVENT_OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
    "voided": "Void",
    "emailed": "Emailed",
}


class BadNotification(ValueError):
    """Not a QBO notification; the message is the reason, one line."""


@dataclass(frozen=True)
class Notice:
    realm_id: str
    entity: str  # QBO name: Customer, Invoice, ...
    entity_id: str
    operation: str
    last_updated: str | None
    deleted_id: str | None = None


@dataclass(frozen=True)
class Notification:
    realms: tuple[str, ...]  # every realm named, even one with no entities
    notices: tuple[Notice, ...]


def moment_of(value: str | None) -> datetime:
    """QBO writes ``-0700`` (no colon) and ``Z``; fromisoformat takes both."""
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(value: str) -> str:
    try:
        moment_of(value).astimezone(UTC)  # as Version will: may overflow
    except OverflowError:
        raise ValueError("timestamp out of range") from None
    return value  # kept as sent: event ids are derived from the text


# pydantic also refuses lone surrogates ("\\ud800"), which could not be hashed.
Text = Annotated[str, Field(min_length=1)]
Timestamp = Annotated[Text, AfterValidator(_timestamp)]


class _Shape(BaseModel):
    # strict: no "1" → 1 or 1 → "1"; extra keys are Intuit's to add.
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


class Entity(_Shape):
    name: Text
    id: Text
    operation: Text
    last_updated: Timestamp = Field(alias="lastUpdated")
    deleted_id: Text | None = Field(default=None, alias="deletedId")


class DataChangeEvent(_Shape):
    entities: list[Entity]


class EventNotification(_Shape):
    realm_id: Text = Field(alias="realmId")
    data_change_event: DataChangeEvent = Field(alias="dataChangeEvent")


class Legacy(_Shape):
    event_notifications: list[EventNotification] = Field(
        alias="eventNotifications", min_length=1
    )


class CloudData(_Shape):
    deleted_id: Text | None = Field(default=None, alias="deletedId")


class CloudEvent(_Shape):
    type: Text  # qbo.<entity>.<created, updated, deleted, ...>.v1
    intuitaccountid: Text
    intuitentityid: Text
    time: Timestamp | None = None
    data: CloudData | None = None


CLOUD_EVENTS = TypeAdapter(Annotated[list[CloudEvent], Field(min_length=1)])


def read_notification(body: bytes) -> Notification:
    try:
        data = json.loads(body)
    except RecursionError:  # nesting deeper than the parser's stack
        raise BadNotification("JSON nested too deeply") from None
    except ValueError as exc:  # also invalid UTF-8 and huge integers
        raise BadNotification(f"malformed JSON: {exc}") from None
    return notification_of(data)


def notification_of(data: Any) -> Notification:
    try:
        if isinstance(data, list):
            return _from_cloud_events(CLOUD_EVENTS.validate_python(data))
        if isinstance(data, dict):
            return _from_legacy(Legacy.model_validate(data))
    except ValidationError as exc:
        raise BadNotification(_first_error(exc)) from None
    raise BadNotification("neither eventNotifications nor a CloudEvents array")


def parse_notices(data: Any) -> list[Notice]:
    """Decoded JSON → notices (raises ``BadNotification``)."""
    return list(notification_of(data).notices)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"[:300]


def _from_legacy(legacy: Legacy) -> Notification:
    notices = tuple(
        Notice(
            realm_id=notification.realm_id,
            entity=entity.name,
            entity_id=entity.id,
            operation=entity.operation,
            last_updated=entity.last_updated,
            deleted_id=entity.deleted_id,
        )
        for notification in legacy.event_notifications
        for entity in notification.data_change_event.entities
    )
    realms = tuple(n.realm_id for n in legacy.event_notifications)
    return Notification(realms=tuple(dict.fromkeys(realms)), notices=notices)


def _from_cloud_events(events: list[CloudEvent]) -> Notification:
    notices = tuple(n for n in map(_cloud_notice, events) if n is not None)
    realms = tuple(dict.fromkeys(event.intuitaccountid for event in events))
    return Notification(realms=realms, notices=notices)


def _cloud_notice(event: CloudEvent) -> Notice | None:
    parts = event.type.split(".")
    if len(parts) < 3 or parts[0] != "qbo":
        return None  # not a QBO data event: nothing for us
    name = next((api for api in BY_API_NAME if api.lower() == parts[1]), None)
    if name is None:
        return None  # an entity we do not sync
    return Notice(
        realm_id=event.intuitaccountid,
        entity=name,
        entity_id=event.intuitentityid,
        operation=CLOUD_EVENT_OPERATIONS.get(parts[2], "Update"),
        last_updated=event.time,
        deleted_id=event.data.deleted_id if event.data else None,
    )
