"""Match-key helpers that no service calls, kept with the test that states
their rules (they were the gateways' ``translation/matchkeys.py``).

The gateways' live re-checks before a create are their own:
``services/qbo_gateway/write_bodies.py`` (``match_query``, ``same_key``) and
``services/crm_gateway/client.py`` (``criteria_in``) with
``services/crm_gateway/writes.py``; the matcher's keys are
``services/matcher/matchkeys.py``.
"""

from __future__ import annotations


def normalise_email(value: str | None) -> str | None:
    """Trimmed and lower-cased; empty means no key (rule 3: "missing email")."""
    return value.strip().lower() or None if isinstance(value, str) else None


def normalise_name(value: str | None) -> str | None:
    """Trimmed, inner whitespace collapsed, case-insensitive."""
    return " ".join(value.split()).lower() or None if isinstance(value, str) else None


def same_email(left: str | None, right: str | None) -> bool:
    key = normalise_email(left)
    return key is not None and key == normalise_email(right)


def same_name(left: str | None, right: str | None) -> bool:
    key = normalise_name(left)
    return key is not None and key == normalise_name(right)


def qbo_quote(value: str) -> str:
    """A string literal for a QBO query: the apostrophe is backslash-escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


QBO_MATCH_FIELD = {
    ("Customer", "email"): "PrimaryEmailAddr",
    ("Vendor", "email"): "PrimaryEmailAddr",
    ("Vendor", "name"): "DisplayName",
    ("Item", "name"): "Name",
}


def qbo_match_query(entity: str, key: str, value: str) -> str:
    """The candidates query for a live re-check, e.g. ("Customer", "email", x)."""
    return (
        f"select * from {entity} where {QBO_MATCH_FIELD[(entity, key)]} = "
        f"{qbo_quote(value.strip())}"
    )


ZOHO_MATCH_FIELD = {
    ("Contacts", "email"): "Email",
    ("Vendors", "email"): "Email",
    ("Vendors", "name"): "Vendor_Name",
    ("Products", "name"): "Product_Name",
    ("Accounts", "name"): "Account_Name",
}


def zoho_criteria(module: str, key: str, value: str) -> str:
    """``criteria=`` for the live re-check, e.g. ``(Email:equals:a\\,b@x.io)``:
    Zoho wants ( ) , escaped with a backslash; the caller URL-encodes."""
    escaped = value.strip().replace("\\", "\\\\")
    for char in "(),":
        escaped = escaped.replace(char, "\\" + char)
    return f"({ZOHO_MATCH_FIELD[(module, key)]}:equals:{escaped})"
