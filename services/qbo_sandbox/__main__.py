"""python -m services.qbo_sandbox [--host H] [--port P] [--snapshot FILE]"""

from __future__ import annotations

import argparse
from pathlib import Path

from aiohttp import web

from services.qbo_sandbox.app import create_app
from services.qbo_sandbox.config import SandboxConfig


def main() -> None:
    parser = argparse.ArgumentParser(description="QuickBooks Online API v3 sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9082)
    parser.add_argument("--snapshot", type=Path, default=None)
    args = parser.parse_args()
    config = SandboxConfig(host=args.host, port=args.port, snapshot=args.snapshot)
    web.run_app(create_app(config), host=config.host, port=config.port)


if __name__ == "__main__":
    main()
