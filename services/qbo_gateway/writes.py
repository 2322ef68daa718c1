"""Writing to QBO: ``write.qbo.<entity>`` in, batched API calls, ``written`` out.

Per batch of up to 30 commands (same tenant and entity, gathered for a short
linger): creates first re-check their match key against the live API (one
``IN`` query for the batch's whole keys, a single call; names of several
words one LIKE query each, in a batch call), so a stale mirror can never
create a duplicate; a batch's creates then ask which of their names and
the names' next numbers are taken (one query, ``free_names``) and go out
already numbered; then one batch call carries the creates, updates and
deactivations with a requestid derived from the commands' idempotency
keys. Copies of one command in a
batch (same idempotency key) are written once and all get that outcome; a
create whose key an earlier batch request already carried is resolved by
replaying that request (``create_claims``), never created twice. Per item:
5010 (stale SyncToken) → re-read, re-apply the same fields, retry; 6240
(a name the query could not see taken) → the next free number, one single
call per try; other faults → a
classified failure for that command alone.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog

from common.connection_settings import DEFAULT_SETTINGS
from common.connections import Connections
from common.errors import PermanentError, RetriableError
from common.gateway.batcher import Batcher
from common.gateway.calls import ApiNotFound, ApiPermanentError
from common.gateway.echoes import BulkEchoes
from common.gateway.parking import ParkedWork
from common.gateway.tokens import NeedsReauthorization
from common.lanes import CURRENT_LANE, linger_for
from common.matchkeys import KeyCheck, key_checks
from common.messages import Envelope, Lane, WriteCommand, WriteOutcome
from common.translation.fieldmap import FieldMap
from services.qbo_gateway.catalog import ENTITIES, QboEntity
from services.qbo_gateway.client import BATCH_LIMIT, QboClient, quote
from services.qbo_gateway.create_claims import CreateClaims
from services.qbo_gateway.errors import (
    DUPLICATE_NAME,
    STALE_OBJECT,
    fault_of,
    verdict_for_fault,
)
from services.qbo_gateway.free_names import FreeNames, name_key
from services.qbo_gateway.write_bodies import (
    WriteContext,
    base_name,
    build_body,
    deactivation_body,
    holds_key,
    keys_query,
    match_query,
    needs_like,
    number_of,
    numbered_name,
)

log = structlog.get_logger(__name__)

MAX_STALE_RETRIES = 3
MAX_NAME_ATTEMPTS = 5
# Calls a bulk spill leaves free for the queries of the batches behind it.
SPILL_HEADROOM = 10
# A bulk flush holds this many batch calls' worth of writes: its queries
# (the emails' re-check, the names, the SyncTokens) are asked once for all
# of them, so at 10,000 creates they take a third of the single calls they
# took with a flush per batch call, and those calls carry creates instead.
BULK_FLUSH_CALLS = 3
REQUEST_ID_NAMESPACE = uuid.UUID("8c5e3a1e-6d0b-4d55-9a4e-8f0e2f3b7a10")


@dataclass
class Pending:
    envelope: Envelope
    command: WriteCommand
    entity: QboEntity
    field_map: FieldMap | None = None  # the tenant's extra fields, per batch

    @property
    def is_create(self) -> bool:
        return self.envelope.external_id is None


class QboWrites:
    def __init__(
        self,
        client: QboClient,
        connections: Connections,
        parked: ParkedWork,
        *,
        linger: float = 0.2,
        claims: CreateClaims,
        echoes: BulkEchoes | None = None,
    ) -> None:
        self.client = client
        # Noted as each write's answer is settled, not when the flush returns:
        # a flush's single calls are done long before its batch calls that
        # wait for the batch window, and QBO's notices of them would find
        # nothing remembered and bring the backfill's echoes in the live lane.
        self.echoes = echoes
        self.connections = connections
        self.parked = parked
        self.claims = claims
        self.batcher: Batcher[tuple[str, str, Lane], Pending, Envelope] = Batcher(
            self._flush, max_size=BATCH_LIMIT, linger=linger
        )
        self._income_accounts: dict[str, str | None] = {}
        self.names = FreeNames(client)

    async def handle(self, envelope: Envelope) -> Sequence[Envelope]:
        entity = ENTITIES.get(envelope.entity)
        if entity is None:
            raise PermanentError(f"qbo-gateway does not write {envelope.entity!r}")
        command = WriteCommand.model_validate(envelope.payload)
        bulk = envelope.lane == "bulk"
        try:
            written = await self.batcher.submit(
                (envelope.tenant, entity.bus, envelope.lane),
                Pending(envelope, command, entity),
                linger_for(envelope.lane, self.batcher.linger),
                max_size=BATCH_LIMIT * (BULK_FLUSH_CALLS if bulk else 1),
            )
        except NeedsReauthorization as exc:
            await self.parked.park(envelope, exc.reason)
            log.warning("write_parked", tenant=envelope.tenant, reason=exc.reason)
            return []
        return [written]

    # -- one batch ------------------------------------------------------------
    async def _flush(
        self, key: tuple[str, str, Lane], batch: Sequence[Pending]
    ) -> list[Envelope | BaseException]:
        tenant, _, lane = key
        CURRENT_LANE.set(lane)  # this batch's calls queue in its lane
        context = await self._context(tenant, batch[0].entity)
        batch = [replace(p, field_map=context.field_map) for p in batch]
        results: dict[int, Envelope | BaseException] = {}
        copies = _copies_of_one_write(batch)
        work = [i for i in range(len(batch)) if i not in copies]
        creates = [i for i in work if batch[i].is_create]
        await self._recheck_creates(tenant, batch, creates, results)
        skip = set(copies)
        batch = await self._with_sync_tokens(tenant, batch, results, skip)
        operations: dict[str, tuple[int, dict[str, Any]]] = {}
        for index in work:
            if index in results:
                continue
            pending = batch[index]
            try:
                operations[f"b{index}"] = (index, self._operation(pending, context))
            except ValueError as exc:
                results[index] = self._failed(pending, f"cannot build the write: {exc}")
        # A live request of one operation goes as a single call.
        single = lane == "live" and len(operations) == 1
        if operations and not single:
            # A person's lone create skips the extra query (latency first);
            # a 6240 then takes the one-by-one path.
            await self._choose_free_names(tenant, batch, operations)
        groups = self._groups(tenant, lane, operations, single)
        sent = await asyncio.gather(
            *(
                self._send_group(tenant, batch, group, alone, results, context)
                for group, alone in groups
            ),
            return_exceptions=True,  # a request failing fails its items only
        )
        for (group, _), error in zip(groups, sent, strict=True):
            if isinstance(error, BaseException):
                if len(groups) == 1:
                    raise error  # the whole batch: the bus retries it
                for index, _ in group.values():
                    results.setdefault(index, error)
        for copy, first in copies.items():
            results[copy] = _same_outcome(batch[copy], results[first])
        await self.claims.expire_now_and_then()
        return [results[i] for i in range(len(batch))]

    def _groups(
        self,
        tenant: str,
        lane: Lane,
        operations: dict[str, tuple[int, dict[str, Any]]],
        single: bool,
    ) -> list[tuple[dict[str, tuple[int, dict[str, Any]]], bool]]:
        """How the operations go: batch calls of up to ``BATCH_LIMIT``, or
        one single call each. Bulk work the minute's free batch calls cannot
        take now spills into single calls, as many as the 500 calls a minute
        still have room for (less a few for the queries of the flushes
        behind) while the rest fill whole batch calls: QBO's bound counts
        both budgets, and waiting for the batch window would leave the
        other one idle."""
        if not operations:
            return []
        if single:
            return [(operations, True)]
        items = list(operations.items())
        spilled: list[tuple[str, tuple[int, dict[str, Any]]]] = []
        if lane == "bulk":
            batch_places, call_places = self.client.caller.limits.bulk_places(tenant)
            if batch_places is not None:
                waiting = len(items) - max(batch_places, 0) * BATCH_LIMIT
                spill = _spill(waiting, call_places - SPILL_HEADROOM)
                if spill > 0:
                    items, spilled = items[:-spill], items[-spill:]
                    log.debug("qbo_bulk_spills_to_single_calls", count=spill)
        groups = [
            (dict(items[start : start + BATCH_LIMIT]), False)
            for start in range(0, len(items), BATCH_LIMIT)
        ]
        return groups + [({bid: op}, True) for bid, op in spilled]

    async def _send_group(
        self,
        tenant: str,
        batch: Sequence[Pending],
        operations: dict[str, tuple[int, dict[str, Any]]],
        single: bool,
        results: dict[int, Envelope | BaseException],
        context: WriteContext,
    ) -> None:
        """One request: its creates claimed, sent, each answer settled."""
        keys = sorted(batch[i].command.idempotency_key for i, _ in operations.values())
        request_id = uuid.uuid5(REQUEST_ID_NAMESPACE, "|".join(keys)).hex
        await self._claim_creates(
            tenant, batch, operations, request_id, results, context, single
        )
        if not operations:
            return
        answers = await self.client.send(
            tenant,
            [{"bId": bid, **op} for bid, (_, op) in operations.items()],
            request_id=request_id,
            single=single,
        )
        # Side by side: a refused item may take calls of its own (a new
        # name, a fresh SyncToken), and the batch's others need not wait.
        settled = await asyncio.gather(
            *(
                self._settle_noted(tenant, batch[index], answers.get(bid), context, op)
                for bid, (index, op) in operations.items()
            ),
            return_exceptions=True,  # a call failing fails its item only
        )
        for (index, _), result in zip(operations.values(), settled, strict=True):
            results[index] = result

    async def _settle_noted(
        self,
        tenant: str,
        pending: Pending,
        answer: dict[str, Any] | None,
        context: WriteContext,
        sent: dict[str, Any],
    ) -> Envelope | BaseException:
        """One answer settled, and the record remembered at once as the
        backfill's (its siblings may still be renamed one by one)."""
        written = await self._settle(tenant, pending, answer, context, sent=sent)
        if self.echoes is not None and isinstance(written, Envelope):
            self.echoes.remember_bulk(written, pending.envelope)
        return written

    async def _claim_creates(
        self,
        tenant: str,
        batch: Sequence[Pending],
        operations: dict[str, tuple[int, dict[str, Any]]],
        request_id: str,
        results: dict[int, Envelope | BaseException],
        context: WriteContext,
        single: bool,
    ) -> None:
        """Claim this request's creates; a create an earlier request carried
        is settled from that request's answer (replayed by its requestid)
        and leaves ``operations``, unless that request did not apply it."""
        creates = {
            batch[index].command.idempotency_key: (bid, operation)
            for bid, (index, operation) in operations.items()
            if batch[index].is_create
        }
        held = await self.claims.claim(tenant, request_id, creates, single=single)
        by_request: dict[str, list[str]] = {}
        for idempotency_key, sent in held.items():
            by_request.setdefault(sent.request_id, []).append(idempotency_key)
        for earlier, keys in by_request.items():
            items, alone = await self.claims.request_of(tenant, earlier)
            answers = (
                await self.client.send(
                    tenant, items, request_id=earlier, single=alone and len(items) == 1
                )
                if items
                else {}
            )
            for idempotency_key in keys:
                bid, operation = creates[idempotency_key]
                index = operations[bid][0]
                sent = held[idempotency_key]
                answer = answers.get(sent.bid)
                if _applied(batch[index], answer):
                    del operations[bid]
                    log.info("qbo_create_resolved_by_key", request_id=earlier)
                    results[index] = await self._settle(
                        tenant, batch[index], answer, context
                    )
                elif not await self.claims.take_over(
                    tenant,
                    idempotency_key,
                    sent,
                    request_id,
                    bid,
                    operation,
                    single=single,
                ):
                    del operations[bid]
                    results[index] = RetriableError(
                        "another copy of this create is being written right now"
                    )

    async def _with_sync_tokens(
        self,
        tenant: str,
        batch: Sequence[Pending],
        results: dict[int, Envelope | BaseException],
        skip: set[int],
    ) -> list[Pending]:
        """Updates whose SyncToken the matcher could not know (the record was
        created moments ago and its echo has not come back yet) read the
        current one first: one query for the whole batch."""
        missing = {
            p.envelope.external_id: i
            for i, p in enumerate(batch)
            if not p.is_create
            and p.command.base_sequence is None
            and i not in results
            and i not in skip
        }
        if not missing:
            return list(batch)
        entity = batch[0].entity
        ids = ", ".join(quote(str(record_id)) for record_id in missing)
        rows = await self.client.query_rows(
            tenant,
            entity.api,
            f"SELECT * FROM {entity.api} WHERE Id IN ({ids}){entity.active_clause()} "
            f"MAXRESULTS {len(missing)}",
        )
        tokens = {str(row["Id"]): int(row["SyncToken"]) for row in rows}
        updated = list(batch)
        for record_id, index in missing.items():
            pending = batch[index]
            if record_id not in tokens:
                results[index] = self._failed(
                    pending, f"{entity.api} {record_id} no longer exists in QBO"
                )
                continue
            command = pending.command.model_copy(
                update={"base_sequence": tokens[str(record_id)]}
            )
            updated[index] = replace(pending, command=command)
        return updated

    async def _recheck_creates(
        self,
        tenant: str,
        batch: Sequence[Pending],
        creates: list[int],
        results: dict[int, Envelope | BaseException],
    ) -> None:
        """A create whose key one live row holds is linked to it; two or more
        fail it. Its match key is asked first, then, when that finds nothing,
        its alternative key (a vendor without email: its name). Per turn, the
        whole keys of one field go in one ``IN`` query (a single call: the
        batch budget stays for writes); only names of several words, which
        need LIKE, are asked one query each, together in one batch call."""
        checks = {
            index: key_checks(
                "qbo",
                batch[index].entity.bus,
                batch[index].entity.match_fields,
                batch[index].command.match_key,
                batch[index].command.alt_match_key,
            )
            for index in creates
        }
        for turn in range(2):
            asking = {
                index: keys[turn]
                for index, keys in checks.items()
                if len(keys) > turn and index not in results
            }
            if not asking:
                return
            whole = {i: c for i, c in asking.items() if not needs_like(c)}
            await self._recheck_whole_keys(tenant, batch, whole, results)
            liked = {i: c for i, c in asking.items() if needs_like(c)}
            await self._recheck_liked_keys(tenant, batch, liked, results)

    async def _recheck_whole_keys(
        self,
        tenant: str,
        batch: Sequence[Pending],
        asking: dict[int, KeyCheck],
        results: dict[int, Envelope | BaseException],
    ) -> None:
        entity = batch[0].entity
        by_field: dict[str, dict[int, KeyCheck]] = {}
        for index, check in asking.items():
            by_field.setdefault(check.field, {})[index] = check
        for field, checks in by_field.items():
            rows = await self.client.query_rows(
                tenant,
                entity.api,
                keys_query(entity, field, [c.key for c in checks.values()]),
            )
            for index, check in checks.items():
                self._recheck_rows(batch[index], check, rows, index, results)

    async def _recheck_liked_keys(
        self,
        tenant: str,
        batch: Sequence[Pending],
        asking: dict[int, KeyCheck],
        results: dict[int, Envelope | BaseException],
    ) -> None:
        if not asking:
            return
        answers = await self.client.batch(
            tenant,
            [
                {"bId": f"q{index}", "Query": match_query(batch[index].entity, c)}
                for index, c in asking.items()
            ],
        )
        for index, check in asking.items():
            answer = answers.get(f"q{index}") or {}
            if "Fault" in answer:
                code, message = fault_of(answer)
                results[index] = RetriableError(
                    f"re-check failed: QBO {code} {message}"
                )
                continue
            rows = (answer.get("QueryResponse") or {}).get(batch[index].entity.api, [])
            self._recheck_rows(batch[index], check, rows, index, results)

    def _recheck_rows(
        self,
        pending: Pending,
        check: KeyCheck,
        rows: Sequence[dict[str, Any]],
        index: int,
        results: dict[int, Envelope | BaseException],
    ) -> None:
        holding = [row for row in rows if holds_key(row, check)]
        if len(holding) == 1:
            results[index] = self._written(pending, holding[0], linked_existing=True)
        elif len(holding) > 1:
            ids = ", ".join(str(row["Id"]) for row in holding)
            results[index] = self._failed(
                pending,
                f"{check.key} matches {len(holding)} QBO {pending.entity.api} "
                f"records ({ids}): not created, pick one and link it",
            )

    def _operation(self, pending: Pending, context: WriteContext) -> dict[str, Any]:
        entity, command, envelope = pending.entity, pending.command, pending.envelope
        if command.deactivate:
            if envelope.external_id is None or command.base_sequence is None:
                raise ValueError("deactivating needs the record's id and SyncToken")
            body, options = deactivation_body(
                entity, envelope.external_id, command.base_sequence
            )
            operation = {"operation": "update", entity.api: body}
            if options:
                operation["optionsData"] = options
            return operation
        record = envelope.record()
        body = build_body(
            entity,
            record,
            command,
            existing_id=envelope.external_id,
            sync_token=command.base_sequence,
            context=context,
        )
        return {
            "operation": "update" if envelope.external_id else "create",
            entity.api: body,
        }

    async def _settle(
        self,
        tenant: str,
        pending: Pending,
        answer: dict[str, Any] | None,
        context: WriteContext,
        *,
        sent: dict[str, Any] | None = None,
    ) -> Envelope | BaseException:
        entity = pending.entity
        if answer is None:
            return RetriableError("QBO batch answer is missing this item")
        if entity.api in answer:
            return self._written(pending, answer[entity.api])
        code, message = fault_of(answer)
        if code == STALE_OBJECT:
            return await self._retry_stale(tenant, pending, context)
        if code == DUPLICATE_NAME and pending.is_create:
            refused = (sent or {}).get(entity.api, {}).get("DisplayName")
            return await self._create_with_new_name(tenant, pending, context, refused)
        verdict = verdict_for_fault(code, message, 400)
        if verdict.kind == "retry" or verdict.kind == "throttled":
            return RetriableError(verdict.message, code=code)
        return self._failed(pending, verdict.message, code=code)

    async def _retry_stale(
        self, tenant: str, pending: Pending, context: WriteContext
    ) -> Envelope | BaseException:
        """Someone changed the record since our SyncToken: re-read and re-apply
        the same (sparse) fields on top of their version."""
        entity, envelope = pending.entity, pending.envelope
        assert envelope.external_id is not None
        for _ in range(MAX_STALE_RETRIES):
            try:
                current = await self.client.read(
                    tenant, entity.api, envelope.external_id
                )
            except ApiNotFound:
                return self._failed(
                    pending,
                    f"{entity.api} {envelope.external_id} no longer exists in QBO",
                )
            command = pending.command.model_copy(
                update={"base_sequence": int(current["SyncToken"])}
            )
            operation = self._operation(replace(pending, command=command), context)
            body = operation[entity.api]
            try:
                row = await self.client.write(
                    tenant,
                    entity.api,
                    body,
                    operation="void"
                    if operation.get("optionsData") == "void"
                    else None,
                )
            except ApiPermanentError as exc:
                if exc.code == STALE_OBJECT:
                    continue
                return self._failed(pending, exc.reason, code=exc.code)
            return self._written(pending, row)
        return RetriableError(f"{entity.api} {envelope.external_id} keeps changing")

    async def _create_with_new_name(
        self,
        tenant: str,
        pending: Pending,
        context: WriteContext,
        refused: str | None = None,
    ) -> Envelope | BaseException:
        """6240 for ``refused`` (the name sent; the plain one when None): the
        name is taken by someone the batch's query could not see (a vendor,
        an employee, a create a moment ago), or the create went alone. The
        lowest number not known taken is tried; after a second refusal the
        numbers in use are asked (once, kept a while): most shared names are
        shared by two, and at 10,000 contacts a query per rename spent half
        of QBO's 500 calls a minute. Each try has its own requestid,
        numbered by the try, so a redelivered command replays the same
        tries."""
        operation = self._operation(pending, context)
        body = operation[pending.entity.api]
        base = base_name(body)
        api = pending.entity.api
        taken = self.names.numbers_of(tenant, api, base)
        taken.add(_number_in(refused, base))
        asked = False
        for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
            number = next(n for n in itertools.count(2) if n not in taken)
            taken.add(number)  # at once: a rename side by side takes the next
            renamed = numbered_name(body, base, number)
            request_id = f"{pending.command.idempotency_key[:40]}-n{attempt}"
            try:
                row = await self.client.write(
                    tenant, api, renamed, request_id=request_id
                )
            except ApiPermanentError as exc:
                if exc.code != DUPLICATE_NAME:
                    return self._failed(pending, exc.reason, code=exc.code)
                # Taken (by a customer, a vendor, an employee, or meanwhile).
                if not asked:
                    await self.names.numbers_in_use(tenant, api, base)
                    asked = True
                continue
            log.info(
                "qbo_name_disambiguated",
                tenant=tenant,
                display_name=renamed.get("DisplayName"),
            )
            return self._written(pending, row)
        return self._failed(
            pending,
            f"DisplayName {body.get('DisplayName')!r}: {MAX_NAME_ATTEMPTS} numbered "
            "variants in a row were taken by other customers, vendors or employees",
            code=DUPLICATE_NAME,
        )

    async def _choose_free_names(
        self,
        tenant: str,
        batch: Sequence[Pending],
        operations: dict[str, tuple[int, dict[str, Any]]],
    ) -> None:
        """Creates go out with a name QBO will take (see ``free_names``), so
        a shared name is numbered inside the batch, not by a refused
        operation and a single call."""
        bodies: dict[str, dict[str, Any]] = {}
        entity = batch[0].entity  # a batch holds one entity
        api = entity.api
        for bid, (_, operation) in operations.items():
            body = operation.get(api)
            creates = operation.get("operation") == "create"
            if creates and body and "DisplayName" in body:
                bodies[bid] = body
        if not bodies:
            return
        for bid, body in (await self.names.choose(tenant, entity, bodies)).items():
            index, operation = operations[bid]
            operations[bid] = (index, {**operation, api: body})

    # -- outcomes -------------------------------------------------------------
    def _written(
        self, pending: Pending, row: dict[str, Any], *, linked_existing: bool = False
    ) -> Envelope:
        record, version = pending.entity.read(row, pending.field_map)
        outcome = WriteOutcome(
            ok=True,
            idempotency_key=pending.command.idempotency_key,
            created=pending.is_create and not linked_existing,
            linked_existing=linked_existing,
        )
        return pending.envelope.caused(
            key="written",
            kind="written",
            external_id=str(row["Id"]),
            version=version,
            payload={
                **outcome.model_dump(mode="json"),
                "record": record.model_dump(mode="json"),
            },
        )

    def _failed(
        self, pending: Pending, reason: str, code: str | None = None
    ) -> Envelope:
        outcome = WriteOutcome(
            ok=False,
            idempotency_key=pending.command.idempotency_key,
            error_class="permanent",
            reason=f"{reason}"
            + (f" (QBO {code})" if code and code not in reason else ""),
        )
        return pending.envelope.caused(
            key="written", kind="written", payload=outcome.model_dump(mode="json")
        )

    # -- per-tenant facts -----------------------------------------------------
    async def _context(self, tenant: str, entity: QboEntity) -> WriteContext:
        connection = await self.connections.get(tenant)
        settings = connection.settings if connection else DEFAULT_SETTINGS
        income = await self._income_account(tenant) if entity.api == "Item" else None
        return WriteContext(
            field_map=settings.field_map("qbo", entity.bus),
            income_account_id=income,
            tax_codes=settings.qbo_tax_codes,
            us_tax=settings.qbo_us_tax,
        )

    async def _income_account(self, tenant: str) -> str | None:
        """New items need an income account: the company's "Sales of Product
        Income", else "Services", else its first income account."""
        if tenant not in self._income_accounts:
            rows = await self.client.query_rows(
                tenant,
                "Account",
                "SELECT * FROM Account WHERE AccountType = 'Income' MAXRESULTS 100",
            )
            by_name = {row.get("Name"): str(row["Id"]) for row in rows}
            chosen = (
                by_name.get("Sales of Product Income")
                or by_name.get("Services")
                or (str(rows[0]["Id"]) if rows else None)
            )
            self._income_accounts[tenant] = chosen
        return self._income_accounts[tenant]


