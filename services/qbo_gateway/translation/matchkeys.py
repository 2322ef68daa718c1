"""Match keys, normalised the same way the matcher normalises them.

Used for the live re-check before a create: the gateway asks the API for
candidates, then keeps those whose normalised key equals the record's.
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


MATCH_FIELD = {
    ("Customer", "email"): "PrimaryEmailAddr",
    ("Vendor", "email"): "PrimaryEmailAddr",
    ("Vendor", "name"): "DisplayName",
    ("Item", "name"): "Name",
}


def qbo_match_query(entity: str, key: str, value: str) -> str:
    """The candidates query for a live re-check, e.g. ("Customer", "email", x).

    Filter the answer with ``same_email``/``same_name``: the comparison rules
    of QBO's query engine are not ours.
    """
    return (
        f"select * from {entity} where {MATCH_FIELD[(entity, key)]} = "
        f"{qbo_quote(value.strip())}"
    )
