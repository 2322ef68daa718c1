"""What failed and why, without the record it happened to: the key that groups
dead letters by cause.

Two letters share a cause when they failed at the same stage (queue), with
the same error class, for the same reason once the record-specific parts are
taken out: the letter's own id and label (name, email), any email, id,
number or quoted value. "QBO customer 63 matches on email ann@x.example" and
"QBO customer 71 matches on email bo@y.example" are one cause. QBO's fault
codes ("QBO 2500") stay: they are the cause, not the record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

MASK = "…"
NUMBER = "#"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# A word with a digit in it (63, c2, Id=63's 63, 1200.50), unless it is a
# fault code or status ("QBO 2500", "code 6240", "HTTP 400").
WITH_DIGIT = re.compile(r"(?<!QBO )(?<!code )(?<!HTTP )\b[\w.-]*\d[\w.-]*\b")
NUMBER_LIST = re.compile(r"#(?:\s*,\s*#)+")
SPACES = re.compile(r"\s+")
LABEL_EMAIL = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^>]+)>$")


def cause_of(reason: str, letter: Mapping[str, Any] | None = None) -> str:
    """``reason`` with what names the record taken out."""
    text = reason
    for known in _record_specific(letter or {}):
        text = text.replace(known, MASK)
    text = EMAIL.sub(MASK, text)
    text = UUID.sub(NUMBER, text)
    text = QUOTED.sub(f'"{MASK}"', text)
    text = WITH_DIGIT.sub(NUMBER, text)
    text = NUMBER_LIST.sub(NUMBER, text)
    return SPACES.sub(" ", text).strip() or "(no reason given)"


def _record_specific(letter: Mapping[str, Any]) -> list[str]:
    """The letter's own label (whole, then name and email), then its id;
    longest first so a name is masked before a part of it."""
    found: list[str] = []
    label = str(letter.get("label") or "")
    if label:
        found.append(label)
        parts = LABEL_EMAIL.match(label)
        if parts:
            found += [parts["name"], parts["email"]]
    external_id = str(letter.get("external_id") or "")
    if external_id:
        found.append(external_id)
    # Very short values ("1", "Al") would mask unrelated words.
    return sorted((part for part in found if len(part) >= 3), key=len, reverse=True)


def group_key(error_class: str, queue: str, cause: str) -> str:
    """Stable across requests and processes: a digest of the three."""
    digest = hashlib.sha256(f"{error_class}\n{queue}\n{cause}".encode())
    return digest.hexdigest()[:16]


def key_of(letter: Mapping[str, Any]) -> tuple[str, str, str]:
    """(error class, queue, cause) of one letter."""
    cause = cause_of(str(letter.get("reason") or ""), letter)
    return str(letter.get("error_class") or ""), str(letter.get("queue") or ""), cause