def _spill(waiting: int, room: int) -> int:
    """How many of the ``waiting`` operations (those no batch place takes
    now) go as single calls, with ``room`` single calls free: all when they
    fit, else as many as leave the rest in full batch calls (a batch place
    spent on a part-filled call is lost, unused call room is not)."""
    if waiting <= 0 or room <= 0:
        return 0
    if waiting <= room:
        return waiting
    kept = -(-(waiting - room) // BATCH_LIMIT) * BATCH_LIMIT
    return max(waiting - kept, 0)


def _copies_of_one_write(batch: Sequence[Pending]) -> dict[int, int]:
    """index → index of the first command with the same idempotency key: a
    copy is the same write (a redelivery, a replay racing the original), so
    it is not sent a second time — it would come back as a 6240 duplicate
    name and be renamed into a second record."""
    first: dict[str, int] = {}
    copies: dict[int, int] = {}
    for index, pending in enumerate(batch):
        key = pending.command.idempotency_key
        if key in first:
            copies[index] = first[key]
        else:
            first[key] = index
    return copies


def _same_outcome(
    pending: Pending, outcome: Envelope | BaseException
) -> Envelope | BaseException:
    """The first copy's outcome, as this copy's own ``written`` message."""
    if isinstance(outcome, BaseException):
        return outcome
    return pending.envelope.caused(
        key="written",
        kind="written",
        external_id=outcome.external_id,
        version=outcome.version,
        payload=outcome.payload,
    )


def _applied(pending: Pending, answer: dict[str, Any] | None) -> bool:
    """Did this batch answer apply the create (or refuse it for good)? A
    missing answer or a retriable fault means it did not run."""
    if answer is None:
        return False
    if pending.entity.api in answer:
        return True
    code, message = fault_of(answer)
    return verdict_for_fault(code, message, 400).kind not in ("retry", "throttled")


def _number_in(name: str | None, base: str) -> int:
    """Which number of ``base`` a refused name was (1: the plain name)."""
    if name is None or name_key(name) == name_key(base):
        return 1
    return number_of({"DisplayName": name}, base) or 1
