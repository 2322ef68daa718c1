"""A contact's account (its company), found by name or created, for many
contacts at once.

A contact write that names a company needs the Account's id. Asked one
contact at a time, that was a search and often an insert per contact: at
10,000 QBO customers into Zoho those calls filled the per-minute budget
while the contacts themselves went 100 a call. The contacts that ask at
about the same time (a backfill's lingering batch; a person's burst) now
share one search (every name in one ``in`` criteria) and one insert of the
companies not found. Each name is answered once per batch however many
contacts ask for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from common.gateway.batcher import Batcher
from common.lanes import CURRENT_LANE, linger_for
from common.matchkeys import KeyCheck, key_field
from common.messages import Lane
from common.records import Address, Organization
from services.crm_gateway.client import MAX_WRITE, ZohoClient
from services.crm_gateway.errors import record_verdict
from services.crm_gateway.modules import MODULES
from services.crm_gateway.translation import account_from_zoho, account_to_zoho
from services.crm_gateway.translation.common import address_keys

log = structlog.get_logger(__name__)

# A person's contact waits for no one: its look-up goes at the next turn of
# the loop, with whatever asked meanwhile. Bulk work lingers (lanes.py).
LIVE_LINGER_SECONDS = 0.0

RowsHolding = Callable[
    [str, str, Sequence[KeyCheck], Sequence[tuple[str, str]], Sequence[str]],
    Awaitable[list[dict[str, Any]]],
]
# Read with each account found, so a contact joining it knows whether it
# has an address to fill in without reading the account again.
ADDRESS_FIELDS = address_keys("Billing_", "Code")


@dataclass(frozen=True)
class AccountAsk:
    company: str  # as the contact spells it
    company_key: str  # as names compare
    address: Address | None  # for an account created now


# (account id or None, created with this ask's address, has an address:
# None when not known)
Found = tuple[str | None, bool, bool | None]


class Accounts:
    def __init__(self, client: ZohoClient, rows_holding: RowsHolding) -> None:
        self.client = client
        self.rows_holding = rows_holding
        self.batcher: Batcher[tuple[str, Lane], AccountAsk, Found] = Batcher(
            self._flush, max_size=MAX_WRITE, linger=LIVE_LINGER_SECONDS
        )

    async def find_or_create(self, tenant: str, ask: AccountAsk) -> Found:
        """(account id, created with this ask's address, whether it has an
        address); (None, False, None) when the name is ambiguous or Zoho
        refused the account."""
        lane = CURRENT_LANE.get()
        linger = linger_for(lane, LIVE_LINGER_SECONDS)
        return await self.batcher.submit((tenant, lane), ask, linger)

    async def _flush(
        self, key: tuple[str, Lane], asks: Sequence[AccountAsk]
    ) -> list[Found | BaseException]:
        tenant, lane = key
        CURRENT_LANE.set(lane)  # this batch's calls queue in its lane
        spec = MODULES["account"]
        field = key_field(spec.match_fields, "name")
        assert field is not None  # accounts are matched by name
        first: dict[str, AccountAsk] = {}
        for ask in asks:
            first.setdefault(ask.company_key, ask)
        checks = {k: KeyCheck(field, "name", k) for k in first}
        rows = await self.rows_holding(
            tenant,
            spec.module,
            list(checks.values()),
            [(field, ask.company) for ask in first.values()],
            ADDRESS_FIELDS,
        )
        answers: dict[str, str | None] = {}
        addressed: dict[str, bool | None] = {}
        creating: list[str] = []
        for company_key, check in checks.items():
            hits = [r for r in rows if check.held_by(r.get(field))]
            if len(hits) == 1:
                answers[company_key] = str(hits[0]["id"])
                addressed[company_key] = _has_address(hits[0])
            elif hits:
                log.warning("account_ambiguous", tenant=tenant, count=len(hits))
                answers[company_key] = None
            else:
                creating.append(company_key)
        created: set[str] = set()
        if creating:
            bodies = [
                account_to_zoho(
                    Organization(
                        name=first[k].company, billing_address=first[k].address
                    )
                )
                for k in creating
            ]
            items = await self.client.insert(tenant, spec.module, bodies)
            for company_key, item in zip(creating, items, strict=True):
                if record_verdict(item).kind != "ok":
                    log.warning("account_not_created", tenant=tenant, item=item)
                    answers[company_key] = None
                    continue
                answers[company_key] = str((item.get("details") or {}).get("id"))
                addressed[company_key] = first[company_key].address is not None
                created.add(company_key)
        # "Created" only for the ask whose address the new account got; the
        # others fill in an address it lacks, as a contact joining any
        # existing account does.
        return [
            (
                answers[ask.company_key],
                ask.company_key in created and first[ask.company_key] is ask,
                addressed.get(ask.company_key),
            )
            for ask in asks
        ]


def _has_address(row: dict[str, Any]) -> bool | None:
    try:
        organization, _version = account_from_zoho(row)
    except ValueError:
        return None  # unreadable: the caller reads the account
    return organization.billing_address is not None
