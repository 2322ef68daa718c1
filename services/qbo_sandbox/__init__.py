"""A local simulator of the QuickBooks Online Accounting API v3.

It shares no code with the project's services on purpose: a simulator built
on our own model would agree with our bugs instead of catching them.
"""

from services.qbo_sandbox.app import create_app
from services.qbo_sandbox.config import SandboxConfig

__all__ = ["SandboxConfig", "create_app"]
