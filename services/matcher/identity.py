"""Identity resolution for a record without a link (DESIGN §5 step 3)."""

from __future__ import annotations

from dataclasses import dataclass

from services.matcher.model import Link, MirrorEntry


@dataclass(frozen=True)
class Create:
    pass


@dataclass(frozen=True)
class LinkTo:
    other_id: str


@dataclass(frozen=True)
class Adopt:
    """The match is being created on our side from theirs: that is us."""

    link: Link


@dataclass(frozen=True)
class Ambiguous:
    other_ids: tuple[str, ...]


@dataclass(frozen=True)
class Taken:
    other_id: str
    linked_to: str


Resolution = Create | LinkTo | Adopt | Ambiguous | Taken


def resolve(
    system: str, candidates: list[MirrorEntry], links: dict[str, Link]
) -> Resolution:
    """Exactly one match links, several is ambiguous, none means create.

    ``links`` holds the candidates' links by their id. A candidate whose link
    waits for a create on our side is adopted instead (two sides created the
    same record at once); one linked to another record of ours is taken.
    """
    live = [c for c in candidates if not c.deleted and c.record is not None]
    if not live:
        return Create()
    if len(live) > 1:
        return Ambiguous(tuple(sorted(c.external_id for c in live)))
    other_id = live[0].external_id
    link = links.get(other_id)
    if link is None:
        return LinkTo(other_id)
    ours = link.id_on(system)
    if ours is None:
        return Adopt(link)
    return Taken(other_id, ours)
