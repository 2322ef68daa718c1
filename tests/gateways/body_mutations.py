"""Seeded mutations of valid JSON bodies, for the webhook fuzz tests.

Each mutant is a valid body with one to three changes: a key dropped, a
value replaced by one of another JSON type, a value wrapped in a list, a
string renamed, a list doubled, a value replaced by deep nesting, or the
bytes cut short or spoiled. ``random.Random(seed)`` keeps every run the
same, so a failure names a body that can be replayed.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Sequence
from typing import Any

OTHER_VALUES: list[Any] = [None, True, 0, -1, 1.5, "", "x", "12345", [], {}, [1]]
DEPTHS = (3, 50, 900, 2_000, 20_000, 100_000)
RENAMES = ("Payment", "Bill", "Leads", "x", " ", "Delete", "qbo.payment.created.v1")
Path = tuple[Any, ...]


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def mutants(
    seeds: Sequence[Any],
    count: int,
    seed: int,
    protected: frozenset[str] = frozenset(),
) -> list[tuple[Any, bytes]]:
    """``count`` mutants as (the mutated value, its bytes). Strings under a
    ``protected`` key are never renamed: they identify who signed."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        box = {"root": copy.deepcopy(rng.choice(seeds))}
        deep_values: dict[str, int] = {}
        for _ in range(rng.randint(1, 3)):
            _mutate(rng, box, deep_values, protected)
        body = json.dumps(box["root"]).encode()
        for marker, depth in deep_values.items():
            body = body.replace(json.dumps(marker).encode(), deep(depth))
        out.append((box["root"], _spoil(rng, body)))
    return out


def _mutate(
    rng: random.Random,
    box: dict[str, Any],
    deep_values: dict[str, int],
    protected: frozenset[str],
) -> None:
    parent, key = rng.choice(_slots(box))
    value = parent[key]
    operations: list[Callable[[], None]] = [
        lambda: parent.__setitem__(key, _other_type(rng, value)),
        lambda: parent.__setitem__(key, [value]),
        lambda: _deepen(rng, parent, key, deep_values),
    ]
    if isinstance(parent, dict) and parent is not box:
        operations.append(lambda: parent.__delitem__(key))
    if isinstance(value, str) and key not in protected:
        operations.append(lambda: parent.__setitem__(key, rng.choice(RENAMES)))
    if isinstance(value, list):
        operations.append(lambda: parent.__setitem__(key, value + value))
    rng.choice(operations)()


def _slots(box: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Every (container, key) of the body, the root included."""
    slots: list[tuple[Any, Any]] = []
    stack: list[Any] = [box]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            slots.append((node, key))
            if isinstance(node[key], dict | list):
                stack.append(node[key])
    return slots


def _other_type(rng: random.Random, value: Any) -> Any:
    # A different type, never a different string: that would change who is
    # named (realm, channel) rather than the shape.
    choices = [v for v in OTHER_VALUES if type(v) is not type(value)]
    return copy.deepcopy(rng.choice(choices))


def _deepen(
    rng: random.Random, parent: Any, key: Any, deep_values: dict[str, int]
) -> None:
    marker = f"@deep{len(deep_values)}@"
    deep_values[marker] = rng.choice(DEPTHS)
    parent[key] = marker


def _spoil(rng: random.Random, body: bytes) -> bytes:
    roll = rng.random()
    if roll < 0.04:
        return body[: rng.randrange(len(body))]  # cut short
    if roll < 0.08:
        at = rng.randrange(len(body))
        return body[:at] + b"\xff\xfe" + body[at:]  # not UTF-8
    return body
