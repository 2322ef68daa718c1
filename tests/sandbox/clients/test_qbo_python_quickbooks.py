"""python-quickbooks and intuit-oauth, unmodified, against the QBO sandbox.

Only URLs change: intuit-oauth's `AuthClient` takes the sandbox's OpenID
discovery document URL where it would take an environment name (its
constructor reads the authorize, token and revoke endpoints from that
document), and the `QuickBooks` client gets the sandbox's API base in the
attributes that hold it (`api_url_v3` / `sandbox_api_url_v3`). The sandbox is
served over HTTPS (see conftest.py) because requests-oauthlib refuses to send
a bearer token over plain HTTP.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import requests
from aiohttp import web
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.base import Address, EmailAddress, PhoneNumber, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    DiscountLine,
    DiscountLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.vendor import Vendor

from services.qbo_sandbox import SandboxConfig, create_app
from services.qbo_sandbox.config import WebhookTiming
from tests.sandbox.clients.support import BackgroundLoop, Tls

pytestmark = pytest.mark.sandbox

VERIFIER_TOKEN = "client-library-verifier"
REDIRECT_URI = "https://example.com/callback"


@dataclass
class Hooks:
    """What the webhook receiver got: raw bodies and their headers."""

    url: str = ""
    bodies: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@dataclass
class QboWorld:
    base: str
    creds: dict[str, Any]
    hooks: Hooks

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.post(f"{self.base}/_sandbox/{path}", json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def admin_get(self, path: str) -> Any:
        response = requests.get(f"{self.base}/_sandbox/{path}")
        assert response.status_code == 200, response.text
        return response.json()


def receiver_app(hooks: Hooks) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        hooks.bodies.append((await request.read()).decode())
        hooks.headers.append(dict(request.headers))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", handle)
    return app


@pytest.fixture
def world(background: BackgroundLoop, tls: Tls) -> QboWorld:
    config = SandboxConfig(
        webhooks=WebhookTiming(
            batch_window_seconds=0.05,
            retry_schedule_seconds=(0.05, 0.1, 0.2),
            max_attempts=6,
            request_timeout_seconds=1.0,
        )
    )
    base = background.serve(create_app(config), tls.server_context)
    hooks = Hooks()
    hooks.url = background.serve(receiver_app(hooks), None) + "/hook"
    qbo = QboWorld(base, {}, hooks)
    qbo.creds = qbo.admin("reset", {"seed": 1, "customers": 5, "items": 3})
    return qbo


@pytest.fixture
def auth_client(world: QboWorld) -> Iterator[AuthClient]:
    # The constructor GETs the discovery document; a URL in place of the
    # environment name is intuit-oauth's own way to name another one.
    client = AuthClient(
        client_id=world.creds["client_id"],
        client_secret=world.creds["client_secret"],
        redirect_uri=REDIRECT_URI,
        environment=f"{world.base}/.well-known/openid_sandbox_configuration/",
        refresh_token=world.creds["refresh_token"],
        realm_id=world.creds["realm_id"],
    )
    assert client.token_endpoint == f"{world.base}/oauth2/v1/tokens/bearer"
    assert client.auth_endpoint == f"{world.base}/connect/oauth2"
    yield client
    client.close()  # AuthClient is a requests.Session


@pytest.fixture
def qb(world: QboWorld, auth_client: AuthClient) -> Iterator[QuickBooks]:
    client = QuickBooks(
        auth_client=auth_client,
        refresh_token=world.creds["refresh_token"],
        company_id=world.creds["realm_id"],
        minorversion=75,
        verifier_token=VERIFIER_TOKEN,
    )
    # The attributes that hold the API base (which one `api_url` reads
    # depends on the auth client's environment).
    client.api_url_v3 = f"{world.base}/v3"
    client.sandbox_api_url_v3 = f"{world.base}/v3"
    yield client
    client.session.close()


def new_customer(name: str, email: str | None = None) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    customer.GivenName, _, customer.FamilyName = name.partition(" ")
    if email:
        customer.PrimaryEmailAddr = Customer.class_dict["PrimaryEmailAddr"]()
        customer.PrimaryEmailAddr.Address = email
    return customer


def test_refresh_rotates_the_token_pair(world: QboWorld) -> None:
    # The production discovery path works too; the token endpoint is the same.
    with AuthClient(
        world.creds["client_id"],
        world.creds["client_secret"],
        REDIRECT_URI,
        f"{world.base}/.well-known/openid_configuration",
    ) as client:
        client.refresh(refresh_token=world.creds["refresh_token"])
        assert client.access_token
        assert client.refresh_token
        assert client.refresh_token != world.creds["refresh_token"]
        assert int(client.expires_in) == 3600
        assert int(client.x_refresh_token_expires_in) > 0
        # The rotated-out token is spent: intuit-oauth raises its own error.
        with pytest.raises(AuthClientError) as raised:
            client.refresh(refresh_token=world.creds["refresh_token"])
        assert raised.value.status_code == 400
        assert b"invalid_grant" in raised.value.content

        # The new access token works on the API.
        info = requests.get(
            f"{world.base}/v3/company/{world.creds['realm_id']}/companyinfo/"
            f"{world.creds['realm_id']}",
            headers={
                "Authorization": f"Bearer {client.access_token}",
                "Accept": "application/json",
            },
        )
        assert info.status_code == 200, info.text


def test_customer_create_read_sparse_update_and_query(qb: QuickBooks) -> None:
    created = new_customer("Ada Lovelace", "ada@example.com").save(qb=qb)
    assert created.Id
    assert created.SyncToken == "0"

    read = Customer.get(created.Id, qb=qb)
    assert read.DisplayName == "Ada Lovelace"
    assert read.PrimaryEmailAddr.Address == "ada@example.com"

    read.CompanyName = "Analytical Engines"
    read.sparse = True
    updated = read.save(qb=qb)
    assert updated.CompanyName == "Analytical Engines"
    assert updated.DisplayName == "Ada Lovelace"
    assert updated.SyncToken == "1"

    by_filter = Customer.filter(DisplayName="Ada Lovelace", qb=qb)
    assert [c.Id for c in by_filter] == [created.Id]
    by_where = Customer.where(
        "CompanyName = 'Analytical Engines'", order_by="Id", max_results=10, qb=qb
    )
    assert [c.Id for c in by_where] == [created.Id]
    assert Customer.count("DisplayName LIKE 'Ada%'", qb=qb) == 1
    assert Customer.count(qb=qb) == 6  # five seeded and Ada


def test_item_and_invoice_with_a_sales_item_line(qb: QuickBooks) -> None:
    customer = new_customer("Grace Hopper").save(qb=qb)
    income = qb.query("SELECT * FROM Account WHERE Name = 'Sales of Product Income'")[
        "QueryResponse"
    ]["Account"][0]

    item = Item()
    item.Name = "Compiler consulting"
    item.Type = "Service"
    item.UnitPrice = 150
    item.IncomeAccountRef = Ref()
    item.IncomeAccountRef.value = income["Id"]
    item = item.save(qb=qb)
    assert item.Id

    line = SalesItemLine()
    line.Amount = 300
    line.Description = "Two hours"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = 2
    line.SalesItemLineDetail.UnitPrice = 150

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line.append(line)
    invoice = invoice.save(qb=qb)
    assert invoice.Id
    assert Decimal(str(invoice.TotalAmt)) == 300
    sales_lines = [x for x in invoice.Line if x.DetailType == "SalesItemLineDetail"]
    assert sales_lines[0].SalesItemLineDetail.ItemRef.value == item.Id

    again = Invoice.get(invoice.Id, qb=qb)
    assert again.CustomerRef.value == customer.Id
    assert [i.Id for i in Invoice.filter(CustomerRef=customer.Id, qb=qb)] == [
        invoice.Id
    ]


def test_change_data_capture(qb: QuickBooks) -> None:
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    created = new_customer("Alan Turing").save(qb=qb)

    stamp = since.isoformat(timespec="seconds")
    response = change_data_capture([Customer, Invoice], stamp, qb=qb)
    ids = [c.Id for c in response.Customer]
    assert created.Id in ids
    assert all(isinstance(c, Customer) for c in response.Customer)


def test_batch_create_with_mixed_results(qb: QuickBooks) -> None:
    existing = new_customer("Edsger Dijkstra").save(qb=qb)
    fresh = [new_customer(f"Batch Person{n}") for n in range(3)]
    clash = new_customer(existing.DisplayName)

    result = batch_create([*fresh, clash], qb=qb)
    assert sorted(c.DisplayName for c in result.successes) == [
        "Batch Person0",
        "Batch Person1",
        "Batch Person2",
    ]
    assert all(c.Id for c in result.successes)
    assert len(result.faults) == 1
    fault = result.faults[0]
    assert fault.original_object is clash
    assert fault.Error[0].code == "6240"


def test_duplicate_name_is_the_library_exception(qb: QuickBooks) -> None:
    new_customer("Barbara Liskov").save(qb=qb)
    with pytest.raises(QuickbooksException) as raised:
        new_customer("barbara  liskov").save(qb=qb)
    assert raised.value.error_code == 6240
    assert raised.value.message == "Duplicate Name Exists Error"


def test_stale_sync_token_is_the_library_exception(qb: QuickBooks) -> None:
    created = new_customer("Donald Knuth").save(qb=qb)
    first = Customer.get(created.Id, qb=qb)
    second = Customer.get(created.Id, qb=qb)
    first.CompanyName = "TAOCP"
    first.save(qb=qb)

    second.CompanyName = "TeX"
    with pytest.raises(QuickbooksException) as raised:
        second.save(qb=qb)
    assert raised.value.error_code == 5010
    assert raised.value.message == "Stale Object Error"


def test_webhook_signature_validates_with_the_library(
    world: QboWorld, qb: QuickBooks
) -> None:
    world.admin(
        "webhooks",
        {
            "url": world.hooks.url,
            "verifier_token": VERIFIER_TOKEN,
            "batch_window_seconds": 0.05,
        },
    )
    created = new_customer("Frances Allen").save(qb=qb)

    deadline = time.monotonic() + 10
    while not world.hooks.bodies and time.monotonic() < deadline:
        time.sleep(0.02)
    assert world.hooks.bodies, "no webhook arrived"

    body = world.hooks.bodies[0]
    signature = world.hooks.headers[0]["intuit-signature"]
    assert created.Id in body
    assert qb.validate_webhook_signature(body, signature)
    assert qb.validate_webhook_signature(body, signature, VERIFIER_TOKEN)
    assert not qb.validate_webhook_signature(body, signature, "another-token")
    assert not qb.validate_webhook_signature(body + " ", signature)

    # The sandbox's own delivery log holds the same signed bytes.
    logged = world.admin_get("webhooks/deliveries")["deliveries"][0]
    assert logged["delivered"]
    assert logged["body"] == body
    assert qb.validate_webhook_signature(
        logged["body"], logged["headers"]["intuit-signature"]
    )


# The library's default objects, built with only the mandatory fields set.
# python-quickbooks sends every unset attribute with its default: 0 for a
# line's Qty and UnitPrice, "" for strings, a `type` on every Ref.


def sales_line(item: Item, amount: Any = 0) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    return line


def stored(world: QboWorld, entity: str, entity_id: str) -> dict[str, Any]:
    records = world.admin_get(f"records?entity={entity}")["records"]
    return next(r for r in records if r["Id"] == entity_id)


def test_amount_stands_when_qty_and_unit_price_are_zero(qb: QuickBooks) -> None:
    customer = new_customer("Radia Perlman").save(qb=qb)
    item = Item.get(1, qb=qb)

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line.append(sales_line(item, 100))  # Qty 0, UnitPrice 0
    only_qty = sales_line(item, 30)
    only_qty.SalesItemLineDetail.Qty = 3  # UnitPrice stays 0
    invoice.Line.append(only_qty)
    invoice = invoice.save(qb=qb)
    assert Decimal(str(invoice.TotalAmt)) == 130

    estimate = Estimate()
    estimate.CustomerRef = customer.to_ref()
    estimate.Line.append(sales_line(item, 45))
    estimate = estimate.save(qb=qb)
    assert Decimal(str(estimate.TotalAmt)) == 45

    # A real mismatch is still refused.
    wrong = Invoice()
    wrong.CustomerRef = customer.to_ref()
    line = sales_line(item, 10)
    line.SalesItemLineDetail.Qty = 2
    line.SalesItemLineDetail.UnitPrice = 7
    wrong.Line.append(line)
    with pytest.raises(QuickbooksException) as raised:
        wrong.save(qb=qb)
    assert raised.value.error_code == 6070


def test_absent_amount_is_qty_times_unit_price(qb: QuickBooks) -> None:
    customer = new_customer("Whitfield Diffie").save(qb=qb)
    line = sales_line(Item.get(1, qb=qb), None)  # None: the library omits it
    line.SalesItemLineDetail.Qty = 3
    line.SalesItemLineDetail.UnitPrice = 20

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line.append(line)
    invoice = invoice.save(qb=qb)
    assert Decimal(str(invoice.TotalAmt)) == 60
    assert Decimal(str(invoice.Line[0].Amount)) == 60


def test_discount_line_comes_back_without_line_number(
    world: QboWorld, qb: QuickBooks
) -> None:
    customer = new_customer("Shafi Goldwasser").save(qb=qb)
    discount = DiscountLine()  # LineNum 0, as every library line
    discount.DiscountLineDetail = DiscountLineDetail()
    discount.DiscountLineDetail.PercentBased = True
    discount.DiscountLineDetail.DiscountPercent = 10

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line += [sales_line(Item.get(1, qb=qb), 200), discount]
    invoice = invoice.save(qb=qb)
    assert Decimal(str(invoice.TotalAmt)) == 180

    lines = stored(world, "Invoice", invoice.Id)["Line"]
    assert [line["DetailType"] for line in lines] == [
        "SalesItemLineDetail",
        "SubTotalLineDetail",
        "DiscountLineDetail",
    ]
    assert "LineNum" not in lines[2]
    assert "Id" not in lines[2]


def test_references_come_back_as_value_and_name(
    world: QboWorld, qb: QuickBooks
) -> None:
    customer = new_customer("Leslie Lamport").save(qb=qb)
    item = Item()
    item.Name = "Clock sync"
    item.Type = "Service"
    item.IncomeAccountRef = Ref()  # name "" and type "" by default
    item.IncomeAccountRef.value = "1"
    item = item.save(qb=qb)

    line = sales_line(item, 50)
    line.SalesItemLineDetail.TaxCodeRef = Ref()
    line.SalesItemLineDetail.TaxCodeRef.value = "NON"
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()  # type "Customer"
    invoice.Line.append(line)
    invoice = invoice.save(qb=qb)

    saved_item = stored(world, "Item", item.Id)
    assert saved_item["IncomeAccountRef"] == {"value": "1", "name": "Services"}
    saved = stored(world, "Invoice", invoice.Id)
    assert saved["CustomerRef"] == {"value": customer.Id, "name": "Leslie Lamport"}
    detail = saved["Line"][0]["SalesItemLineDetail"]
    assert detail["ItemRef"] == {"value": item.Id, "name": "Clock sync"}
    assert detail["TaxCodeRef"] == {"value": "NON"}


def test_minimal_library_objects_round_trip(qb: QuickBooks) -> None:
    customer = Customer()
    customer.DisplayName = "Barbara Liskov Labs"
    customer.BillAddr = Address()
    customer.BillAddr.Line1 = "545 Technology Sq"
    customer.PrimaryEmailAddr = EmailAddress()
    customer.PrimaryEmailAddr.Address = "labs@example.com"
    customer.PrimaryPhone = PhoneNumber()
    customer.PrimaryPhone.FreeFormNumber = "(617) 555-0100"
    customer = customer.save(qb=qb)
    assert customer.BillAddr.Id

    vendor = Vendor()
    vendor.DisplayName = "Turing Supplies"
    assert vendor.save(qb=qb).Id

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line.append(sales_line(Item.get(1, qb=qb), 75))
    invoice = invoice.save(qb=qb)
    assert invoice.BillAddr.Line1 == "545 Technology Sq"

    # A read invoice saved back whole (its SubTotalLineDetail line included).
    again = Invoice.get(invoice.Id, qb=qb)
    again.PrivateNote = "checked"
    again = again.save(qb=qb)
    assert again.SyncToken == "1"
    assert Decimal(str(again.TotalAmt)) == 75
