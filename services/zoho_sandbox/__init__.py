"""A local simulator of the Zoho CRM REST API v8 (see README.md)."""

from .app import create_app
from .config import SandboxConfig

__all__ = ["SandboxConfig", "create_app"]
