"""The matcher's decisions, called directly with plain values: no store, no
bus, no awaits (``services/matcher/decide.py``)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from common.connection_settings import ConflictPolicy, ConnectionSettings
from common.errors import PermanentError
from services.matcher import decide, identity
from services.matcher.decide import Audit, Decision, Write
from services.matcher.fields import values_hash
from services.matcher.merge import Conflict, Side
from services.matcher.model import Link, PendingWrite
from services.matcher.ports import StaleWrite

pytestmark = pytest.mark.unit

T1, T2, T3, T4 = (f"2025-01-01T00:00:0{n}.000000Z" for n in range(1, 5))
BASE = {"first_name": "Ann", "email": "ann@x.co", "phone": "1"}
KEYS = {"crm": "key-crm", "qbo": "key-qbo"}
SETTINGS = ConnectionSettings()


def linked(
    base: dict[str, Any] = BASE,
    *,
    pending: dict[str, PendingWrite] | None = None,
    rev: int = 1,
) -> Link:
    return Link(
        id="t|contact|crm|c1",
        tenant="t",
        kind="contact",
        crm_id="c1",
        qbo_id="q1",
        base=dict(base),
        base_hash=values_hash(base),
        pending=pending or {},
        rev=rev,
    )


def reconcile(
    link: Link,
    mine: Side,
    theirs: Side,
    *,
    settings: ConnectionSettings = SETTINGS,
    forced: bool = False,
) -> Decision:
    return decide.reconcile(link, mine, theirs, settings, forced=forced, keys=KEYS)


# -- a linked pair ----------------------------------------------------------------


def test_an_edit_goes_to_the_other_side_only() -> None:
    mine = Side("crm", {**BASE, "phone": "2"}, T2)
    link = linked().model_copy(update={"reason": "refused before"})
    decision = reconcile(link, mine, Side("qbo", BASE, T1))
    assert decision.writes == (Write("qbo", {"phone": "2"}),)
    assert decision.link is not None
    assert decision.link.base == {**BASE, "phone": "2"}
    assert decision.link.base_hash == values_hash({**BASE, "phone": "2"})
    assert (decision.link.state, decision.link.reason) == ("linked", None)
    # Waiting for the write: what it changes, and what was agreed before.
    assert decision.link.pending == {
        "qbo": PendingWrite(
            key="key-qbo", fields={"phone": "2"}, prior={"phone": "1"}, at=T2
        )
    }
    assert decision.audit == Audit(
        action="update",
        direction="crm→qbo",
        fields=["phone"],
        before={"phone": "1"},
        after={"phone": "2"},
    )
    assert (decision.echo, decision.full, decision.conflicts) == (False, False, ())


def test_our_own_write_coming_back_is_an_echo_that_confirms_it() -> None:
    agreed = {**BASE, "phone": "2"}
    sent = PendingWrite(key="k", fields={"phone": "2"}, prior={"phone": "1"}, at=T2)
    link = linked(agreed, pending={"qbo": sent})
    echo = Side("qbo", agreed, T3)

    decision = reconcile(link, echo, Side("crm", agreed, T2))

    assert decision.echo
    assert decision.writes == ()
    assert decision.audit is None
    assert decision.link is not None
    assert decision.link.pending == {}  # confirmed
    assert decision.link.base == agreed
    assert decide.echo(link, echo, forced=False) == decision


def test_an_echo_with_nothing_waiting_saves_nothing() -> None:
    assert decide.echo(linked(), Side("crm", BASE, T2), forced=False) == Decision(
        link=None, echo=True
    )


def test_a_forced_sync_is_never_an_echo() -> None:
    assert decide.echo(linked(), Side("crm", BASE, T2), forced=True) is None


def test_edits_on_both_sides_go_to_the_latest() -> None:
    mine = Side("crm", {**BASE, "phone": "2"}, T3)

    crm_later = reconcile(linked(), mine, Side("qbo", {**BASE, "phone": "3"}, T2))
    assert crm_later.writes == (Write("qbo", {"phone": "2"}),)
    assert crm_later.conflicts == (
        Conflict("phone", base="1", crm="2", qbo="3", winner="crm", policy="latest"),
    )

    qbo_later = reconcile(linked(), mine, Side("qbo", {**BASE, "phone": "3"}, T4))
    # QBO's value wins: nothing goes to QBO, CRM gets QBO's value back.
    assert qbo_later.writes == (Write("crm", {"phone": "3"}),)
    assert qbo_later.link is not None
    assert qbo_later.link.pending["crm"].at == T4
    assert qbo_later.audit is not None
    assert qbo_later.audit.conflicts == [
        {
            "field": "phone",
            "base": "1",
            "crm": "2",
            "qbo": "3",
            "winner": "qbo",
            "policy": "latest",
        }
    ]


def test_a_field_policy_settles_a_conflict_whatever_the_times() -> None:
    settings = ConnectionSettings(conflict=ConflictPolicy(fields={"phone": "crm_wins"}))
    mine = Side("crm", {**BASE, "phone": "2"}, T1)
    theirs = Side("qbo", {**BASE, "phone": "3"}, T4)
    decision = reconcile(linked(), mine, theirs, settings=settings)
    assert decision.writes == (Write("qbo", {"phone": "2"}),)
    assert [(c.winner, c.policy) for c in decision.conflicts] == [("crm", "crm_wins")]


def test_a_write_to_us_not_confirmed_yet_is_their_change() -> None:
    # We sent QBO's phone "2" to CRM; before it landed, a person in CRM set
    # "5" over the "1" they saw. That is a conflict (not an edit of "2"),
    # and CRM must get the winner too: our "2" may land after their "5".
    on_its_way = PendingWrite(
        key="k", fields={"phone": "2"}, prior={"phone": "1"}, at=T2
    )
    link = linked({**BASE, "phone": "2"}, pending={"crm": on_its_way})
    mine = Side("crm", {**BASE, "phone": "5"}, T3)

    decision = reconcile(link, mine, Side("qbo", {**BASE, "phone": "2"}, T2))

    assert [(c.field, c.base, c.winner) for c in decision.conflicts] == [
        ("phone", "1", "crm")
    ]
    assert decision.writes == (
        Write("qbo", {"phone": "5"}),
        Write("crm", {"phone": "5"}),
    )
    assert decision.link is not None
    assert decision.link.pending["crm"].key == "key-crm"  # the new write's


def test_a_write_to_us_stands_for_their_record_not_read_yet() -> None:
    on_its_way = PendingWrite(
        key="k", fields={"phone": "2"}, prior={"phone": "1"}, at=T2
    )
    link = linked({**BASE, "phone": "2"}, pending={"crm": on_its_way})
    mine = Side("crm", {**BASE, "phone": "5"}, T3)

    decision = reconcile(link, mine, Side("qbo", {}, ""))  # nothing read yet

    assert [(c.field, c.qbo, c.winner) for c in decision.conflicts] == [
        ("phone", "2", "crm")
    ]


def test_a_write_to_us_not_confirmed_yet_is_as_recent_as_their_change() -> None:
    # QBO's phone "2" (changed at T4) is on its way to CRM; QBO's record was
    # last read at T2. A CRM edit made at T3 loses to the change made at T4.
    on_its_way = PendingWrite(
        key="k", fields={"phone": "2"}, prior={"phone": "1"}, at=T4
    )
    link = linked({**BASE, "phone": "2"}, pending={"crm": on_its_way})
    mine = Side("crm", {**BASE, "phone": "5"}, T3)

    decision = reconcile(link, mine, Side("qbo", {**BASE, "phone": "2"}, T2))

    assert [(c.field, c.winner) for c in decision.conflicts] == [("phone", "qbo")]
    assert decision.writes == ()  # the "2" on its way is the winner already
    assert decision.audit is not None
    assert decision.audit.action == "update"  # the conflict is on record


def test_a_write_to_them_not_confirmed_yet_is_what_they_hold() -> None:
    # Our phone "2" is on its way to QBO, whose record as last read still
    # says "1": that "1" is not their edit, so it never comes back to CRM.
    on_its_way = PendingWrite(
        key="k", fields={"phone": "2"}, prior={"phone": "1"}, at=T2
    )
    link = linked({**BASE, "phone": "2"}, pending={"qbo": on_its_way})
    mine = Side("crm", {**BASE, "phone": "2", "email": "ann@y.co"}, T3)

    decision = reconcile(link, mine, Side("qbo", BASE, T1))

    assert decision.writes == (Write("qbo", {"email": "ann@y.co"}),)
    assert decision.conflicts == ()
    assert decision.link is not None
    assert decision.link.base["phone"] == "2"


def test_a_field_one_side_does_not_carry_is_never_cleared() -> None:
    base = {**BASE, "company_name": "Acme"}
    mine = Side("crm", {**BASE, "phone": "2"}, T2)  # no company_name: not carried
    decision = reconcile(linked(base), mine, Side("qbo", base, T1))
    assert decision.writes == (Write("qbo", {"phone": "2"}),)
    assert decision.link is not None
    assert decision.link.base["company_name"] == "Acme"


def test_a_forced_sync_sends_this_side_in_full_and_nothing_back() -> None:
    theirs = Side("qbo", {**BASE, "phone": "9"}, T3)
    decision = reconcile(linked(), Side("crm", BASE, T2), theirs, forced=True)
    assert decision.full
    assert decision.writes == (Write("qbo", BASE),)
    assert decision.conflicts == ()
    assert decision.audit is not None
    assert decision.audit.action == "force_sync"


def test_a_first_link_with_nothing_to_write_is_audited_as_linked() -> None:
    first = Link(id="L", tenant="t", kind="contact", crm_id="c1", qbo_id="q1")
    decision = reconcile(first, Side("crm", BASE, T2), Side("qbo", BASE, T1))
    assert decision.writes == ()
    assert decision.audit == Audit(
        action="link", direction="crm→qbo", fields=[], after={}
    )
    assert decision.link is not None
    assert decision.link.base == BASE
    assert decision.link.state == "linked"
    # A first link that writes is an update like any other.
    differs = Side("qbo", {**BASE, "phone": "3"}, T1)
    first_write = reconcile(first, Side("crm", BASE, T2), differs)
    assert first_write.audit is not None
    assert first_write.audit.action == "update"
    # Once saved (rev > 0), agreeing again is not worth an audit entry.
    again = reconcile(
        first.model_copy(update={"rev": 1}),
        Side("crm", BASE, T2),
        Side("qbo", BASE, T1),
    )
    assert again.audit is None


# -- a record without a link -----------------------------------------------------


def test_nothing_matches_so_it_is_created_on_the_other_side() -> None:
    values = {"email": "ann@x.co", "phone": "1"}
    decision = decide.create(
        "t", "contact", "c1", Side("crm", values, T1), active=True, key="k"
    )
    assert decision.link == Link(
        id="t|contact|crm|c1",
        tenant="t",
        kind="contact",
        crm_id="c1",
        state="creating",
        base=values,
        base_hash=values_hash(values),
        pending={"qbo": PendingWrite(key="k", create=True, fields=values, at=T1)},
    )
    assert decision.writes == (Write("qbo", values),)
    assert decision.audit == Audit(
        action="create",
        direction="crm→qbo",
        fields=["email", "phone"],
        after=values,
        reason="no QBO customer matches",
    )
    from_qbo = decide.create(
        "t", "product", "i1", Side("qbo", {}, T1), active=None, key="k"
    )
    assert from_qbo.writes == (Write("crm", {}),)
    assert from_qbo.audit is not None
    assert from_qbo.audit.reason == "no CRM product matches"


def test_an_inactive_record_never_synced_is_not_created() -> None:
    decision = decide.create(
        "t", "contact", "c1", Side("crm", BASE, T1), active=False, key="k"
    )
    assert decision == Decision(link=None)


def test_a_record_without_its_match_key_is_refused() -> None:
    assert decide.missing_key("contact", None, None) == "missing email"
    assert decide.missing_key("product", None, None) == "missing name"
    assert decide.missing_key("vendor", None, "ink") is None  # found by name
    assert decide.missing_key("invoice", None, None) is None  # documents: created


def matched(resolution: identity.Resolution) -> Link | None:
    return decide.matched("t", "contact", "crm", "c1", resolution, key="ann@x.co")


def test_one_match_links_and_none_means_create() -> None:
    assert matched(identity.LinkTo("q1")) == Link(
        id="t|contact|crm|c1", tenant="t", kind="contact", crm_id="c1", qbo_id="q1"
    )
    assert matched(identity.Create()) is None


def test_a_match_being_created_from_us_is_adopted_as_a_first_sync() -> None:
    theirs = Link(
        id="t|contact|qbo|q1",
        tenant="t",
        kind="contact",
        qbo_id="q1",
        state="creating",
        base={"email": "ann@x.co"},
        base_hash="h",
        pending={
            "crm": PendingWrite(key="k", create=True, fields={"email": "ann@x.co"})
        },
    )
    adopted = matched(identity.Adopt(theirs))
    assert adopted is not None
    assert (adopted.id, adopted.crm_id, adopted.qbo_id) == (
        "t|contact|qbo|q1",
        "c1",
        "q1",
    )
    assert adopted.state == "linked"
    assert (adopted.base, adopted.base_hash) == ({}, None)  # nothing agreed yet
    assert adopted.pending == {"crm": PendingWrite(key="k", create=True)}


def test_a_shared_or_taken_match_is_refused_with_a_reason() -> None:
    with pytest.raises(PermanentError) as shared:
        matched(identity.Ambiguous(("12", "57")))
    assert shared.value.reason == "email ann@x.co is shared by QBO customers 12, 57"
    with pytest.raises(PermanentError) as taken:
        matched(identity.Taken(other_id="63", linked_to="c7"))
    assert taken.value.reason == (
        "QBO customer 63 matches on ann@x.co but is linked already to CRM contact c7"
    )


def test_a_match_linked_to_this_very_record_meanwhile_goes_again() -> None:
    with pytest.raises(StaleWrite):
        matched(identity.Taken(other_id="63", linked_to="c1"))


# -- a link's state --------------------------------------------------------------


def test_which_links_are_dropped_or_left_alone() -> None:
    half = Link(id="L", tenant="t", kind="contact", crm_id="c1", state="failed")
    assert decide.obsolete(half)
    assert not decide.obsolete(linked().model_copy(update={"state": "failed"}))
    assert decide.waiting(half.model_copy(update={"state": "creating"}))
    assert decide.waiting(linked().model_copy(update={"state": "voided"}))
    assert not decide.waiting(linked())


def test_deciding_awaits_nothing() -> None:
    own = [
        value
        for value in vars(decide).values()
        if inspect.isfunction(value) and value.__module__ == decide.__name__
    ]
    assert own
    assert not [f.__name__ for f in own if inspect.iscoroutinefunction(f)]
