"""Intuit's webhook signature, checked on the raw bytes before any parsing.

``intuit-signature`` = base64(HMAC-SHA256(verifier token, body)). The token
is stored per connection, and the realm that would pick the connection is
inside the body; rather than read an unauthenticated body to find it, the
bytes are checked against every connection's token (in constant time) and
only a body that some connection signed is parsed at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict

from common.connections import Connection, Connections


def signature_of(verifier_token: str, body: bytes) -> str:
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_by(verifier_token: str, body: bytes, signature: str) -> bool:
    expected = signature_of(verifier_token, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


async def signers(
    connections: Connections, body: bytes, signature: str
) -> list[Connection]:
    """The QBO connections whose verifier token produced ``signature``."""
    by_token: dict[str, list[Connection]] = defaultdict(list)
    for connection in await connections.all():
        token = connection.qbo.verifier_token if connection.qbo else None
        if token is not None:
            by_token[token.get_secret_value()].append(connection)
    return [
        connection
        for token, holders in by_token.items()
        if signed_by(token, body, signature)
        for connection in holders
    ]
