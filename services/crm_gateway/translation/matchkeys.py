"""Match keys (shared with the QBO gateway) and Zoho search criteria."""

from __future__ import annotations

from services.qbo_gateway.translation.matchkeys import (
    normalise_email,
    normalise_name,
    same_email,
    same_name,
)

__all__ = [
    "normalise_email",
    "normalise_name",
    "same_email",
    "same_name",
    "zoho_criteria",
]

MATCH_FIELD = {
    ("Contacts", "email"): "Email",
    ("Vendors", "email"): "Email",
    ("Vendors", "name"): "Vendor_Name",
    ("Products", "name"): "Product_Name",
    ("Accounts", "name"): "Account_Name",
}


def zoho_criteria(module: str, key: str, value: str) -> str:
    """``criteria=`` for the live re-check, e.g. ``(Email:equals:a\\,b@x.io)``.

    Zoho wants ( ) , escaped with a backslash; the caller URL-encodes. Filter
    the answer with ``same_email``/``same_name`` (text "equals" may match
    loosely, and a just-created record may not be indexed yet: use COQL or a
    GET for read-after-write).
    """
    escaped = value.strip().replace("\\", "\\\\")
    for char in "(),":
        escaped = escaped.replace(char, "\\" + char)
    return f"({MATCH_FIELD[(module, key)]}:equals:{escaped})"
