"""Pure decisions: merge, identity, projections, match keys, handler table."""

from __future__ import annotations

import pytest

from common.bus.topology import QUEUES, tenant_matcher_bulk
from common.connection_settings import ConflictPolicy, FieldMapping, FieldPair
from common.entities import ENTITIES
from common.matchkeys import match_keys
from services.matcher import identity
from services.matcher.fields import field_specs, project, unproject
from services.matcher.handlers import HANDLERS, inbound_routing_keys
from services.matcher.merge import Side, three_way
from services.matcher.model import Link, MirrorEntry

pytestmark = pytest.mark.unit


def test_every_inbound_routing_key_has_a_handler() -> None:
    keys = inbound_routing_keys()
    inbound = [
        f"{k}.{s}.{e}"
        for k in ("change", "written", "command")
        for s, es in ENTITIES.items()
        for e in es
    ]
    assert sorted(keys) == sorted(inbound)
    assert all(key.split(".")[0] in HANDLERS for key in keys)
    (live,) = QUEUES["matcher"]
    assert set(live.bindings) == {f"{kind}.#" for kind in HANDLERS}
    # The bulk lane carries what a backfill causes: changes and outcomes
    # (operators' commands are always live), in a queue per tenant.
    bulk = tenant_matcher_bulk("acme.eu")
    assert bulk.name == "matcher.bulk.acme.eu"
    assert set(bulk.bindings) == {
        "bulk.change.*.*.acme.eu",
        "bulk.written.*.*.acme.eu",
    }


def test_three_way_merge_takes_each_sides_changes_and_settles_conflicts() -> None:
    base = {"a": 1, "b": 1, "c": 1, "d": 1}
    mine = Side("crm", {"a": 2, "b": 1, "c": 3, "d": 5}, at="2")
    theirs = Side("qbo", {"a": 1, "b": 2, "c": 4, "d": 5}, at="1")
    merged = three_way(list(base), base, mine, theirs, ConflictPolicy())
    assert merged.values == {"a": 2, "b": 2, "c": 3, "d": 5}
    assert [(c.field, c.winner) for c in merged.conflicts] == [("c", "crm")]
    policy = ConflictPolicy(fields={"c": "qbo_wins"})
    assert three_way(list(base), base, mine, theirs, policy).values["c"] == 4


def test_unknown_fields_count_as_unchanged() -> None:
    base = {"company_name": "Acme"}
    mine = Side("crm", {}, at="2")
    theirs = Side("qbo", {"company_name": "Acme"}, at="1")
    assert (
        three_way(["company_name"], base, mine, theirs, ConflictPolicy()).values == base
    )


def entry(external_id: str, **fields: object) -> MirrorEntry:
    return MirrorEntry(
        tenant="t",
        system="qbo",
        entity="customer",
        external_id=external_id,
        record={},
        **fields,
    )


def test_identity_resolution() -> None:
    assert identity.resolve("crm", [], {}) == identity.Create()
    assert identity.resolve("crm", [entry("1")], {}) == identity.LinkTo("1")
    assert identity.resolve("crm", [entry("2"), entry("1")], {}) == identity.Ambiguous(
        ("1", "2")
    )
    assert identity.resolve("crm", [entry("1", deleted=True)], {}) == identity.Create()
    half = Link(id="L", tenant="t", kind="contact", qbo_id="1")
    assert identity.resolve("crm", [entry("1")], {"1": half}) == identity.Adopt(half)
    taken = half.model_copy(update={"crm_id": "c9"})
    assert identity.resolve("crm", [entry("1")], {"1": taken}) == identity.Taken(
        "1", "c9"
    )


def test_match_keys() -> None:
    assert match_keys("contact", {"email": " Ann@X.com "}) == ("ann@x.com", None)
    assert match_keys("contact", {"email": " "}) == (None, None)
    assert match_keys("product", {"name": " Blue   Widget"}) == ("blue widget", None)
    assert match_keys("vendor", {"name": "Ink", "email": None}) == (None, "ink")


def test_projection_normalises_and_maps_custom_fields() -> None:
    mapping = FieldMapping(
        extra=(FieldPair(crm="custom.A", qbo="custom.B"),), exclude=("mobile",)
    )
    specs = field_specs("contact", mapping)
    values = project(
        {"email": "X@Y.z ", "phone": "", "custom": {"B": "v"}}, "qbo", specs
    )
    assert values["email"] == "x@y.z"
    assert values["phone"] is None
    assert values["custom.A"] == "v"
    assert "mobile" not in values
    assert unproject({"custom.A": "w"}, "qbo", specs, {"custom": {"C": "1"}}) == {
        "custom": {"C": "1", "B": "w"}
    }
    line = {"product_id": "p", "quantity": "2.000", "unit_price": "10.50", "amount": 21}
    [projected] = project(
        {"lines": [line]}, "crm", field_specs("invoice", FieldMapping())
    )["lines"]
    assert projected == {
        "product_id": "p",
        "description": None,
        "quantity": "2",
        "unit_price": "10.5",
        "discount": None,
    }
