"""The `make run` demo's own state: where its sandboxes answer, and a
newcomer's API access to them that never disturbs the demo.

The demo tenant's connection holds the gateways' tokens; handing those out
would let a person's token refresh rotate them from under the gateways. So
when the demo is seeded, a second OAuth grant is made on each sandbox (both
approve at once, as a person clicking "Connect" would), and its refresh
tokens are kept, encrypted, in ``DATA_DIR/demo.json``. `syncctl demo
credentials` turns them into fresh access tokens whenever asked.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
from cryptography.fernet import Fernet
from pydantic import SecretStr

from common.crypto import TokenCipher
from common.settings import Settings

STATE_FILE = "demo.json"
KEY_FILE = "secret_key"
NEWCOMER_REDIRECT = "http://127.0.0.1/demo-newcomer"  # never visited
QBO_SCOPE = "com.intuit.quickbooks.accounting"
ZOHO_SCOPE = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL"
ZOHO_API_PATH = "/crm/v8"


class DemoMissing(Exception):
    """No demo has been seeded in this DATA_DIR (run `make run` first)."""


def development_secret_key(data_dir: Path) -> str:
    """`make run` on a laptop: a key kept under DATA_DIR, made on first use.

    Deployments set SECRET_KEY themselves; losing this file only means the
    local connections must be authorised again.
    """
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
        print(f"SECRET_KEY not set: generated a development key in {path}", flush=True)
    return path.read_text().strip()


def _cipher(settings: Settings) -> TokenCipher:
    key = settings.secret_key
    if key is None:
        key_file = Path(settings.data_dir) / KEY_FILE
        if not key_file.exists():
            raise DemoMissing(f"no demo key in {key_file}: run `make run` first")
        key = SecretStr(key_file.read_text().strip())
    return TokenCipher(key, settings.secret_key_previous)


@dataclass(frozen=True)
class DemoFiles:
    data_dir: Path

    @property
    def state(self) -> Path:
        return self.data_dir / STATE_FILE

    @property
    def sandboxes(self) -> Path:
        return self.data_dir / "sandboxes"

    def snapshot(self, sandbox: str) -> Path:
        return self.sandboxes / f"{sandbox}.json"

    def complete(self) -> bool:
        """A demo to resume: its state and both sandboxes' snapshots are here."""
        return self.state.exists() and all(
            self.snapshot(name).exists() for name in ("zoho_sandbox", "qbo_sandbox")
        )

    def forget(self) -> None:
        self.state.unlink(missing_ok=True)
        for name in ("zoho_sandbox", "qbo_sandbox"):
            self.snapshot(name).unlink(missing_ok=True)


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2))
    temporary.chmod(0o600)
    os.replace(temporary, path)


# -- seeding: a newcomer's grant on each sandbox --------------------------------
async def _authorised_code(http: aiohttp.ClientSession, url: str) -> dict[str, str]:
    async with http.get(url, allow_redirects=False) as response:
        location = response.headers.get("Location")
        if response.status != 302 or not location:
            raise RuntimeError(f"sandbox consent answered {response.status}")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    if "code" not in answer:
        raise RuntimeError(f"sandbox consent refused: {answer}")
    return answer


async def newcomer_grants(
    http: aiohttp.ClientSession, zoho: dict[str, Any], qbo: dict[str, Any]
) -> dict[str, str]:
    """A second grant on each sandbox; returns their refresh tokens."""
    zoho_code = await _authorised_code(
        http,
        f"{zoho['accounts_server']}/oauth/v2/auth?"
        + _query(
            client_id=zoho["client_id"],
            response_type="code",
            access_type="offline",
            scope=ZOHO_SCOPE,
            redirect_uri=zoho["redirect_uri"],
        ),
    )
    async with http.post(
        f"{zoho['accounts_server']}/oauth/v2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": zoho["client_id"],
            "client_secret": zoho["client_secret"],
            "redirect_uri": zoho["redirect_uri"],
            "code": zoho_code["code"],
        },
    ) as response:
        zoho_tokens = await response.json()
    qbo_code = await _authorised_code(
        http,
        f"{qbo['authorize_url']}?"
        + _query(
            client_id=qbo["client_id"],
            response_type="code",
            scope=QBO_SCOPE,
            redirect_uri=NEWCOMER_REDIRECT,
            state="demo",
            realmId=qbo["realm_id"],
        ),
    )
    async with http.post(
        qbo["token_url"],
        auth=aiohttp.BasicAuth(qbo["client_id"], qbo["client_secret"]),
        data={
            "grant_type": "authorization_code",
            "code": qbo_code["code"],
            "redirect_uri": NEWCOMER_REDIRECT,
        },
    ) as response:
        qbo_tokens = await response.json()
    for side, tokens in (("Zoho", zoho_tokens), ("QBO", qbo_tokens)):
        if "refresh_token" not in tokens:
            raise RuntimeError(f"{side} sandbox gave no refresh token: {tokens}")
    return {"zoho": zoho_tokens["refresh_token"], "qbo": qbo_tokens["refresh_token"]}


def _query(**params: str) -> str:
    return urlencode(params)


