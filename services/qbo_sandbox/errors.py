"""The real Fault bodies, as QBO sends them (texts from Intuit's samples and
real captures; see the README for the ones we had to choose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_FOUND_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)
INACTIVE_REF_DETAIL = (
    "Invalid Reference Id : Something you're trying to use has been made "
    "inactive. Check the fields with accounts, customers, items, vendors or "
    "employees."
)
DUPLICATE_NAME_DETAIL = (
    "The name supplied already exists. : Another customer, vendor or employee "
    "is already using this name. Please use a different name."
)
STALE_DETAIL = (
    "Stale Object Error : You and root were working on this at the same time. "
    "root finished before you did, so your work was not saved."
)
BUSINESS = "A business validation error has occurred while processing your request"


@dataclass
class ErrorItem:
    message: str
    detail: str
    code: str
    element: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element,
        }


@dataclass
class QboError(Exception):
    """A Fault that ends the request (or one batch item)."""

    status: int
    errors: list[ErrorItem] = field(default_factory=list)
    fault_type: str = "ValidationFault"

    def fault(self) -> dict[str, Any]:
        return {
            "Error": [item.as_json() for item in self.errors],
            "type": self.fault_type,
        }


def validation(message: str, detail: str, code: str, element: str = "") -> QboError:
    return QboError(400, [ErrorItem(message, detail, code, element)])


def object_not_found() -> QboError:
    return validation("Object Not Found", NOT_FOUND_DETAIL, "610")


def stale_object() -> QboError:
    return validation("Stale Object Error", STALE_DETAIL, "5010")


def duplicate_name(detail: str = DUPLICATE_NAME_DETAIL) -> QboError:
    return validation("Duplicate Name Exists Error", detail, "6240")


def required_missing(param: str) -> QboError:
    return validation(
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {param} is missing in the request",
        "2020",
        param,
    )


def invalid_reference(element: str) -> QboError:
    return validation("Invalid Reference Id", INACTIVE_REF_DETAIL, "2500", element)


def invalid_enum(element: str, value: Any) -> QboError:
    return validation(
        "Invalid Enumeration",
        f"Invalid Enumeration : {value}",
        "2170",
        element,
    )


def string_too_long(element: str, maximum: int, supplied: int) -> QboError:
    return validation(
        "String length is either shorter or longer than supported by specification",
        "String length specified does not match the supported length. "
        f"Min:0 Max:{maximum} supplied length:{supplied}",
        "2050",
        element,
    )


def business_rule(detail: str, code: str = "6000") -> QboError:
    return validation(BUSINESS, f"Business Validation Error: {detail}", code)


def duplicate_doc_number(doc: str, entity: str, txn_id: str) -> QboError:
    return validation(
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. "
        f"This number has already been used. DocNumber={doc} is assigned to "
        f"TxnType={entity} with TxnId={txn_id}",
        "6140",
    )


def request_malformed(detail: str) -> QboError:
    return validation("Request has invalid or unsupported property", detail, "2010")


def query_parse(detail: str) -> QboError:
    return validation("Error parsing query", f"QueryParserError: {detail}", "4000")


def query_invalid(detail: str) -> QboError:
    return validation("Invalid query", f"QueryValidationError: {detail}", "4001")


def unsupported(detail: str) -> QboError:
    return validation(
        "Unsupported Operation", f"Operation {detail} is not supported.", "500"
    )


def system_failure() -> QboError:
    error = ErrorItem(
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or "
        "saving your data. Please wait a few minutes and try again.",
        "10000",
    )
    return QboError(500, [error], "SystemFault")


def auth_fault_body(detail: str, epoch_millis: int) -> dict[str, Any]:
    """The auth gateway's 401 body: lower-case keys, epoch-millisecond time and
    null siblings, unlike every other Fault (a real capture, see fixtures)."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; "
                    "statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_millis,
        "status": None,
        "cdcresponse": [],
    }


def forbidden_fault_body(epoch_millis: int) -> dict[str, Any]:
    body = auth_fault_body("", epoch_millis)
    body["fault"] = {
        "error": [
            {
                "message": "message=ApplicationAuthorizationFailed; "
                "errorCode=003100; statusCode=403",
                "detail": "",
                "code": "3100",
                "element": None,
            }
        ],
        "type": "AUTHORIZATION",
    }
    return body


THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"


def throttle_json(time_text: str) -> dict[str, Any]:
    return {
        "Fault": {
            "Error": [
                {
                    "Message": THROTTLE_MESSAGE,
                    "Detail": "The request limit was reached.",
                    "code": "3001",
                }
            ],
            "type": "SERVICE",
        },
        "time": time_text,
    }


def throttle_xml(time_text: str) -> str:
    # Kept as captured, double space included.
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{time_text}" '
        'xmlns="http://schema.intuit.com/finance/v3">\n'
        '    <Fault type="SERVICE">\n'
        '        <Error code="3001">\n'
        f"            <Message>{THROTTLE_MESSAGE}</Message>\n"
        "            <Detail>The request limit was reached.  Try again later</Detail>\n"
        "        </Error>\n"
        "    </Fault>\n"
        "</IntuitResponse>"
    )
