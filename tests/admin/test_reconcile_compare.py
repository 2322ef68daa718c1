"""The reconcile's comparison rules, as fast tests of its pure functions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.connection_settings import FieldMapping, FieldPair
from common.store.times import to_stored
from services.admin.reconcile import ops
from services.admin.reconcile.compare import (
    CSV_COLUMNS,
    Item,
    LinkView,
    References,
    differences,
    normalise,
    pair_of,
    reconcile,
)

pytestmark = pytest.mark.unit

NO_MAPPING = FieldMapping()
PERSON_KEYS = ("email", "first_name", "last_name", "phone", "company_name")


def person(**values: Any) -> dict[str, Any]:
    return {"first_name": "Ann", "last_name": "Lee", "email": "ann@x.example", **values}


def link(
    crm: str | None, qbo: str | None, *keys: str, state: str = "linked"
) -> LinkView:
    return LinkView(crm, qbo, state, tuple(sorted(keys or PERSON_KEYS)))


def test_either_sides_name_names_the_pair() -> None:
    assert pair_of("contact") == pair_of("customer")
    assert (pair_of("estimate").kind, pair_of("estimate").crm) == ("quote", "quote")
    assert pair_of("item").entity("qbo") == "item"
    with pytest.raises(ValueError, match="entity must be one of: contact"):
        pair_of("account")  # no QBO twin of its own


@pytest.mark.parametrize(
    ("name", "one", "other"),
    [
        ("email", "Ann@X.example ", "ann@x.example"),
        ("last_name", "  Lee  Smith ", "Lee Smith"),
        ("phone", "", None),
        ("unit_price", "10", "10.00"),
        ("unit_price", 10, "1E+1"),
        ("total", "0.50", "0.5"),
        ("billing_address", {"city": "Oslo ", "line1": ""}, {"city": "Oslo"}),
        ("billing_address", {"city": None, "line1": " "}, None),
        ("custom.title", " Dr ", "Dr"),
    ],
)
def test_values_a_person_calls_equal_are_equal(name: str, one: Any, other: Any) -> None:
    assert normalise(name, one) == normalise(name, other)


@pytest.mark.parametrize(
    ("name", "one", "other"),
    [
        ("last_name", "Lee", "Lea"),
        ("unit_price", "10", "10.01"),
        ("phone", "555 1234", None),
        ("first_name", "ann", "Ann"),  # only emails ignore case
    ],
)
def test_real_differences_stay_different(name: str, one: Any, other: Any) -> None:
    assert normalise(name, one) != normalise(name, other)


def test_only_the_links_base_keys_that_both_sides_carry_are_compared() -> None:
    crm = person(phone="1", company_name=None, not_carried=["company_name"])
    qbo = person(phone="2", company_name="Lee Ltd", mobile="9")
    found = differences(crm, qbo, ["phone", "company_name"], NO_MAPPING)
    # company_name: a CRM contact's lives on its account; mobile: not a base key
    assert found == [("phone", "1", "2")]


def test_an_extra_pair_reads_its_qbo_path() -> None:
    mapping = FieldMapping(extra=(FieldPair(crm="custom.title", qbo="custom.job"),))
    crm = person(custom={"title": "Dr"})
    qbo = person(custom={"job": "Prof", "title": "ignored"})
    found = differences(crm, qbo, ["custom.title"], mapping)
    assert found == [("custom.title", "Dr", "Prof")]
    assert (
        differences(crm, person(custom={"job": " Dr"}), ["custom.title"], mapping) == []
    )


def test_missing_records_are_found_both_ways() -> None:
    crm = [
        Item("c1", person(), "Ann Lee <ann@x.example>"),
        Item("c2", person(email="bo@x.example"), "Bo"),  # no link
        Item("c3", person(email="cy@x.example"), "Cy"),  # its QBO twin is gone
        Item("c4", person(email="di@x.example"), "Di"),  # retired: left out
        Item("c5", person(email="ed@x.example"), "Ed"),  # its create is in flight
    ]
    qbo = [
        Item("q1", person(), "Ann Lee <ann@x.example>"),
        Item("q6", person(email="fay@x.example"), "Fay"),  # no link
        Item("q7", person(email="gus@x.example"), "Gus"),  # its CRM twin is gone
    ]
    links = [
        link("c1", "q1"),
        link("c3", "q3"),
        link("c4", "q4", state="deleted"),
        link("c5", None, state="creating"),
        link("c7", "q7"),
    ]
    found = reconcile(pair_of("contact"), crm, qbo, links, NO_MAPPING)
    assert [(f.finding, f.crm_id, f.qbo_id, f.label) for f in found] == [
        ("missing_in_qbo", "c2", None, "Bo"),
        ("missing_in_qbo", "c3", "q3", "Cy"),
        ("missing_in_qbo", "c5", None, "Ed"),
        ("missing_in_crm", None, "q6", "Fay"),
        ("missing_in_crm", "c7", "q7", "Gus"),
    ]


def test_a_linked_pair_reports_each_differing_field() -> None:
    crm = [Item("c1", person(phone="555-1", last_name="Lee"), "Ann Lee")]
    qbo = [Item("q1", person(phone="555-2", last_name="Lea", email="ANN@x.example"))]
    found = reconcile(pair_of("customer"), crm, qbo, [link("c1", "q1")], NO_MAPPING)
    assert [(f.finding, f.field, f.crm_value, f.qbo_value) for f in found] == [
        ("differs", "last_name", "Lee", "Lea"),
        ("differs", "phone", "555-1", "555-2"),
    ]
    assert {(f.crm_id, f.qbo_id, f.label) for f in found} == {("c1", "q1", "Ann Lee")}


def test_an_unreadable_record_is_a_finding_of_its_own() -> None:
    crm = [Item("c1", None, "Ann", "no Last_Name")]
    qbo = [Item("q1", None, "Ann Q", "bad Id")]
    found = reconcile(pair_of("contact"), crm, qbo, [link("c1", "q1")], NO_MAPPING)
    assert [
        (f.finding, f.crm_id, f.qbo_id, f.crm_value, f.qbo_value) for f in found
    ] == [
        ("unreadable", "c1", "q1", "no Last_Name", None),
        ("unreadable", "c1", "q1", None, "bad Id"),
    ]


def document(party: str, product: str, price: str, **values: Any) -> dict[str, Any]:
    return {
        "kind": "invoice",
        "party_id": party,
        "issue_date": "2026-01-05",
        "lines": [{"product_id": product, "quantity": "1", "unit_price": price}],
        **values,
    }


def test_documents_compare_their_references_in_crm_ids() -> None:
    references = References(contacts={"q-ann": "c-ann"}, products={"q-pen": "c-pen"})
    keys = ("party_id", "issue_date", "lines")
    crm = [Item("c1", document("c-ann", "c-pen", "2.50"), "INV-1")]
    same = [Item("q1", document("q-ann", "q-pen", "2.5"), "1001")]
    pair = pair_of("invoice")
    links = [link("c1", "q1", *keys)]
    assert reconcile(pair, crm, same, links, NO_MAPPING, references) == []

    other = [Item("q1", document("q-bob", "q-pen", "3"), "1001")]
    found = reconcile(pair, crm, other, links, NO_MAPPING, references)
    assert [(f.field, f.crm_value, f.qbo_value) for f in found] == [
        (
            "lines",
            '[{"description": null, "discount": null, "product_id": "c-pen", '
            '"quantity": "1", "unit_price": "2.5"}]',
            '[{"description": null, "discount": null, "product_id": "c-pen", '
            '"quantity": "1", "unit_price": "3"}]',
        ),
        ("party_id", "c-ann", "qbo:q-bob"),  # a customer with no link
    ]


def test_the_csv_has_the_columns_and_never_a_formula() -> None:
    run = {
        "findings": [
            {
                "finding": "differs",
                "crm_id": "c1",
                "qbo_id": "q1",
                "label": "=HYPERLINK(1)",
                "field": "unit_price",
                "crm_value": "-5",
                "qbo_value": "-x",
            },
            {
                "finding": "missing_in_crm",
                "crm_id": None,
                "qbo_id": "q2",
                "label": 'Bo, "the" one',
                "field": None,
                "crm_value": None,
                "qbo_value": None,
            },
        ]
    }
    rows = list(csv.reader(io.StringIO(ops.findings_csv(run))))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1] == [
        "differs",
        "c1",
        "q1",
        "'=HYPERLINK(1)",
        "unit_price",
        "-5",
        "'-x",
    ]
    assert rows[2] == ["missing_in_crm", "", "q2", 'Bo, "the" one', "", "", ""]


def test_a_run_whose_process_stopped_shows_as_failed() -> None:
    now = datetime.now(UTC)
    doc = {
        "_id": "r1",
        "tenant": "demo",
        "entity": "customer",
        "kind": "contact",
        "crm_entity": "contact",
        "qbo_entity": "customer",
        "status": "running",
        "started_at": to_stored(now - timedelta(hours=1)),
        "updated_at": to_stored(now - timedelta(minutes=11)),
        "sides": {s: {"pages": 1, "records": 5, "done": False} for s in ("crm", "qbo")},
    }
    shown = ops.view(doc, now)
    assert shown["status"] == "failed"
    assert "abandoned" in shown["reason"]
    fresh = ops.view({**doc, "updated_at": to_stored(now)}, now)
    assert fresh["status"] == "running"
    assert fresh["reason"] is None
    line = ops.progress_line(fresh)
    assert line == (
        "Zoho CRM contact: 1 page, 5 records; QuickBooks customer: 1 page, 5 records"
    )
