"""Errors typed by what to do next (STYLE §6).

Handlers raise these; the bus routes on the class: retriable → delayed
retry, permanent → dead letters at once, ignorable → ack and move on.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base class. ``reason`` is written for a person reading the dead letters."""

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RetriableError(SyncError):
    """Timeouts, 429, 5xx, broker or database unavailable: try again later."""

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after


class PermanentError(SyncError):
    """Validation refused, ambiguous match, missing data: a person must act."""


class IgnorableError(SyncError):
    """Stale or duplicate events: nothing to do, nothing to report."""


def classify(exc: BaseException) -> str:
    """retriable | permanent | ignorable, for any exception a handler raised.

    Unknown exceptions count as retriable: a bug that fixes itself on redeploy
    should not be dead-lettered on the first try, and the attempt cap still
    bounds it.
    """
    if isinstance(exc, PermanentError):
        return "permanent"
    if isinstance(exc, IgnorableError):
        return "ignorable"
    return "retriable"
