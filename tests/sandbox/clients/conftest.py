"""Runs the sandboxes for third-party client libraries, which are synchronous.

Each server runs on its own event loop in a background thread, so a test body
can call a blocking library (requests underneath) directly. The QBO sandbox
is served over HTTPS with a throw-away self-signed certificate, because
python-quickbooks talks through requests-oauthlib, which refuses to send a
bearer token over plain HTTP; requests is told to trust that certificate with
its standard `REQUESTS_CA_BUNDLE` variable, so no library setting changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.clients.support import BackgroundLoop, Tls, make_tls


@pytest.fixture
def background() -> Iterator[BackgroundLoop]:
    runner = BackgroundLoop()
    yield runner
    runner.close()


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tls:
    """A self-signed certificate for 127.0.0.1, trusted by requests."""
    found = make_tls(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(found.cert_file))
    return found
