"""What both gateways require of a document's lines before writing them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from common.records import DocumentLine


def linked_lines(
    lines: Sequence[DocumentLine], *, document: str, record_id: str | None
) -> Iterator[DocumentLine]:
    """Each line, in order. A line without a product id is
    refused: the matcher writes a document only once every line's product is
    linked, so one here is a defect upstream, not a line to drop."""
    for position, line in enumerate(lines, start=1):
        if not line.product_id:
            raise ValueError(
                f"{document} {record_id or '(new)'}: line {position}: no product id "
                "(every line's product must be linked before the document is written)"
            )
        yield line
