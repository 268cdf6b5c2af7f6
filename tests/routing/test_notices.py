"""Every notice the engine emits is listed in `Notice`, documented, and carries exactly its documented context."""

from __future__ import annotations

import json

import pytest

from routing.model import COMMON_CONTEXT, NOTICE_CONTEXT, Decision, EventKind, ItemKind, Notice, Notify
from tests.routing.helpers import BEA, DEE, FAY, LEE, LOU, MO, NOBODY, OTTO, SAM, SUE, act, ask, org, protocol_named


def scenarios(protocol) -> list[Decision]:
    """A tour of the engine: every kind of move at least once."""
    d = org()
    out: list[Decision] = []

    def keep(decision: Decision) -> Decision:
        out.append(decision)
        return decision

    q = keep(ask(d, protocol, MO)).state
    keep(act(q, d, protocol, EventKind.REMINDER_DUE, None, at=q.remind_at))
    q2 = keep(act(q, d, protocol, EventKind.DEADLINE_PASSED, None, at=q.deadline_at)).state  # shared by two leads
    keep(act(q2, d, protocol, EventKind.REMINDER_DUE, None, at=q2.remind_at))
    q2 = keep(act(q2, d, protocol, EventKind.TAKEN, LEE)).state
    q3 = keep(act(q2, d, protocol, EventKind.REASSIGNED, LEE, target_id=LOU)).state
    keep(act(q3, d, protocol, EventKind.ANSWERED, LOU, text="Answer"))
    last = keep(ask(d, protocol, LEE)).state
    keep(act(last, d, protocol, EventKind.DEADLINE_PASSED, None, at=last.deadline_at))
    keep(ask(d, protocol, NOBODY))
    keep(act(None, d, protocol, EventKind.REDIRECTED, MO, requester_id=DEE, item_kind=ItemKind.DISTRICT))
    keep(act(keep(ask(d, protocol, MO)).state, d, protocol, EventKind.WITHDRAWN, MO))
    district = keep(ask(d, protocol, DEE, ItemKind.DISTRICT)).state
    keep(act(district, d, protocol, EventKind.CONVERTED, FAY, topics=("Data",)))

    t = keep(ask(d, protocol, DEE, ItemKind.TRAINING, topics=("Data", "Technology"))).state
    keep(act(t, d, protocol, EventKind.MATCHED, FAY, candidate_id=MO))
    t2 = keep(act(t, d, protocol, EventKind.ESCALATED, FAY)).state
    keep(act(t2, d, protocol, EventKind.OFFERED, OTTO, candidate_id=BEA))  # a member of his team
    t3 = keep(act(t2, d, protocol, EventKind.DECLINED, OTTO)).state
    won = keep(act(t3, d, protocol, EventKind.OFFERED, SAM, days=2)).state
    keep(act(won, d, protocol, EventKind.OFFERED, SUE))
    while t3.is_open:
        decision = keep(act(t3, d, protocol, EventKind.DEADLINE_PASSED, None, at=t3.deadline_at))
        if decision.state.tier == t3.tier:
            break
        t3 = decision.state
    return out


ALL = [n for name in ("missouri", "linked-teams") for dec in scenarios(protocol_named(name)) for n in dec.notices]


def test_every_notice_is_emitted_somewhere_and_documented():
    emitted = {n.template for n in ALL}
    assert emitted == set(Notice), f"never emitted: {set(Notice) - emitted}"
    assert set(NOTICE_CONTEXT) == set(Notice)
    for notice in Notice:
        assert f"- {notice.value}" in Notice.__doc__ or f"/ {notice.value}" in Notice.__doc__, notice


@pytest.mark.parametrize("notice", list(Notice))
def test_each_context_has_exactly_the_documented_keys_and_is_json(notice):
    found: list[Notify] = [n for n in ALL if n.template is notice]
    assert found
    for n in found:
        assert set(n.context) == set(COMMON_CONTEXT) | set(NOTICE_CONTEXT[notice])
        json.dumps(dict(n.context))


def test_contexts_carry_names_not_just_ids():
    (assigned, *_) = [n for n in ALL if n.template is Notice.ITEM_ASSIGNED]
    assert assigned.context["owner_name"] == "Fay Facilitator" and assigned.context["asker_name"] == "Mo Member"
    assert assigned.context["kind_label"] and assigned.context["tier_label"]
