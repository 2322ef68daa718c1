"""Zoho's official Python SDK (zohocrmsdk8-0), unmodified, against the Zoho
sandbox.

Only URLs change: the SDK is initialised with a custom
`DataCenter.Environment` whose API URL, accounts (token) URL and file-upload
URL are the sandbox's. Credentials come from `/_sandbox/reset`; tokens go to
the SDK's own `FileStore` and its field-metadata cache to `resource_path`,
both under `tmp_path`. The SDK is synchronous, so the sandbox runs on an
event loop in a background thread (see conftest.py).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    DeleteRecordsParam,
    Field,
    GetRecordsParam,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

from services.zoho_sandbox import SandboxConfig, create_app
from tests.sandbox.clients.support import BackgroundLoop

pytestmark = pytest.mark.sandbox


@dataclass
class ZohoWorld:
    base: str
    creds: dict[str, Any]
    token_file: Path
    resources: Path

    def stats(self) -> dict[str, int]:
        body = requests.get(f"{self.base}/_sandbox/stats").json()
        counts: dict[str, int] = {}
        for row in body["requests"]:
            key = f"{row['method']} {row['path']} {row['status']}"
            counts[key] = counts.get(key, 0) + row["count"]
        return counts


@pytest.fixture
def zoho(background: BackgroundLoop, tmp_path: Path) -> ZohoWorld:
    base = background.serve(create_app(SandboxConfig(port=0)), None)
    reply = requests.post(f"{base}/_sandbox/reset", json={"seed": 1, "contacts": 5})
    assert reply.status_code == 200, reply.text
    creds = reply.json()
    resources = tmp_path / "sdk-resources"
    resources.mkdir()
    world = ZohoWorld(base, creds, tmp_path / "sdk_tokens.csv", resources)

    environment = DataCenter.Environment(
        base,  # the CRM API URL (https://www.zohoapis.com for US)
        f"{base}/oauth/v2/token",  # accounts URL (https://accounts.zoho.com/...)
        base,  # file-upload URL (https://content.zohoapis.com), unused here
    )
    token = OAuthToken(
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        refresh_token=creds["refresh_token"],
    )
    Initializer.initialize(
        environment=environment,
        token=token,
        store=FileStore(str(world.token_file)),
        sdk_config=SDKConfig(auto_refresh_fields=True, pick_list_validation=False),
        resource_path=str(resources),
    )
    return world


def only_action(response: Any) -> SuccessResponse:
    wrapper = response.get_object()
    assert isinstance(wrapper, ActionWrapper), vars(wrapper)
    [action] = wrapper.get_data()
    assert isinstance(action, SuccessResponse), (
        action.get_code().get_value(),
        action.get_message(),
        action.get_details(),
    )
    assert action.get_status().get_value() == "success"
    return action


def records_of(response: Any) -> list[Record]:
    wrapper = response.get_object()
    assert isinstance(wrapper, ResponseWrapper), vars(wrapper)
    return list(wrapper.get_data())


def test_initialise_refreshes_and_reads_user_and_org(zoho: ZohoWorld) -> None:
    with zoho.token_file.open() as handle:
        [row] = list(csv.DictReader(handle))
    assert row["refresh_token"] == zoho.creds["refresh_token"]
    assert row["access_token"]
    assert row["api_domain"] == zoho.base
    # The SDK labels the token "email:zgid" from /users and /org.
    assert row["user_name"].startswith(zoho.creds["user"]["email"] + ":")
    stats = zoho.stats()
    assert stats["POST /oauth/v2/token 200"] == 1
    assert stats["GET /crm/v8/users 200"] == 1
    assert stats["GET /crm/v8/org 200"] == 1


def test_contact_insert_read_update_search_delete(zoho: ZohoWorld) -> None:
    operations = RecordOperations("Contacts")

    contact = Record()
    contact.add_field_value(Field.Contacts.first_name(), "Ada")
    contact.add_field_value(Field.Contacts.last_name(), "Lovelace")
    contact.add_field_value(Field.Contacts.email(), "ada@example.com")
    contact.add_key_value("QuickBooks_Customer_Id", "58")
    body = BodyWrapper()
    body.set_data([contact])
    created = operations.create_records(body, HeaderMap())
    assert created.get_status_code() == 201
    contact_id = only_action(created).get_details()["id"]

    # The SDK read the field metadata before writing, and caches it.
    stats = zoho.stats()
    assert stats["GET /crm/v8/settings/modules 200"] >= 1
    assert stats["GET /crm/v8/settings/fields 200"] >= 1
    [cache] = list((zoho.resources / "resources").glob("*.json"))
    cached = json.loads(cache.read_text())
    assert "QuickBooks_Customer_Id" in json.dumps(cached["contacts"])

    params = ParameterMap()
    params.add(
        GetRecordsParam.fields, "First_Name,Last_Name,Email,QuickBooks_Customer_Id"
    )
    params.add(GetRecordsParam.per_page, 200)
    listed = records_of(operations.get_records(params, HeaderMap()))
    assert len(listed) == 6
    mine = [r for r in listed if r.get_id() == int(contact_id)]
    assert mine, [r.get_id() for r in listed]
    assert mine[0].get_key_value("Email") == "ada@example.com"
    assert mine[0].get_key_value("QuickBooks_Customer_Id") == "58"

    [one] = records_of(
        operations.get_record(int(contact_id), ParameterMap(), HeaderMap())
    )
    assert one.get_key_value("Last_Name") == "Lovelace"
    assert one.get_key_value("Full_Name") == "Ada Lovelace"

    change = Record()
    change.add_field_value(Field.Contacts.phone(), "+1 555 0100")
    change.add_key_value("QuickBooks_Customer_Id", "59")
    update = BodyWrapper()
    update.set_data([change])
    updated = operations.update_record(int(contact_id), update, HeaderMap())
    assert updated.get_status_code() == 200
    assert only_action(updated).get_details()["id"] == contact_id

    search = ParameterMap()
    search.add(SearchRecordsParam.email, "ada@example.com")
    search.add(SearchRecordsParam.fields, "Last_Name,Phone,QuickBooks_Customer_Id")
    [found] = records_of(operations.search_records(search, HeaderMap()))
    assert found.get_id() == int(contact_id)
    assert found.get_key_value("Phone") == "+1 555 0100"
    assert found.get_key_value("QuickBooks_Customer_Id") == "59"

    delete = ParameterMap()
    delete.add(DeleteRecordsParam.ids, contact_id)
    deleted = operations.delete_records(delete, HeaderMap())
    assert deleted.get_status_code() == 200
    assert only_action(deleted).get_details()["id"] == contact_id

    # Gone: the search now answers 204, which the SDK returns without a body.
    after = operations.search_records(search, HeaderMap())
    assert after.get_status_code() == 204
    assert after.get_object() is None


def test_record_errors_come_back_as_sdk_objects(zoho: ZohoWorld) -> None:
    operations = RecordOperations("Contacts")
    nameless = Record()
    nameless.add_field_value(Field.Contacts.email(), "nobody@example.com")
    body = BodyWrapper()
    body.set_data([nameless])
    response = operations.create_records(body, HeaderMap())
    assert response.get_status_code() == 400
    wrapper = response.get_object()
    assert isinstance(wrapper, ActionWrapper)
    [failure] = wrapper.get_data()
    assert isinstance(failure, APIException)
    assert failure.get_code().get_value() == "MANDATORY_NOT_FOUND"
    assert failure.get_details()["api_name"] == "Last_Name"

    # A list without `fields` is refused by the API itself.
    refused = operations.get_records(ParameterMap(), HeaderMap())
    assert refused.get_status_code() == 400
    error = refused.get_object()
    assert isinstance(error, APIException)
    assert error.get_code().get_value() == "REQUIRED_PARAM_MISSING"
