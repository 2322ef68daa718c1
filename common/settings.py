"""Configuration from environment variables (one table in the README)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_PORTS = {
    "crm_gateway": 8081,
    "qbo_gateway": 8082,
    "matcher": 8083,
    "scheduler": 8084,
    "admin": 8085,  # the operator's console: HTTP API and dashboard
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    mongodb_url: SecretStr | None = None  # unset: the embedded nx-27017 server
    mongodb_database: str = "zoho_qbo_sync"
    data_dir: Path = Path("var")
    secret_key: SecretStr | None = None  # Fernet key; required once tokens are stored
    secret_key_previous: SecretStr | None = None  # accepted for decryption only
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console", "auto"] = "auto"

    http_host: str = "127.0.0.1"
    crm_gateway_port: int = SERVICE_PORTS["crm_gateway"]
    qbo_gateway_port: int = SERVICE_PORTS["qbo_gateway"]
    matcher_port: int = SERVICE_PORTS["matcher"]
    scheduler_port: int = SERVICE_PORTS["scheduler"]
    admin_port: int = SERVICE_PORTS["admin"]
    # The console's token. Unset: the console makes one in DATA_DIR/admin_token
    # (mode 0600) and `make run` prints it.
    admin_token: SecretStr | None = None
    # `make run` only: where the two API sandboxes listen
    zoho_sandbox_port: int = 9081
    qbo_sandbox_port: int = 9082

    bus_exchange: str = "sync"
    bus_prefix: str = ""  # isolates queue and exchange names (tests, tenants)
    bus_queue_type: Literal["classic", "quorum"] = "classic"
    bus_prefetch: int = Field(default=32, ge=1, le=1000)
    bus_confirm_timeout: float = Field(default=10.0, gt=0)
    bus_max_attempts: int = Field(default=6, ge=1)
    bus_retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0)

    # QuickBooks Online: the app's OAuth credentials and the API's limits
    qbo_client_id: str | None = None
    qbo_client_secret: SecretStr | None = None
    qbo_redirect_uri: str = "http://127.0.0.1:8082/oauth/qbo/callback"
    qbo_authorize_url: str = "https://appcenter.intuit.com/connect/oauth2"
    qbo_token_url: str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    qbo_api_base: str = "https://quickbooks.api.intuit.com"
    qbo_webhook_verifier_token: SecretStr | None = None
    qbo_requests_per_minute: float = Field(default=500, gt=0)
    qbo_concurrency: int = Field(default=10, ge=1)
    qbo_batch_per_minute: float = Field(default=40, gt=0)
    qbo_throttle_pause: float = Field(default=60.0, ge=0)

    # Zoho CRM: the app's OAuth credentials (API console), limits, callbacks
    zoho_client_id: str | None = None
    zoho_client_secret: SecretStr | None = None
    zoho_redirect_uri: str = "http://127.0.0.1:8081/oauth/zoho/callback"
    zoho_accounts_url: str = "https://accounts.zoho.com"
    zoho_requests_per_minute: float = Field(default=1200, gt=0)
    zoho_concurrency: int = Field(default=20, ge=1)
    crm_gateway_public_url: str | None = None

    write_linger_seconds: float = Field(default=0.25, ge=0)
    backfill_page_size: int = Field(default=1000, ge=1, le=1000)
    poll_interval_seconds: float = Field(default=60.0, gt=0)

    def http_port(self, service: str) -> int:
        port: int = getattr(self, f"{service}_port")
        return port
