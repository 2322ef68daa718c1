"""``write.crm.<entity>`` → batched Zoho writes → ``written.crm.<entity>``.

Commands are gathered per tenant and entity into calls of up to 100 records
(a short linger). Creates re-check the command's match key (then its
alternative key) against the live API first, a few searches per batch, so a
stale mirror never creates a duplicate; rows compare by ``common.matchkeys``.
Each record gets its own outcome: one bad record in a batch fails alone.

Deactivation: Zoho has an inactive state for Products only
(``Product_Active``). Contacts, Accounts and Vendors have none, and the sync
never deletes CRM records, so their deactivation is acknowledged with a
reason for the audit trail and no API call.

Company fields: Zoho keeps a contact's company name and billing address on
its Account. A contact write that carries them finds the account by name
(live) or creates it with the address, many contacts' companies in one
search and one insert (``accounts``); an update of the address goes onto
the account. An update left with nothing Zoho keeps (say a quote's issue
date, which Quotes do not have) makes no API call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ValidationError

from common.entities import RECORD_TYPE
from common.errors import PermanentError, RetriableError
from common.gateway.batcher import Batcher
from common.lanes import CURRENT_LANE, linger_for
from common.matchkeys import KeyCheck, key_checks, name_key
from common.messages import Envelope, Lane, Version, WriteCommand, WriteOutcome
from common.records import Address, CanonicalRecord, Organization, Party
from services.crm_gateway.accounts import AccountAsk, Accounts
from services.crm_gateway.client import (
    MAX_IN_VALUES,
    MAX_WRITE,
    ZohoClient,
    criteria_in,
    parse_time,
)
from services.crm_gateway.errors import record_verdict
from services.crm_gateway.fieldmaps import FieldMaps
from services.crm_gateway.modules import MODULES, ModuleSpec, spec_of
from services.crm_gateway.translation import (
    FieldMap,
    account_from_zoho,
    account_to_zoho,
    markers_to_zoho,
)

log = structlog.get_logger(__name__)

LINGER_SECONDS = 0.25  # enough for a busy queue to fill a 100-record call
COMPANY = ("company_name", "billing_address")  # a contact's, kept on its Account

Key = tuple[str, str, Lane]  # tenant, entity, lane: a batch is one lane's


@dataclass(frozen=True)
class Job:
    envelope: Envelope
    command: WriteCommand
    body: dict[str, Any]
    record: CanonicalRecord | None  # None: markers only


def key_criteria(
    checks: Sequence[KeyCheck], spellings: Iterable[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """(field, criteria) searches that find every row holding one of the
    keys as written by the rule or as the record spells it (``spellings``:
    field, text); Zoho compares text case-insensitively, and each row found
    is confirmed by the rule after. Exact values, not prefixes: a search
    stops at 2,000 rows, and a common first word would pass that (a row
    past it missed is a duplicate made). A Zoho value spaced otherwise than
    both is missed: search has no whitespace-blind compare."""
    wanted: defaultdict[str, set[str]] = defaultdict(set)
    for check in checks:
        wanted[check.field].add(check.key)
    for field, text in spellings:
        if field in wanted and text.strip():
            wanted[field].add(text.strip())
    searches = []
    for field, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), MAX_IN_VALUES):
            chunk = ordered[start : start + MAX_IN_VALUES]
            searches.append((field, criteria_in(field, chunk)))
    return searches


def marker_values(spec: ModuleSpec, markers: dict[str, str | None]) -> dict[str, Any]:
    """Marker strings as Zoho wants them; None clears (a checkbox → false)."""
    if not markers:
        return {}
    try:
        return markers_to_zoho(spec.module, markers)
    except ValueError as exc:
        raise PermanentError(f"bad markers for {spec.module}: {exc}") from exc


class Writes:
    def __init__(
        self,
        client: ZohoClient,
        *,
        linger: float = LINGER_SECONDS,
        field_maps: FieldMaps | None = None,
    ) -> None:
        self.client = client
        self.field_maps = field_maps or FieldMaps(None)
        self.creates: Batcher[Key, Job, Envelope] = Batcher(
            self._flush_creates, max_size=MAX_WRITE, linger=linger
        )
        self.updates: Batcher[Key, Job, Envelope] = Batcher(
            self._flush_updates, max_size=MAX_WRITE, linger=linger
        )
        self._accounts: dict[tuple[str, str], str] = {}
        self.accounts = Accounts(client, self._rows_holding)

    async def handle(self, envelope: Envelope) -> list[Envelope]:
        spec = spec_of(envelope.entity)
        try:
            command = WriteCommand.model_validate(envelope.payload)
        except ValidationError as exc:
            raise PermanentError(f"malformed write command: {exc}") from exc
        key = (envelope.tenant, spec.entity, envelope.lane)
        linger = linger_for(envelope.lane, self.creates.linger)
        external_id = envelope.external_id
        # Zoho keeps no inactive state for some modules; what changed with a
        # deactivation (a name, an address edited before it) is still written.
        # (A create is never only a deactivation: it writes the whole record.)
        only_deactivates = external_id is not None and set(command.fields) <= {"active"}
        if command.deactivate and spec.deactivate_field is None and only_deactivates:
            return [self._unsupported_deactivate(envelope, command, spec)]
        record = await self._record(envelope, spec, command)
        field_map = await self.field_maps.of(envelope.tenant, spec.entity)
        if external_id is None:
            if record is None:
                raise PermanentError("a create needs a record, not only markers")
            body = self._body(spec, record, command, None, field_map)
            return [
                await self.creates.submit(
                    key, Job(envelope, command, body, record), linger
                )
            ]
        body = (
            self._body(spec, record, command, external_id, field_map)
            if record is not None
            else {"id": external_id, **marker_values(spec, command.markers)}
        )
        job = Job(envelope, command, body, record)
        if body.keys() == {"id"}:
            return [self._nothing_to_write(job)]
        return [await self.updates.submit(key, job, linger)]

    # -- building ----------------------------------------------------------------
    async def _record(
        self, envelope: Envelope, spec: ModuleSpec, command: WriteCommand
    ) -> CanonicalRecord | None:
        if not command.record:
            return None
        try:
            record = RECORD_TYPE[("crm", spec.entity)].model_validate(command.record)
        except ValidationError as exc:
            raise PermanentError(f"invalid {spec.entity} record: {exc}") from exc
        if isinstance(record, Party):
            record = await self._with_account(envelope, record, command)
        return record

    def _body(
        self,
        spec: ModuleSpec,
        record: CanonicalRecord,
        command: WriteCommand,
        external_id: str | None,
        field_map: FieldMap | None = None,
    ) -> dict[str, Any]:
        fields = command.fields if external_id else ()
        if external_id and fields and isinstance(record, Party):
            # The account carries the company: a new one is sent, and a
            # company a person cleared (not merely one this write does not
            # carry) takes the contact off its account.
            cleared = (
                "company_name" in fields
                and record.carries("company_name")
                and not (record.company_name or "").strip()
            )
            if record.account_id or cleared:
                fields = (*fields, "account_id")
        try:
            body = spec.write(
                record, fields=fields, existing_id=external_id, field_map=field_map
            )
        except ValueError as exc:
            raise PermanentError(f"cannot write {spec.module}: {exc}") from exc
        return {**body, **marker_values(spec, command.markers)}

    async def _with_account(
        self, envelope: Envelope, party: Party, command: WriteCommand
    ) -> Party:
        """A contact names its company; Zoho wants the Account's id. Found by
        name (live), created (with the billing address) when there is none.
        A billing address the write carries goes onto the account."""
        creating = envelope.external_id is None
        carried = company_fields(party, command.fields if not creating else ())
        if not carried:
            return party
        tenant = envelope.tenant
        company = (
            (party.company_name or "").strip() if party.carries("company_name") else ""
        )
        # The address the record holds goes with the contact to an account it
        # moves to (a new one gets it; a found one without an address too),
        # even when only the company changed: left behind, the account's empty
        # address would read as a person clearing it.
        known = party.billing_address if party.carries("billing_address") else None
        address = party.billing_address if "billing_address" in carried else known
        account_id, created = party.account_id, False
        has_address: bool | None = None  # unknown until the account is read
        company_key = name_key(company)
        if account_id is None and company_key:
            cache_key = (tenant, company_key)
            account_id = self._accounts.get(cache_key)
            if account_id is None:
                account_id, created, has_address = await self.accounts.find_or_create(
                    tenant, AccountAsk(company, company_key, address)
                )
            if account_id is not None:
                self._accounts[cache_key] = account_id
        if account_id is None:
            return party  # no company: Zoho has nowhere to keep the address
        edited = "billing_address" in carried and not creating
        if not created and (
            edited or await self._fills_in(tenant, account_id, address, has_address)
        ):
            await self._address_on_account(tenant, account_id, address)
        return party.model_copy(update={"account_id": account_id})

    async def _fills_in(
        self,
        tenant: str,
        account_id: str,
        address: Address | None,
        has_address: bool | None,
    ) -> bool:
        """A contact joining an account only fills in an address the account
        does not have yet (an edit of the address always goes on); read
        when the look-up that found the account did not say."""
        if address is None:
            return False
        if has_address is not None:
            return not has_address
        return await self._account_has_no_address(tenant, account_id)

    async def _account_has_no_address(self, tenant: str, account_id: str) -> bool:
        row = await self.client.get(tenant, MODULES["account"].module, account_id)
        if row is None:
            return False  # gone: nothing to fill
        try:
            organization, _version = account_from_zoho(row)
        except ValueError:
            return False  # unreadable: leave it as it is
        return organization.billing_address is None

    async def _address_on_account(
        self, tenant: str, account_id: str, address: Address | None
    ) -> None:
        body = account_to_zoho(
            Organization(name="", billing_address=address),
            fields=("billing_address",),
            existing_id=account_id,
        )
        [item] = await self.client.update(tenant, MODULES["account"].module, [body])
        verdict = record_verdict(item)
        if verdict.kind in ("retry", "throttled", "auth"):
            raise RetriableError(
                f"write the billing address of account {account_id}: {verdict.message}",
                code=verdict.code,
            )
        if verdict.kind != "ok":
            log.warning("account_address_not_written", tenant=tenant, item=item)

    # -- outcomes ----------------------------------------------------------------
    @staticmethod
    def written(
        job_envelope: Envelope,
        outcome: WriteOutcome,
        external_id: str | None,
        version: Version | None = None,
    ) -> Envelope:
        return job_envelope.caused(
            key="written",
            kind="written",
            external_id=external_id,
            version=version,
            deleted=False,
            payload=outcome.model_dump(mode="json"),
        )

    def _unsupported_deactivate(
        self, envelope: Envelope, command: WriteCommand, spec: ModuleSpec
    ) -> Envelope:
        reason = (
            f"Zoho CRM {spec.module} have no inactive state and the sync never "
            "deletes CRM records: left as they are"
        )
        log.info("deactivate_skipped", tenant=envelope.tenant, entity=spec.entity)
        outcome = WriteOutcome(
            ok=True, idempotency_key=command.idempotency_key, reason=reason
        )
        return self.written(envelope, outcome, envelope.external_id)

    def _nothing_to_write(self, job: Job) -> Envelope:
        """Every field of this update is one Zoho does not keep here."""
        outcome = WriteOutcome(
            ok=True,
            idempotency_key=job.command.idempotency_key,
            reason="nothing this Zoho module keeps: no call",
        )
        return self.written(job.envelope, outcome, job.envelope.external_id)

    def _failed(self, job: Job, reason: str) -> Envelope:
        outcome = WriteOutcome(
            ok=False,
            idempotency_key=job.command.idempotency_key,
            error_class="permanent",
            reason=reason,
        )
        return self.written(job.envelope, outcome, job.envelope.external_id)

    def _result(
        self, spec: ModuleSpec, job: Job, item: dict[str, Any], *, created: bool
    ) -> Envelope | BaseException:
        verdict = record_verdict(item)
        if verdict.kind == "ok":
            details = item.get("details") or {}
            modified = details.get("Modified_Time")
            version = Version(updated_at=parse_time(modified)) if modified else None
            outcome = WriteOutcome(
                ok=True,
                idempotency_key=job.command.idempotency_key,
                created=created,
            )
            record_id = str(details.get("id") or job.envelope.external_id)
            return self.written(job.envelope, outcome, record_id, version)
        if verdict.kind in ("retry", "throttled", "auth"):
            return RetriableError(
                f"write {spec.module}: {verdict.message}", code=verdict.code
            )
        return self._failed(job, f"Zoho refused the {spec.entity}: {verdict.message}")

    # -- batches -----------------------------------------------------------------
    async def _flush_updates(
        self, key: Key, jobs: Sequence[Job]
    ) -> list[Envelope | BaseException]:
        tenant, entity, lane = key
        CURRENT_LANE.set(lane)  # this batch's calls queue in its lane
        spec = spec_of(entity)
        items = await self.client.update(
            tenant, spec.module, [job.body for job in jobs]
        )
        return [
            self._result(spec, job, item, created=False)
            for job, item in zip(jobs, items, strict=True)
        ]

    async def _flush_creates(
        self, key: Key, jobs: Sequence[Job]
    ) -> list[Envelope | BaseException]:
        tenant, entity, lane = key
        CURRENT_LANE.set(lane)  # this batch's calls queue in its lane
        spec = spec_of(entity)
        results: list[Envelope | BaseException | None] = [None] * len(jobs)
        found = await self._live_matches(tenant, spec, jobs)
        inserting: list[int] = []
        claimed: set[tuple[str, str]] = set()
        for index, job in enumerate(jobs):
            checked, hits = found[index]
            match = checked[-1].key if checked else None
            if len(hits) == 1:
                results[index] = self._linked(job, hits[0])
            elif hits:
                ids = ", ".join(str(h.get("id")) for h in hits[:5])
                results[index] = self._failed(
                    job,
                    f"ambiguous: {len(hits)} {spec.module} already match "
                    f"{match!r} ({ids}); link one by hand",
                )
            elif any((c.field, c.key) in claimed for c in checked):
                # Created by the other command in this batch; the retry links it.
                results[index] = RetriableError(
                    f"another create of {match!r} is in the same batch"
                )
            else:
                claimed.update((c.field, c.key) for c in checked)
                inserting.append(index)
        if inserting:
            items = await self.client.insert(
                tenant, spec.module, [jobs[i].body for i in inserting]
            )
            for index, item in zip(inserting, items, strict=True):
                results[index] = self._result(spec, jobs[index], item, created=True)
        return [r if r is not None else RuntimeError("no result") for r in results]

    async def _live_matches(
        self, tenant: str, spec: ModuleSpec, jobs: Sequence[Job]
    ) -> list[tuple[list[KeyCheck], list[dict[str, Any]]]]:
        """Per job: the keys looked for and the rows that hold the last one.
        The match keys of the whole batch first, then the alternative keys of
        the jobs their match key did not find (a vendor without email: its
        name); a handful of searches per batch, not one per job."""
        checks = [
            key_checks(
                "crm",
                spec.entity,
                spec.match_fields,
                job.command.match_key,
                job.command.alt_match_key,
            )
            for job in jobs
        ]
        checked: list[list[KeyCheck]] = [[] for _ in jobs]
        hits: list[list[dict[str, Any]]] = [[] for _ in jobs]
        for turn in range(2):
            asking = {
                index: keys[turn]
                for index, keys in enumerate(checks)
                if len(keys) > turn and not hits[index]
            }
            if not asking:
                break
            spellings = [
                (check.field, str(getattr(jobs[index].record, check.kind, "") or ""))
                for index, check in asking.items()
            ]
            rows = await self._rows_holding(
                tenant, spec.module, asking.values(), spellings
            )
            for index, check in asking.items():
                checked[index].append(check)
                hits[index] = [r for r in rows if check.held_by(r.get(check.field))]
        return list(zip(checked, hits, strict=True))

    async def _rows_holding(
        self,
        tenant: str,
        module: str,
        checks: Iterable[KeyCheck],
        spellings: Iterable[tuple[str, str]] = (),
        extra_fields: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Every row that may hold one of the keys (search ``equals`` may
        also behave like contains): the caller confirms each by the rule."""
        rows: dict[str, dict[str, Any]] = {}
        for field, criteria in key_criteria(list(checks), spellings):
            for row in await self.client.search(
                tenant,
                module,
                criteria=criteria,
                fields=(field, "Modified_Time", *extra_fields),
            ):
                # One row can answer two searches, each with its own fields.
                rows.setdefault(str(row.get("id")), {}).update(row)
        return list(rows.values())

    def _linked(self, job: Job, row: dict[str, Any]) -> Envelope:
        modified = row.get("Modified_Time")
        outcome = WriteOutcome(
            ok=True,
            idempotency_key=job.command.idempotency_key,
            linked_existing=True,
            reason="the live re-check found it already in Zoho CRM",
        )
        version = Version(updated_at=parse_time(modified)) if modified else None
        return self.written(job.envelope, outcome, str(row["id"]), version)


def company_fields(party: Party, fields: Sequence[str]) -> set[str]:
    """The company fields a contact write carries (``fields`` empty = all)."""
    return {
        name
        for name in COMPANY
        if party.carries(name) and (not fields or name in fields)
    }