def save_state(
    settings: Settings,
    tenant: str,
    zoho: dict[str, Any],
    qbo: dict[str, Any],
    refresh_tokens: dict[str, str],
) -> Path:
    cipher = _cipher(settings)
    files = DemoFiles(Path(settings.data_dir))
    _write_private(
        files.state,
        {
            "tenant": tenant,
            "zoho": {
                "org": zoho["org"],
                "api_domain": zoho["api_domain"],
                "accounts_server": zoho["accounts_server"],
                "client_id": zoho["client_id"],
                "client_secret": cipher.encrypt(zoho["client_secret"]),
                "refresh_token": cipher.encrypt(refresh_tokens["zoho"]),
            },
            "qbo": {
                "realm_id": qbo["realm_id"],
                "company_name": qbo.get("company_name"),
                "base_url": qbo["base_url"],
                "token_url": qbo["token_url"],
                "client_id": qbo["client_id"],
                "client_secret": cipher.encrypt(qbo["client_secret"]),
                "refresh_token": cipher.encrypt(refresh_tokens["qbo"]),
            },
        },
    )
    return files.state


# -- `syncctl demo credentials` --------------------------------------------------
@dataclass(frozen=True)
class Credentials:
    tenant: str
    zoho_api: str
    zoho_token: str
    qbo_api: str
    qbo_token: str
    qbo_company: str


async def fresh_credentials(settings: Settings) -> Credentials:
    """Fresh access tokens from the newcomer's grants (rotated ones are kept)."""
    files = DemoFiles(Path(settings.data_dir))
    if not files.state.exists():
        raise DemoMissing(
            f"no demo in {files.state}: start it with `make run` (in this folder)"
        )
    state = json.loads(files.state.read_text())
    cipher = _cipher(settings)
    zoho, qbo = state["zoho"], state["qbo"]
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=10)
        ) as http:
            zoho_answer = await _refresh_zoho(http, zoho, cipher)
            qbo_answer = await _refresh_qbo(http, qbo, cipher)
    except aiohttp.ClientConnectionError as exc:
        raise DemoMissing(
            f"the demo sandboxes do not answer ({exc}): is `make run` running?"
        ) from exc
    if qbo_answer.get("refresh_token"):  # Intuit rotates refresh tokens
        qbo["refresh_token"] = cipher.encrypt(qbo_answer["refresh_token"])
        _write_private(files.state, state)
    return Credentials(
        tenant=state["tenant"],
        zoho_api=zoho_answer.get("api_domain", zoho["api_domain"]) + ZOHO_API_PATH,
        zoho_token=zoho_answer["access_token"],
        qbo_api=f"{qbo['base_url']}/v3/company/{qbo['realm_id']}",
        qbo_token=qbo_answer["access_token"],
        qbo_company=str(qbo.get("company_name") or qbo["realm_id"]),
    )


async def _refresh_zoho(
    http: aiohttp.ClientSession, zoho: dict[str, Any], cipher: TokenCipher
) -> dict[str, Any]:
    async with http.post(
        f"{zoho['accounts_server']}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": zoho["client_id"],
            "client_secret": cipher.decrypt(zoho["client_secret"]),
            "refresh_token": cipher.decrypt(zoho["refresh_token"]),
        },
    ) as response:
        answer: dict[str, Any] = await response.json()
    if "access_token" not in answer:
        raise DemoMissing(f"the Zoho sandbox refused the demo's grant: {answer}")
    return answer


async def _refresh_qbo(
    http: aiohttp.ClientSession, qbo: dict[str, Any], cipher: TokenCipher
) -> dict[str, Any]:
    async with http.post(
        qbo["token_url"],
        auth=aiohttp.BasicAuth(qbo["client_id"], cipher.decrypt(qbo["client_secret"])),
        data={
            "grant_type": "refresh_token",
            "refresh_token": cipher.decrypt(qbo["refresh_token"]),
        },
        headers={"Accept": "application/json"},
    ) as response:
        answer: dict[str, Any] = await response.json()
    if "access_token" not in answer:
        raise DemoMissing(f"the QBO sandbox refused the demo's grant: {answer}")
    return answer


async def credentials_text(*, shell: bool, settings: Settings | None = None) -> str:
    found = await fresh_credentials(settings or Settings())
    if shell:
        return "\n".join(
            f"export {name}={value}"
            for name, value in (
                ("ZOHO_API", found.zoho_api),
                ("ZOHO_TOKEN", found.zoho_token),
                ("QBO_API", found.qbo_api),
                ("QBO_TOKEN", found.qbo_token),
            )
        )
    return (
        f"demo tenant {found.tenant!r}; access tokens last one hour, ask again "
        "for new ones\n"
        f"Zoho CRM   API {found.zoho_api}\n"
        f"           header  Authorization: Zoho-oauthtoken {found.zoho_token}\n"
        f"QuickBooks API {found.qbo_api}  ({found.qbo_company})\n"
        f"           header  Authorization: Bearer {found.qbo_token}\n"
        'As shell variables: eval "$(syncctl demo credentials --shell)"'
    )
