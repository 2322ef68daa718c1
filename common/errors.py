"""Errors typed by what to do next (STYLE §6).

Handlers raise these; the bus routes on the class: retriable → delayed
retry, permanent → dead letters at once, ignorable → ack and move on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from common.subjects import Subject


class SyncError(Exception):
    """Base class. ``reason`` is written for a person reading the dead letters;
    ``subject`` is the record it is about when the handler knows it (the
    matcher names the record a person edited, not the message that failed)."""

    def __init__(
        self, reason: str, *, code: str | None = None, subject: Subject | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subject = subject


class RetriableError(SyncError):
    """Timeouts, 429, 5xx, broker or database unavailable: try again later."""

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        subject: Subject | None = None,
    ) -> None:
        super().__init__(reason, code=code, subject=subject)
        self.retry_after = retry_after


class PermanentError(SyncError):
    """Validation refused, ambiguous match, missing data: a person must act."""


class IgnorableError(SyncError):
    """Stale or duplicate events: nothing to do, nothing to report."""


def classify(exc: BaseException, payload: Mapping[str, Any] | None = None) -> str:
    """retriable | permanent | ignorable, for any exception a handler raised.

    ``payload`` is the message's own data. A message whose payload fails its
    schema fails the same way on every attempt, so it is permanent: a
    ``ValidationError`` whose invalid values are found in ``payload``, and a
    ``TypeError`` or ``KeyError`` (a payload of the wrong shape, or code that
    cannot handle it — either way the same next time). A ``ValidationError``
    on data that is *not* the message's (an API response the gateway fetched,
    a stored document) may be a partial answer or a record caught mid-change,
    so it stays retriable, bounded by the attempt cap.

    Other unknown exceptions count as retriable: a bug that fixes itself on
    redeploy should not be dead-lettered on the first try, and the attempt
    cap still bounds it.
    """
    if isinstance(exc, PermanentError):
        return "permanent"
    if isinstance(exc, IgnorableError):
        return "ignorable"
    if isinstance(exc, ValidationError):
        return "permanent" if _is_about(exc, payload) else "retriable"
    if isinstance(exc, TypeError | KeyError):
        return "permanent"
    return "retriable"


def _is_about(exc: ValidationError, payload: Mapping[str, Any] | None) -> bool:
    """True when every invalid value pydantic reports sits in ``payload`` at
    the place it reports (under the payload itself or one of its sub-objects:
    handlers validate ``payload`` and ``payload["record"]`` alike)."""
    if payload is None:
        return False
    errors = exc.errors(include_url=False)
    return bool(errors) and all(_found(payload, error) for error in errors)


def _found(payload: Mapping[str, Any], error: Any) -> bool:
    location = tuple(error.get("loc", ()))
    value = error.get("input")
    if error.get("type") == "missing":  # the input is the object lacking it
        location = location[:-1]
    return any(_at(root, location) == value for root in _objects_in(payload))


def _objects_in(value: Any) -> list[Any]:
    """Every dict and list in a JSON value, the value itself first."""
    found = [value]
    children = value.values() if isinstance(value, Mapping) else value
    if isinstance(value, Mapping | list):
        for child in children:
            if isinstance(child, Mapping | list):
                found.extend(_objects_in(child))
    return found


_MISSING = object()


def _at(root: Any, location: tuple[Any, ...]) -> Any:
    value = root
    for step in location:
        in_list = isinstance(value, list) and isinstance(step, int)
        if (in_list and step < len(value)) or (
            isinstance(value, Mapping) and step in value
        ):
            value = value[step]
        else:
            return _MISSING
    return value
