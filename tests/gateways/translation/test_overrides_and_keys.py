"""Per-connection field maps (the match keys: tests/unit/test_matchkeys.py)."""

from __future__ import annotations

import pytest

from common.hashing import content_hash
from common.records import DocumentLine, Party, SalesDocument
from services.crm_gateway.translation import (
    FieldMap,
    contact_from_zoho,
    contact_to_zoho,
)
from services.qbo_gateway.translation import (
    customer_from_qbo,
    customer_to_qbo,
    document_to_qbo,
    invoice_from_qbo,
)

pytestmark = pytest.mark.unit
ZOHO = {"id": "1", "Last_Name": "L", "Modified_Time": "2024-01-01T00:00:00+00:00"}
QBO = {
    "Id": "1",
    "DisplayName": "D",
    "SyncToken": "0",
    "MetaData": {"LastUpdatedTime": "2024-01-01T00:00:00Z"},
}


def test_zoho_extra_field_travels_in_custom() -> None:
    tiers = FieldMap.of({"Customer_Tier": "tier"})
    party, _ = contact_from_zoho({**ZOHO, "Customer_Tier": "Gold"}, tiers)
    assert party.custom == {"tier": "Gold"}
    assert contact_to_zoho(party, field_map=tiers)["Customer_Tier"] == "Gold"
    body = contact_to_zoho(
        party, fields=["custom.tier"], existing_id="1", field_map=tiers
    )
    assert body == {"id": "1", "Customer_Tier": "Gold"}
    assert "Customer_Tier" not in contact_to_zoho(
        party, fields=["email"], existing_id="1", field_map=tiers
    )


def test_qbo_notes_as_the_same_custom_key_round_trips() -> None:
    tiers = FieldMap.of({"Notes": "tier"})
    party, _ = customer_from_qbo({**QBO, "Notes": "Gold"}, tiers)
    assert party.custom == {"tier": "Gold"}
    body = customer_to_qbo(party, field_map=tiers)
    assert body["Notes"] == "Gold"
    assert customer_from_qbo({**body, **QBO}, tiers)[0] == party


def test_unmapped_extra_fields_do_not_change_the_hash() -> None:
    plain, _ = customer_from_qbo({**QBO, "Notes": "Gold"})
    assert content_hash(plain) == content_hash(customer_from_qbo(QBO)[0])


def test_qbo_transaction_custom_field_by_definition_id() -> None:
    crew = FieldMap.of({"CustomField#1": "crew"})
    data = {
        **QBO,
        "CustomerRef": {"value": "1"},
        "Line": [],
        "CustomField": [{"DefinitionId": "1", "StringValue": "102", "Name": "Crew #"}],
    }
    document, _ = invoice_from_qbo(data, crew)
    assert document.custom == {"crew": "102"}
    document = document.model_copy(update={"lines": (DocumentLine(product_id="1"),)})
    body = document_to_qbo(document, field_map=crew)
    assert body["CustomField"] == [
        {"DefinitionId": "1", "Type": "StringType", "StringValue": "102"}
    ]


def test_field_map_schema_is_strict() -> None:
    with pytest.raises(ValueError, match="extra"):
        FieldMap.model_validate(
            {"links": [{"api_field": "X", "custom_key": "x", "y": 1}]}
        )
    parsed = FieldMap.model_validate(
        {"links": [{"api_field": "Customer_Tier", "custom_key": "tier"}]}
    )
    assert parsed == FieldMap.of({"Customer_Tier": "tier"})


def test_lookup_extra_field_reads_its_name() -> None:
    owner = FieldMap.of({"Owner": "owner"})
    party, _ = contact_from_zoho({**ZOHO, "Owner": {"id": "9", "name": "Pat"}}, owner)
    assert party.custom == {"owner": "Pat"}


def test_document_custom_key_must_be_named_by_selection() -> None:
    document = SalesDocument(kind="invoice", party_id="1", custom={"crew": "1"})
    crew = FieldMap.of({"CustomField#1": "crew"})
    body = document_to_qbo(
        document, fields=["notes"], existing_id="1", sync_token="0", field_map=crew
    )
    assert "CustomField" not in body
    assert Party().custom == {}
