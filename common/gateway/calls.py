"""One API call, the way every gateway makes it.

Takes a rate-limit slot, sends with the current access token, and lets the
gateway's error table classify the answer: ok; auth (refresh the token once
and resend); throttled (pause the tenant, resend: ``RateLimits.throttled``); retry
(exponential backoff with full jitter, bounded); permanent (raise). Network
errors and timeouts count as retry.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import structlog

from common.errors import PermanentError, RetriableError
from common.gateway.limits import RateLimits
from common.gateway.tokens import TokenManager

log = structlog.get_logger(__name__)

VerdictKind = Literal["ok", "auth", "throttled", "retry", "permanent", "not_found"]


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    code: str | None = None
    message: str = ""
    retry_after: float | None = None


class ApiPermanentError(PermanentError):
    """The API refused the request for a reason retrying cannot fix."""

    def __init__(self, reason: str, *, code: str | None, status: int) -> None:
        super().__init__(reason, code=code)
        self.status = status


class ApiNotFound(ApiPermanentError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    # A 429 without Retry-After pauses at most this long (limits.throttled).
    throttle_default: float = 60.0

    def backoff(self, attempt: int) -> float:
        # Full jitter: spreads the retries of many callers apart.
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


Send = Callable[[str], Awaitable[ApiResponse]]
Classify = Callable[[ApiResponse], Verdict]


class ApiCaller:
    def __init__(
        self,
        tokens: TokenManager,
        limits: RateLimits,
        classify: Classify,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.tokens = tokens
        self.limits = limits
        self.classify = classify
        self.policy = policy or RetryPolicy()

    async def call(
        self,
        tenant: str,
        send: Send,
        *,
        what: str,
        batch: bool = False,
        heavy: bool = False,
    ) -> ApiResponse:
        token = await self.tokens.access_token(tenant)
        refreshed = False
        last = Verdict("retry", message="no attempt made")
        for attempt in range(1, self.policy.attempts + 1):
            response: ApiResponse | None = None
            async with self.limits.slot(tenant, batch=batch, heavy=heavy):
                try:
                    response = await send(token)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    verdict = Verdict("retry", message=f"{type(exc).__name__}: {exc}")
                else:
                    verdict = self.classify(response)
            if verdict.kind == "ok" and response is not None:
                self.limits.answered(tenant)
                return response
            last = verdict
            if verdict.kind == "auth" and not refreshed:
                token = await self.tokens.access_token(tenant, rejected=token)
                refreshed = True
                continue
            if verdict.kind in ("permanent", "auth"):
                raise ApiPermanentError(
                    f"{what}: {verdict.message}",
                    code=verdict.code,
                    status=response.status if response else 0,
                )
            if verdict.kind == "not_found":
                raise ApiNotFound(
                    f"{what}: {verdict.message}",
                    code=verdict.code,
                    status=response.status if response else 404,
                )
            if attempt == self.policy.attempts:
                break
            if verdict.kind == "throttled":
                pause = self.limits.throttled(
                    tenant,
                    retry_after=verdict.retry_after,
                    cap=self.policy.throttle_default,
                    batch=batch,
                )
                log.warning("api_throttled", tenant=tenant, what=what, pause=pause)
            else:
                delay = self.policy.backoff(attempt)
                log.info(
                    "api_retry",
                    tenant=tenant,
                    what=what,
                    delay=round(delay, 2),
                    reason=verdict.message,
                )
                await asyncio.sleep(delay)
        raise RetriableError(
            f"{what}: {last.message}", code=last.code, retry_after=last.retry_after
        )


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
