"""Documents refer to their contact and products by id in their own system.

Sync space uses CRM ids; these functions translate a document's references
through the links and report the ones that have no complete link yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.matcher.model import Link

PARTY = {"crm": "contact", "qbo": "customer"}
PRODUCT = {"crm": "product", "qbo": "item"}


@dataclass(frozen=True)
class Dependency:
    system: str
    entity: str
    external_id: str

    @property
    def key(self) -> str:
        return f"{self.system}:{self.entity}:{self.external_id}"

    @property
    def kind(self) -> str:
        return "contact" if self.entity in ("contact", "customer") else "product"


def dependencies(system: str, document: dict[str, Any]) -> list[Dependency]:
    deps: list[Dependency] = []
    if document.get("party_id"):
        deps.append(Dependency(system, PARTY[system], document["party_id"]))
    for line in document.get("lines") or ():
        product_id = line.get("product_id")
        dep = Dependency(system, PRODUCT[system], product_id) if product_id else None
        if dep is not None and dep not in deps:
            deps.append(dep)
    return deps


def missing(deps: list[Dependency], links: dict[str, Link]) -> list[Dependency]:
    """``links`` by dependency key; a link still being created counts as missing."""
    return [d for d in deps if d.key not in links or not links[d.key].complete]


def translate(
    document: dict[str, Any], source: str, target: str, links: dict[str, Link]
) -> dict[str, Any]:
    """The document with its references as ids on ``target`` (all must be linked)."""
    if source == target:
        return document

    def other(entity: str, external_id: str | None) -> str | None:
        if external_id is None:
            return None
        return links[f"{source}:{entity}:{external_id}"].id_on(target)

    translated = dict(document)
    # Only references the document holds: one it does not carry stays unknown.
    if "party_id" in document:
        translated["party_id"] = other(PARTY[source], document["party_id"])
    if "lines" in document:
        translated["lines"] = [
            {**line, "product_id": other(PRODUCT[source], line.get("product_id"))}
            for line in document["lines"] or ()
        ]
    return translated
