"""A force sync's outcome names the values sent and which of them changed."""

from __future__ import annotations

import pytest

from services.admin.records.outcome import from_audit, message

pytestmark = pytest.mark.unit


def test_written_names_the_values_sent_and_the_changed_ones() -> None:
    decided = {
        "action": "force_sync",
        "direction": "crm→qbo",
        "fields": ["first_name", "phone", "company_name"],
        # company_name is not carried by the contact: never sent, not listed
        "before": {"first_name": "Nina", "phone": "1", "company_name": "Acme"},
        "after": {"first_name": "Nina", "phone": "2", "company_name": None},
    }
    outcome = from_audit([decided, {"action": "written"}])
    assert outcome is not None
    assert outcome.outcome == "written"
    assert outcome.fields == ["first_name", "phone"]
    assert outcome.changed == ["phone"]
    assert message(outcome, "synced").startswith(
        "written crm→qbo: first_name, phone; changed: phone;"
    )


def test_the_same_values_again_say_nothing_changed() -> None:
    decided = {
        "action": "force_sync",
        "direction": "qbo→crm",
        "fields": ["email"],
        "before": {"email": "a@example.com"},
        "after": {"email": "a@example.com"},
    }
    outcome = from_audit([decided])
    assert outcome is not None
    assert outcome.outcome == "still running"
    assert "changed: none" in message(outcome, "waiting")
