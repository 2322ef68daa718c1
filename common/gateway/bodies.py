"""Reading a webhook body with a size limit.

An oversized body is refused with 413, but only after the part the client
has already sent is read and thrown away (up to ``drain_limit``): answering
while the client is still writing makes many clients see a connection reset
instead of the 413, and the provider then retries as if we had failed.
"""

from __future__ import annotations

from aiohttp import web

CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    pass


async def read_limited(
    request: web.Request, limit: int, drain_limit: int | None = None
) -> bytes:
    drain_limit = drain_limit if drain_limit is not None else 8 * limit
    announced = request.content_length or 0
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size <= limit and announced <= limit:
            chunks.append(chunk)
        elif size > drain_limit:
            break  # past what we are willing to read just to say no
    if size > limit or announced > limit:
        raise BodyTooLarge(f"body over {limit} bytes")
    return b"".join(chunks)
