"""A QBO customer known only by its DisplayName (no GivenName, no FamilyName)
is a person whose name Zoho must hold as the mandatory Last_Name. Both sides
must read the same name, and nothing may send Zoho an empty Last_Name: found
by hand (a phone edit in Zoho led to "MANDATORY_NOT_FOUND: Last_Name")."""

from __future__ import annotations

import pytest

from common.records import Party
from services.crm_gateway.translation import contact_from_zoho, contact_to_zoho
from services.qbo_gateway.translation import customer_from_qbo

pytestmark = pytest.mark.unit

META = {"SyncToken": "0", "MetaData": {"LastUpdatedTime": "2025-01-01T00:00:00Z"}}


def test_a_customer_known_only_by_display_name_reads_as_that_last_name() -> None:
    customer, _ = customer_from_qbo({"Id": "61", "DisplayName": "Addr Only", **META})

    body = contact_to_zoho(customer)
    stamp = {"id": "9", "Modified_Time": "2025-01-01T00:00:00Z"}
    contact, _ = contact_from_zoho({**stamp, **body})

    assert customer.last_name == "Addr Only"
    assert body["Last_Name"] == "Addr Only"
    assert contact.last_name == customer.last_name
    assert contact.first_name == customer.first_name


def test_given_or_family_names_are_read_as_they_are() -> None:
    customer, _ = customer_from_qbo(
        {"Id": "62", "DisplayName": "Ada L.", "GivenName": "Ada", **META}
    )

    assert (customer.first_name, customer.last_name) == ("Ada", None)


def test_an_update_clearing_the_last_name_sends_zoho_a_name_not_a_clear() -> None:
    party = Party(last_name=None, display_name="Addr Only", email="a@example.com")

    cleared = contact_to_zoho(party, fields=("last_name",), existing_id="9")
    other = contact_to_zoho(party, fields=("email",), existing_id="9")

    assert cleared == {"id": "9", "Last_Name": "Addr Only"}
    assert "Last_Name" not in other  # an update that does not touch the name
