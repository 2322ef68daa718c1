"""Tax codes on QBO lines, US and non-US.

US companies tag each line ``TaxCodeRef`` "TAX" or "NON" and pick the rate
once per transaction (``TxnTaxDetail.TxnTaxCodeRef``); other companies tag
each line with a TaxCode id whose rates QBO applies. Either way the code is
what we write. The rate is read-only information QBO computes into
``TxnTaxDetail``: we report it on the taxable lines when one code covers all
of them, and never send it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from common.records import DocumentLine
from common.translation.money import tidy
from common.translation.reader import Reader

US_CODES = ("TAX", "NON")


def line_tax_rate(reader: Reader) -> Decimal | None:
    codes = {
        reader_line.get("SalesItemLineDetail", {}).get("TaxCodeRef", {}).get("value")
        for reader_line in reader.records("Line")
        if reader_line.get("DetailType") == "SalesItemLineDetail"
    }
    codes.discard(None)
    codes.discard("NON")
    tax_lines = reader.records("TxnTaxDetail.TaxLine")
    if len(codes) != 1 or not tax_lines:
        return None
    rates: list[Decimal] = []
    for position, tax_line in enumerate(tax_lines):
        detail = Reader(reader.entity, tax_line)
        detail.record_id = reader.record_id
        if detail.boolean("TaxLineDetail.PercentBased") is False:
            return None
        rate = detail.decimal("TaxLineDetail.TaxPercent")
        if rate is None:
            raise reader.fail(f"TxnTaxDetail.TaxLine[{position}]", "has no TaxPercent")
        rates.append(rate)
    return tidy(sum(rates, Decimal(0)))


def tax_code_for_qbo(
    line: DocumentLine, tax_codes: Mapping[str, str], *, us_tax: bool
) -> str | None:
    """The QBO TaxCode for a line: mapped, already a QBO code, or TAX/NON (US)."""
    code = line.tax_code
    if code is not None and code in tax_codes:
        return tax_codes[code]
    if code is not None and (code in US_CODES or code.isdigit()):
        return code
    if not us_tax or (code is None and line.tax_rate is None):
        return None
    taxed = line.tax_rate > 0 if line.tax_rate is not None else True
    return "TAX" if taxed else "NON"
