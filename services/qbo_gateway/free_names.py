"""Free display names for a batch's creates, found before they are sent.

QBO refuses a create whose DisplayName another customer, vendor or employee
holds (6240), and our rule then appends " (2)", " (3)", …. Learning that
from the refusal costs a refused operation and a single call per rename;
where names are shared (a large CRM, a seed drawn from a word list) that
spent QBO's 500 single calls a minute and left half the batch budget idle.
So a batch's creates ask first, in one query of the batch's names and
their next numbers (``DisplayName IN (...)``, a single call), and go out
already numbered, inside the batch. What the query cannot see (a vendor or
an employee holding the name, a name taken a moment later) still comes
back 6240 and takes the one-by-one path in ``writes``.

Numbers are kept per (tenant, entity, name) for a while: the ones found
taken, and the ones this process has handed out, so two batches in flight
do not pick the same number. Number 1 stands for the plain name.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from common.gateway.recent import Recent
from services.qbo_gateway.catalog import QboEntity
from services.qbo_gateway.client import QboClient
from services.qbo_gateway.write_bodies import (
    base_name,
    keys_query,
    number_of,
    numbered_query,
)

NUMBERS_SECONDS = 300.0  # how long the numbers a shared name carries are kept
NUMBERS_KEPT = 10_000  # shared names remembered at most
PROBE_VALUES = 150  # names per IN query: a statement of a few KB
# Variants asked per name beyond the creates wanting it, per round: a shared
# name and its " (2)" are the common case; a name shared by many is asked
# further in one more IN query for the batch, not a LIKE query per name (at
# 10,000 seeded contacts those LIKE queries were a third of the single calls).
PROBE_EXTRA = (2, 12)


def name_key(base: str) -> str:
    """Names compare as QBO compares them: case and spacing aside."""
    return " ".join(base.split()).casefold()


def variant(base: str, number: int) -> str:
    return base if number == 1 else f"{base} ({number})"


class FreeNames:
    def __init__(self, client: QboClient) -> None:
        self.client = client
        self._numbers: Recent[tuple[str, str, str], set[int]] = Recent(
            NUMBERS_SECONDS, NUMBERS_KEPT
        )

    def numbers_of(self, tenant: str, api: str, base: str) -> set[int]:
        """The numbers of ``base`` known taken or handed out (shared: a
        caller adds the ones it takes)."""
        key = (tenant, api, name_key(base))
        numbers = self._numbers.get(key)
        if numbers is None:
            numbers = set()
            self._numbers.put(key, numbers)
        return numbers

    async def choose(
        self, tenant: str, entity: QboEntity, bodies: Mapping[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Each body (by its batch id) with the lowest number its name has
        free, as far as the batch's IN queries (and, for a name whose every
        asked variant is taken twice over, one LIKE query) can tell; bodies
        whose plain name is free come back as they were."""
        wanted: dict[str, list[str]] = {}  # name key → the bIds wanting it
        bases: dict[str, str] = {}
        for bid, body in bodies.items():
            base = base_name(body)
            if not base:
                continue
            key = name_key(base)
            wanted.setdefault(key, []).append(bid)
            bases.setdefault(key, base)
        api = entity.api
        short = dict(wanted)  # names not yet shown to have enough free numbers
        for extra in PROBE_EXTRA:
            short = await self._probe(tenant, entity, bases, short, extra)
            if not short:
                break
        for key in short:  # a name shared by many: ask which numbers are used
            await self.numbers_in_use(tenant, api, bases[key])
        chosen: dict[str, dict[str, Any]] = {}
        for key, bids in wanted.items():
            base = bases[key]
            taken = self.numbers_of(tenant, api, base)
            for bid in bids:
                number = next(n for n in itertools.count(1) if n not in taken)
                taken.add(number)  # handed out: the next create takes the next
                chosen[bid] = {**bodies[bid], "DisplayName": variant(base, number)}
        return chosen

    async def _probe(
        self,
        tenant: str,
        entity: QboEntity,
        bases: Mapping[str, str],
        short: Mapping[str, list[str]],
        extra: int,
    ) -> dict[str, list[str]]:
        """Ask, per name, as many variants not known taken as creates want
        it and ``extra`` more (the plain name included while not known
        taken), all names in one IN query; note the taken ones. The names
        still short of free variants come back."""
        api = entity.api
        asking: dict[str, dict[str, int]] = {}  # name key → variant → number
        for key, bids in short.items():
            taken = self.numbers_of(tenant, api, bases[key])
            free = (n for n in itertools.count(1) if n not in taken)
            numbers = list(itertools.islice(free, len(bids) + extra))
            asking[key] = {name_key(variant(bases[key], n)): n for n in numbers}
        found = await self._taken_variants(
            tenant, entity, [v for names in asking.values() for v in names]
        )
        still: dict[str, list[str]] = {}
        for key, bids in short.items():
            taken = self.numbers_of(tenant, api, bases[key])
            taken.update(n for v, n in asking[key].items() if v in found)
            if sum(1 for n in asking[key].values() if n not in taken) < len(bids):
                still[key] = bids
        return still

    async def _taken_variants(
        self, tenant: str, entity: QboEntity, names: Iterable[str]
    ) -> set[str]:
        """The given names (casefolded) that a row of ``entity``, active or
        not, holds: one query per ``PROBE_VALUES`` names."""
        ordered = sorted(set(names))
        held: set[str] = set()
        for start in range(0, len(ordered), PROBE_VALUES):
            chunk = ordered[start : start + PROBE_VALUES]
            rows = await self.client.query_rows(
                tenant, entity.api, keys_query(entity, "DisplayName", chunk)
            )
            held.update(name_key(str(row.get("DisplayName") or "")) for row in rows)
        return held

    async def numbers_in_use(self, tenant: str, api: str, base: str) -> set[int]:
        """The n of every "base (n)" of this entity (inactive ones too): one
        LIKE query, its answer kept with the name's numbers. A number
        another entity (a vendor, an employee) holds, or one taken since,
        costs one 6240 more."""
        rows = await self.client.query_rows(tenant, api, numbered_query(api, base))
        found = {n for row in rows if (n := number_of(row, base)) is not None}
        taken = self.numbers_of(tenant, api, base)
        taken.update(found)
        return taken
