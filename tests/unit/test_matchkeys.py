"""The one match-key rule (``common/matchkeys.py``) on awkward keys, and the
live re-check queries both gateways build from it."""

from __future__ import annotations

from typing import Any

import pytest

from common.matchkeys import KeyCheck, KeyKind, key_checks, key_of, match_keys, same_key
from services.crm_gateway.writes import key_criteria
from services.qbo_gateway.catalog import ENTITIES
from services.qbo_gateway.write_bodies import holds_key, match_query, number_of

pytestmark = pytest.mark.unit

KEYS: list[tuple[KeyKind, Any, str | None]] = [
    ("email", "  Ann@Example.COM ", "ann@example.com"),
    ("email", "\tO'Neil@x.io\n", "o'neil@x.io"),
    ("email", "a b@x.io", "a b@x.io"),  # an email's inner space is not tidied
    ("email", "   ", None),
    ("email", "", None),
    ("email", None, None),
    ("email", 42, None),
    ("name", "  Acme   Corp ", "acme corp"),
    ("name", "ACME\tCorp\n", "acme corp"),
    ("name", "O'Brien & Sons,  Ltd.", "o'brien & sons, ltd."),
    ("name", ' The "Best"  Bolts (M4, steel) ', 'the "best" bolts (m4, steel)'),
    ("name", "[Draft]\u00a0 Widget", "[draft] widget"),  # a no-break space too
    ("name", "Café  CRÈME", "café crème"),
    ("name", "back\\slash", "back\\slash"),
    ("name", " \n ", None),
    ("name", None, None),
    ("number", " INV-001 ", "INV-001"),  # a number keeps its case
    ("number", "10  01", "10  01"),
    ("number", "  ", None),
    ("number", 1001, None),
]


@pytest.mark.parametrize(("kind", "raw", "key"), KEYS)
def test_key_rule(kind: KeyKind, raw: Any, key: str | None) -> None:
    assert key_of(kind, raw) == key
    if key is not None:
        assert key_of(kind, key) == key  # a key is its own key: sent, re-keyed
        assert same_key(kind, raw, key)


SAME: list[tuple[KeyKind, Any, str | None, bool]] = [
    ("name", "Acme  Corp ", "acme corp", True),
    ("name", "  ACME corp", " Acme   CORP", True),  # a key sent unnormalised
    ("name", "Acme Corporation", "acme corp", False),
    ("name", "AcmeCorp", "acme corp", False),
    ("name", "O\u2019Brien", "o'brien", False),  # apostrophes are not folded
    ("name", "Bolt (M4, steel)", "bolt (m4,steel)", False),
    ("email", " Ann@X.io", "ann@x.io", True),
    ("email", "ann@x.io", None, False),
    ("email", None, None, False),
    ("email", "", "", False),
    ("number", "inv-1", "INV-1", False),
    ("number", " INV-1", "INV-1 ", True),
]


@pytest.mark.parametrize(("kind", "value", "key", "same"), SAME)
def test_same_key(kind: KeyKind, value: Any, key: str | None, same: bool) -> None:
    assert same_key(kind, value, key) is same


RECORDS: list[tuple[str, dict[str, Any], tuple[str | None, str | None]]] = [
    ("contact", {"email": " Ann@X.com ", "last_name": "Ann"}, ("ann@x.com", None)),
    ("contact", {"email": " "}, (None, None)),
    ("account", {"name": "  Globex,  Inc. "}, ("globex, inc.", None)),
    ("product", {"name": " Blue   Widget"}, ("blue widget", None)),
    (
        "vendor",
        {"name": "Ink  (UK)", "email": "Sales@Ink.io"},
        ("sales@ink.io", "ink (uk)"),
    ),
    ("vendor", {"name": "Ink", "email": None}, (None, "ink")),
    ("vendor", {"email": "x@y.io"}, ("x@y.io", None)),
    ("invoice", {"number": " 1001 "}, ("1001", None)),
    ("quote", {}, (None, None)),
]


@pytest.mark.parametrize(("kind", "record", "keys"), RECORDS)
def test_match_keys(
    kind: str, record: dict[str, Any], keys: tuple[str | None, str | None]
) -> None:
    assert match_keys(kind, record) == keys


VENDOR_FIELDS = (("Email", "email"), ("Vendor_Name", "name"))
CHECKS: list[tuple[str, str, Any, str | None, str | None, list[KeyCheck]]] = [
    (
        "crm",
        "vendor",
        VENDOR_FIELDS,
        None,
        "  Ink   Co",
        [KeyCheck("Vendor_Name", "name", "ink co")],  # no email: by name
    ),
    (
        "crm",
        "vendor",
        VENDOR_FIELDS,
        "A@x.io",
        "ink",
        [KeyCheck("Email", "email", "a@x.io"), KeyCheck("Vendor_Name", "name", "ink")],
    ),
    (
        "qbo",
        "customer",
        (("PrimaryEmailAddr", "email"),),
        " B@x.io ",
        None,
        [KeyCheck("PrimaryEmailAddr", "email", "b@x.io")],
    ),
    ("crm", "invoice", (), "1001", None, []),  # Zoho numbers its own documents
    ("qbo", "estimate", (("DocNumber", "number"),), "  ", None, []),
]


