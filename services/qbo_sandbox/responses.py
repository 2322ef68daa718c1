"""JSON envelopes: every API response carries `time` in the company's zone."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from services.qbo_sandbox.clock import parse_offset, response_time
from services.qbo_sandbox.errors import QboError

DEFAULT_TZ = parse_offset("-07:00")


def envelope(body: dict[str, Any], now: datetime, tz: timezone) -> dict[str, Any]:
    return {**body, "time": response_time(now, tz)}


def json_response(
    body: dict[str, Any], now: datetime, tz: timezone, status: int = 200
) -> web.Response:
    response = web.Response(
        text=json.dumps(envelope(body, now, tz)),
        status=status,
        content_type="application/json",
    )
    # Every real QBO response names its transaction id in this header.
    response.headers["intuit_tid"] = str(uuid.uuid4())
    return response


def fault_response(
    error: QboError, now: datetime, tz: timezone = DEFAULT_TZ
) -> web.Response:
    return json_response({"Fault": error.fault()}, now, tz, error.status)
