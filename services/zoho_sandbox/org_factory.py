"""Building a fresh org from a reset body: credentials derived from the seed,
data-centre domains, edition limits."""

from __future__ import annotations

import hashlib
from typing import Any

from .config import CONCURRENCY_BY_EDITION, CREDITS_BY_EDITION, credit_limit
from .errors import ZohoError
from .org import Org

DEFAULT_REDIRECT = "http://localhost:8080/oauth/zoho/callback"
LOCATIONS = ("us", "eu", "in", "au", "jp", "cn", "ca", "sa", "uk")


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def build_org(name: str, seed: int, body: dict[str, Any], base_url: str) -> Org:
    location = str(body.get("location", "us")).lower()
    edition = str(body.get("edition", "enterprise")).lower()
    if location not in LOCATIONS or edition not in CREDITS_BY_EDITION:
        raise ZohoError(400, "INVALID_DATA", "unknown location or edition", {})
    users = int(body.get("users", 10))
    digest = _digest(name, seed)
    prefix = str(5_000_000 + int(digest[:8], 16) % 4_000_000)
    limit = body.get("credit_limit", credit_limit(edition, users))
    return Org(
        name=name,
        location=location,
        time_zone=str(body.get("time_zone", "+05:30")),
        edition=edition,
        users=users,
        api_domain=str(body.get("api_domain", base_url)).rstrip("/"),
        accounts_server=str(body.get("accounts_server", base_url)).rstrip("/"),
        enforce_domain="api_domain" in body,
        client_id="1000." + digest[8:38].upper(),
        client_secret=digest[38:64] + _digest(digest)[:16],
        redirect_uri=str(body.get("redirect_uri", DEFAULT_REDIRECT)),
        user={
            "name": "Patricia Boyle",
            "id": f"{prefix}000000411001",
            "email": f"p.boyle@{name.lower()}.example",
            "zuid": str(70_000_000 + int(digest[:6], 16) % 9_000_000),
        },
        id_prefix=prefix,
        next_serial=2_000_000,
        concurrency=int(body.get("concurrency", CONCURRENCY_BY_EDITION[edition])),
        credit_limit=None if limit is None else int(limit),
    )
