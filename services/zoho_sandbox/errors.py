"""Zoho's error envelope: `{"code","details","message","status":"error"}`."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ZohoError(Exception):
    """A request-level failure, answered with a flat envelope (no `data[]`)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "details": self.details,
            "message": self.message,
            "status": "error",
        }

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status, headers=self.headers)


def error_item(code: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "details": details, "message": message, "status": "error"}


def invalid_token() -> ZohoError:
    return ZohoError(401, "INVALID_TOKEN", "invalid oauth token")


def invalid_module(name: str) -> ZohoError:
    return ZohoError(
        400,
        "INVALID_MODULE",
        "the module name given seems to be invalid",
        {"resource_path_index": 0},
    )


def required_param(param: str) -> ZohoError:
    return ZohoError(
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param": param},
    )


def invalid_param(param: str, message: str = "invalid data") -> ZohoError:
    return ZohoError(400, "INVALID_DATA", message, {"param": param})


def invalid_body() -> ZohoError:
    return ZohoError(400, "INVALID_DATA", "body", {"expected_data_type": "jsonobject"})
