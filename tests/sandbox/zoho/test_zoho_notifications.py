"""The watch API and the callbacks it sends."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sandbox


async def watch(zoho, receiver, events, **extra):
    body = {
        "watch": [
            {
                "channel_id": "1000000068001",
                "events": events,
                "token": "TOKEN_FOR_VERIFICATION_OF_1000000068001",
                "notify_url": receiver.url + "?org=acme",
                **extra,
            }
        ]
    }
    return await zoho.call("POST", "/crm/v8/actions/watch", json=body)


async def test_enable_answers_in_the_documented_shape(zoho, receiver, zoho_fixture):
    await zoho.reset()
    reply = await watch(zoho, receiver, ["Contacts.all", "Invoices.create"])
    assert reply.status == 200
    doc = zoho_fixture("notification.enable.response.json")["watch"][0]
    item = reply.body["watch"][0]
    assert (item["code"], item["message"]) == (doc["code"], doc["message"])
    events = item["details"]["events"]
    assert set(events[0]) == set(doc["details"]["events"][0])
    assert [e["resource_name"] for e in events] == ["Contacts", "Invoices"]
    listed = await zoho.call("GET", "/crm/v8/actions/watch")
    assert {w["resource_name"] for w in listed.body["watch"]} == {
        "Contacts",
        "Invoices",
    }


async def test_fixture_request_is_accepted(zoho, receiver, zoho_fixture):
    await zoho.reset()
    body = zoho_fixture("notification.enable.request.json")
    entry = body["watch"][0]
    entry["events"] = ["Contacts.all"]
    entry["notify_url"] = receiver.url
    entry.pop("channel_expiry")
    reply = await zoho.call("POST", "/crm/v8/actions/watch", json=body)
    assert reply.status == 200, reply.body


async def test_insert_callback_echoes_token(zoho, receiver, wait, zoho_fixture):
    await zoho.reset()
    await watch(zoho, receiver, ["Contacts.create"])
    created = await zoho.insert("Contacts", {"Last_Name": "A"}, {"Last_Name": "B"})
    ids = [item["details"]["id"] for item in created.body["data"]]
    await wait(lambda: receiver.calls)
    body = receiver.calls[0]["body"]
    doc = zoho_fixture("notification.callback.insert.json")
    assert set(body) == set(doc)
    assert body["ids"] == ids  # both writes in one batched callback
    assert body["operation"] == "insert"
    assert body["token"] == "TOKEN_FOR_VERIFICATION_OF_1000000068001"
    assert body["channel_id"] == "1000000068001"
    assert body["query_params"] == {"org": "acme"}
    assert body["resource_uri"].endswith("/crm/v2/Contacts")


async def test_update_callback_has_affected_fields_and_values(
    zoho, receiver, wait, zoho_fixture
):
    await zoho.reset()
    created = await zoho.insert("Contacts", {"Last_Name": "A"})
    record_id = created.body["data"][0]["details"]["id"]
    await watch(zoho, receiver, ["Contacts.edit"], return_affected_field_values=True)
    await zoho.call(
        "PUT",
        "/crm/v8/Contacts",
        json={"data": [{"id": record_id, "Mobile": "123456789", "Last_Name": "A"}]},
    )
    await wait(lambda: receiver.calls)
    body = receiver.calls[0]["body"]
    assert set(body) == set(zoho_fixture("notification.callback.update.json"))
    assert body["affected_fields"] == [{record_id: ["Mobile"]}]
    assert body["affected_values"] == [
        {"record_id": record_id, "values": {"Mobile": "123456789"}}
    ]


async def test_delete_event_and_unsubscribed_operations(zoho, receiver, wait):
    await zoho.reset()
    await watch(zoho, receiver, ["Contacts.delete"])
    created = await zoho.insert("Contacts", {"Last_Name": "A"})
    record_id = created.body["data"][0]["details"]["id"]
    await zoho.call("DELETE", f"/crm/v8/Contacts/{record_id}")
    await wait(lambda: receiver.calls)
    assert [c["body"]["operation"] for c in receiver.calls] == ["delete"]


async def test_callbacks_are_retried_while_the_receiver_fails(zoho, receiver, wait):
    await zoho.reset()
    receiver.statuses.extend([500, 500])
    await watch(zoho, receiver, ["Contacts.all"])
    await zoho.insert("Contacts", {"Last_Name": "A"})
    await wait(lambda: len(receiver.calls) == 3)
    assert receiver.calls[0]["body"] == receiver.calls[2]["body"]
    log = await zoho.call("GET", "/_sandbox/notifications/deliveries", auth=False)
    attempts = [(d["attempt"], d["status"]) for d in log.body["deliveries"]]
    assert attempts == [(1, 500), (2, 500), (3, 200)]


async def test_token_over_50_chars_is_refused(zoho, receiver):
    await zoho.reset()
    reply = await watch(zoho, receiver, ["Contacts.all"], token="x" * 51)
    assert reply.status == 400
    assert reply.body["watch"][0]["details"]["api_name"] == "token"


async def test_expiry_over_a_week_is_refused(zoho, receiver):
    await zoho.reset()
    reply = await watch(
        zoho, receiver, ["Contacts.all"], channel_expiry="2999-01-01T00:00:00+00:00"
    )
    assert reply.status == 400
    assert reply.body["watch"][0]["details"]["api_name"] == "channel_expiry"


async def test_expired_channel_stops_silently(zoho, receiver, wait):
    await zoho.reset()
    await watch(zoho, receiver, ["Contacts.all"])  # default expiry: one hour
    await zoho.insert("Contacts", {"Last_Name": "Before"})
    await wait(lambda: len(receiver.calls) == 1)
    await zoho.call(
        "POST", "/_sandbox/clock", json={"advance_seconds": 3601}, auth=False
    )
    await zoho.call("POST", "/_sandbox/tokens/expire", json={}, auth=False)
    tokens = await zoho.call(
        "POST",
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": zoho.creds["client_id"],
            "client_secret": zoho.creds["client_secret"],
            "refresh_token": zoho.creds["refresh_token"],
        },
        auth=False,
    )
    zoho.creds["access_token"] = tokens.body["access_token"]
    await zoho.insert("Contacts", {"Last_Name": "After"})
    assert (await zoho.call("GET", "/crm/v8/actions/watch")).status == 204
    log = await zoho.call("GET", "/_sandbox/notifications/deliveries", auth=False)
    assert log.body["pending"] == 0
    assert len(receiver.calls) == 1


async def test_patch_adds_and_removes_events_and_delete_unsubscribes(zoho, receiver):
    await zoho.reset()
    await watch(zoho, receiver, ["Contacts.create"])
    patched = await zoho.call(
        "PATCH",
        "/crm/v8/actions/watch",
        json={"watch": [{"channel_id": "1000000068001", "events": ["Products.edit"]}]},
    )
    assert patched.status == 200
    listed = await zoho.call("GET", "/crm/v8/actions/watch")
    assert {w["resource_name"] for w in listed.body["watch"]} == {
        "Contacts",
        "Products",
    }
    removed = await zoho.call(
        "PATCH",
        "/crm/v8/actions/watch",
        json={
            "watch": [
                {
                    "channel_id": "1000000068001",
                    "events": ["Products.edit"],
                    "_delete_events": True,
                }
            ]
        },
    )
    assert (
        removed.body["watch"][0]["message"]
        == "Successfully un-subscribed from actions-watch"
    )
    replaced = await zoho.call(
        "PUT",
        "/crm/v8/actions/watch",
        json={
            "watch": [
                {
                    "channel_id": "1000000068001",
                    "events": ["Quotes.all"],
                    "notify_url": receiver.url,
                }
            ]
        },
    )
    assert replaced.status == 200
    listed = await zoho.call("GET", "/crm/v8/actions/watch")
    assert [w["resource_name"] for w in listed.body["watch"]] == ["Quotes"]
    gone = await zoho.call("DELETE", "/crm/v8/actions/watch?channel_ids=1000000068001")
    assert gone.body["watch"][0]["code"] == "SUCCESS"
    assert (await zoho.call("GET", "/crm/v8/actions/watch")).status == 204