@pytest.mark.parametrize(("system", "entity", "fields", "key", "alt", "checks"), CHECKS)
def test_key_checks(
    system: str,
    entity: str,
    fields: Any,
    key: str | None,
    alt: str | None,
    checks: list[KeyCheck],
) -> None:
    assert key_checks(system, entity, fields, key, alt) == checks


def name_check(field: str, raw: str) -> KeyCheck:
    key = key_of("name", raw)
    assert key is not None
    return KeyCheck(field, "name", key)


Spelling = tuple[str, str]
ZOHO: list[tuple[list[KeyCheck], list[Spelling], list[tuple[str, str]]]] = [
    (
        [KeyCheck("Email", "email", "a@x.io"), KeyCheck("Email", "email", "b,c@x.io")],
        [],
        [("Email", "(Email:in:a@x.io,b\\,c@x.io)")],
    ),
    (
        # The key and the record's own spelling; ( ) , and \\ escaped.
        [name_check("Product_Name", " Bolt (M4,  steel) ")],
        [("Product_Name", " Bolt (M4,  steel) ")],
        [
            (
                "Product_Name",
                "(Product_Name:in:Bolt \\(M4\\,  steel\\),bolt \\(m4\\, steel\\))",
            )
        ],
    ),
    (
        [name_check("Account_Name", "(Old)  O'Brien, Ltd")],
        [],
        [("Account_Name", "(Account_Name:equals:\\(old\\) o'brien\\, ltd)")],
    ),
    (
        # The same key twice is asked once; a spelling of another field is not.
        [name_check("Vendor_Name", "Ink Co"), name_check("Vendor_Name", "INK  co")],
        [("Email", "x@y.io")],
        [("Vendor_Name", "(Vendor_Name:equals:ink co)")],
    ),
    (
        [name_check("Product_Name", "ab\\cd")],
        [],
        [("Product_Name", "(Product_Name:equals:ab\\\\cd)")],
    ),
    (
        # At most 100 values in one `in`.
        [name_check("Product_Name", f"w{n:03}") for n in range(101)],
        [],
        [
            (
                "Product_Name",
                "(Product_Name:in:" + ",".join(f"w{n:03}" for n in range(100)) + ")",
            ),
            ("Product_Name", "(Product_Name:equals:w100)"),
        ],
    ),
]


@pytest.mark.parametrize(("checks", "spellings", "searches"), ZOHO)
def test_zoho_recheck_searches(
    checks: list[KeyCheck],
    spellings: list[Spelling],
    searches: list[tuple[str, str]],
) -> None:
    assert key_criteria(checks, spellings) == searches


QBO: list[tuple[str, KeyCheck, str]] = [
    (
        "customer",
        KeyCheck("PrimaryEmailAddr", "email", "o'neil@x.io"),
        "PrimaryEmailAddr = 'o\\'neil@x.io' AND Active IN (true, false)",
    ),
    (
        "item",
        name_check("Name", "  Rock   Fountain "),
        "Name LIKE 'rock%fountain' AND Active IN (true, false)",
    ),
    (
        "vendor",
        name_check("DisplayName", "O'Brien's  (UK), Ltd"),
        "DisplayName LIKE 'o\\'brien\\'s%(uk),%ltd' AND Active IN (true, false)",
    ),
    (
        "vendor",
        name_check("DisplayName", "Ink"),
        "DisplayName = 'ink' AND Active IN (true, false)",
    ),
    ("invoice", KeyCheck("DocNumber", "number", "INV-1"), "DocNumber = 'INV-1'"),
]


@pytest.mark.parametrize(("entity", "check", "where"), QBO)
def test_qbo_recheck_queries(entity: str, check: KeyCheck, where: str) -> None:
    api = ENTITIES[entity].api
    assert match_query(ENTITIES[entity], check) == (
        f"SELECT * FROM {api} WHERE {where} MAXRESULTS 1000"
    )


def test_qbo_rows_are_confirmed_by_the_rule() -> None:
    email = KeyCheck("PrimaryEmailAddr", "email", "ann@x.io")
    assert holds_key({"PrimaryEmailAddr": {"Address": " Ann@X.io"}}, email)
    assert not holds_key({"DisplayName": "ann@x.io"}, email)
    name = name_check("DisplayName", "Rock Fountain")
    assert holds_key({"DisplayName": "Rock  FOUNTAIN"}, name)
    assert not holds_key({"DisplayName": "Rock Garden Fountain"}, name)


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("Jane Smith (2)", 2),
        ("jane smith (17)", 17),  # QBO compares names case-insensitively
        (" Jane Smith (3) ", 3),
        ("Jane Smith", None),
        ("Jane Smith (x)", None),
        ("Jane Smithson (2)", None),
        ("Jane Smith (2) (3)", None),  # "Jane Smith (2)" numbered, not ours
    ],
)
def test_the_number_a_taken_name_holds(name: str, number: int | None) -> None:
    assert number_of({"DisplayName": name}, "Jane Smith") == number
