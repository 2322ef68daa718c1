"""The pure parts of the dead letters' area: what makes two failures one
cause, and what of a message body is never shown."""

from __future__ import annotations

import json

import pytest

from services.admin.dead_letters.causes import cause_of, group_key, key_of
from services.admin.dead_letters.secrets import masked_body, masked_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("reason", "letter", "cause"),
    [
        (
            "QBO customer 63 matches on email ann@x.example but is linked "
            "already to CRM contact 5633041000002000004",
            {},
            "QBO customer # matches on email … but is linked already to CRM contact #",
        ),
        (
            "email accounts@twins.example is shared by QBO customers 12, 13, 14",
            {},
            "email … is shared by QBO customers #",
        ),
        (
            "QBO refused the item write: Invalid Reference Id (QBO 2500)",
            {},
            "QBO refused the item write: Invalid Reference Id (QBO 2500)",
        ),
        (
            "Zoho Products Widget Pro cannot be translated: price 'abc' is no number",
            {"label": "Widget Pro", "external_id": "p1"},
            'Zoho Products … cannot be translated: price "…" is no number',
        ),
        (
            "contact Ann Lee <ann@lee.example> has no last name",
            {"label": "Ann Lee <ann@lee.example>"},
            "contact … has no last name",
        ),
        ("", {}, "(no reason given)"),
    ],
)
def test_a_reason_without_its_record_is_its_cause(
    reason: str, letter: dict[str, str], cause: str
) -> None:
    assert cause_of(reason, letter) == cause


def test_one_cause_one_key_whatever_the_record() -> None:
    first = {
        "error_class": "permanent",
        "queue": "matcher.events",
        "reason": "QBO customer 63 matches on email ann@x.example",
        "label": "Ann",
    }
    second = {**first, "reason": "QBO customer 71 matches on email bo@y.example"}
    elsewhere = {**first, "queue": "qbo_gateway.tasks"}
    assert group_key(*key_of(first)) == group_key(*key_of(second))
    assert group_key(*key_of(first)) != group_key(*key_of(elsewhere))
    assert len(group_key(*key_of(first))) == 16


def test_credentials_in_a_body_are_masked_wherever_they_are() -> None:
    body = {
        "payload": {
            "record": {
                "name": "Widget",
                "api_key": "sk_live_1",
                "notes": "call with Authorization: Bearer abc.def and password=hunter2",
                "SyncToken": "3",
            },
            "refresh_token": "1000.xyz",
        },
        "event_id": "e1",
    }
    shown = masked_body(json.dumps(body))
    assert "sk_live_1" not in str(shown)
    assert "abc.def" not in str(shown)
    assert "hunter2" not in str(shown)
    assert "1000.xyz" not in str(shown)
    assert shown["payload"]["record"]["name"] == "Widget"
    assert shown["payload"]["record"]["SyncToken"] == "3"  # a version, not a secret
    assert shown["payload"]["record"]["api_key"] == "***"
    assert masked_body('not json, access_token="t0k"') == 'not json, access_token="***"'
    assert masked_text("Missing email") == "Missing email"
