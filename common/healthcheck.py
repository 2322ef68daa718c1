"""Container health probe: ``python -m common.healthcheck`` exits 0 when the
service named by $SERVICE answers /readyz on its configured port."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

from common.settings import Settings


def main() -> int:
    service = os.environ.get("SERVICE")
    if not service:
        print("SERVICE is not set", file=sys.stderr)
        return 2
    port = Settings().http_port(service)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3):
            return 0
    except (urllib.error.URLError, OSError) as exc:
        print(f"{service} not ready: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
