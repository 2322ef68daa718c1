"""Per-line discounts on QBO, which only has a transaction-level discount.

QBO checks ``Amount == Qty × UnitPrice`` on every sales line (error 6070), so
a line discount cannot live in the line. We write the lines at full price and
one ``DiscountLineDetail`` line (PercentBased false) for the sum of the line
discounts, whose Description records the split ("Line discounts: 1=5, 3=2.5",
positions among the sales lines). Reading, that split is restored exactly; a
discount made in QBO itself (no such note, or percent based) is spread over
the lines in proportion to their amounts (``spread_discount``). Either way the
lines' discounts add up to QBO's total.
"""

from __future__ import annotations

import re
from decimal import Decimal

from common.translation.discounts import spread_discount
from common.translation.money import parse_decimal, tidy

SPLIT_PREFIX = "Line discounts: "
SPLIT_ENTRY = re.compile(r"^(\d+)=(-?\d+(?:\.\d+)?)$")


def describe_split(discounts: list[Decimal]) -> str:
    entries = [f"{n}={tidy(d)}" for n, d in enumerate(discounts, start=1) if d]
    return SPLIT_PREFIX + ", ".join(entries)


def split_discount(
    total: Decimal, gross_amounts: list[Decimal], note: str | None
) -> list[Decimal]:
    if not total:
        return [Decimal(0)] * len(gross_amounts)
    recorded = _recorded_split(note, len(gross_amounts))
    if recorded is not None and sum(recorded) == total:
        return recorded
    return spread_discount(total, gross_amounts)


def _recorded_split(note: str | None, count: int) -> list[Decimal] | None:
    if not note or not note.startswith(SPLIT_PREFIX):
        return None
    split = [Decimal(0)] * count
    for entry in note.removeprefix(SPLIT_PREFIX).split(","):
        match = SPLIT_ENTRY.match(entry.strip())
        if match is None or not 1 <= int(match[1]) <= count:
            return None
        split[int(match[1]) - 1] = parse_decimal(match[2])
    return split
