"""One discount spread over a document's lines, to the cent.

A document-level discount (Zoho's ``Discount``, or one made in QBO itself)
is shared among the lines in proportion to their amounts: each line gets its
share rounded down to the cent, the leftover cents go to the largest
remainders, ties to the earlier line. The shares add up to the total, and
writing them back gives the same split, so both directions reach a fixed
point.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from common.translation.money import CENT, cents, tidy


def spread_discount(total: Decimal, gross_amounts: list[Decimal]) -> list[Decimal]:
    """Each line's share of ``total``, in the order of ``gross_amounts``."""
    if not total:
        return [Decimal(0)] * len(gross_amounts)
    base = sum(gross_amounts)
    if not gross_amounts:
        return []
    if not base:
        return [cents(total)] + [Decimal(0)] * (len(gross_amounts) - 1)
    exact = [total * amount / base for amount in gross_amounts]
    shares = [share.quantize(CENT, rounding=ROUND_DOWN) for share in exact]
    leftover = int((cents(total) - sum(shares)) / CENT)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:leftover]:
        shares[index] += CENT
    return [tidy(share) for share in shares]
