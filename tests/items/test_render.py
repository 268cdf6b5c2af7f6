"""Every notice, card, modal and Home view renders to valid Block Kit within Slack's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.ids import Block, Callback
from bot.items import cards as render
from bot.items.modals import ask_choices, ask_modal, note_modal, offer_modal, reassign_modal
from bot.slack.manifest import manifest
from bot.slack.replies import message_modal
from routing.directory import Directory, District, Membership, NetworkRole, Person, Role, Team
from routing.matching import Candidate
from routing.model import NOTICE_CONTEXT, Ask, ItemKind, ItemState, Notice, Status
from routing.network import Elsewhere
from routing.protocol_file import load_protocol
from tests.blockkit import check_message, check_view

PROTOCOL = load_protocol()
NOW = datetime(2026, 11, 16, 16, 0, tzinfo=UTC)
DIRECTORY = Directory.build(
    people=[
        Person(1, "Fay Facilitator", "fay@x.example", "UFAY"),
        Person(2, "Max Member", "max@x.example", "UMAX"),
        Person(3, "Dana Staff & <Co>", "dana@d.example", "UDANA"),
        Person(4, "Lee Lead", "lee@s.example", None),  # no Slack account: shown by name
        Person(5, "Ada Admin", "ada@s.example", "UADA"),
    ],
    teams=[Team(1, "Team A")],
    districts=[District(1, "District One", 1, staff=(3,)), District(2, "District Two", 1, staff=(3,))],
    memberships=[
        Membership(1, 1, Role.FACILITATOR),
        Membership(2, 1, Role.MEMBER, frozenset({"Data"}), 0.5),
    ],
    network_roles=[NetworkRole(4, Role.LEAD), NetworkRole(5, Role.ADMIN)],
    organization="Test",
)
CTX = render.RenderContext(DIRECTORY, PROTOCOL, PROTOCOL.timezone)

CANDIDATE = Candidate(2, "Max Member", 1, 5.0, "expertise: Data (1 of 1); 0.5 FTE free")
STATES = {
    "open question": ItemState(ItemKind.QUESTION, Status.OPEN, PROTOCOL.version, 2, id=7, owner_id=1,
                               tier="facilitator", team_id=1, district_id=1, topics=("Data",),
                               text="What *is* <b>this</b> & that?\n" + "long " * 700, deadline_at=NOW),
    "answered district": ItemState(ItemKind.DISTRICT, Status.ANSWERED, PROTOCOL.version, 3, id=8, owner_id=4,
                                   tier="lead", district_id=1, text="Done?", answer="Yes"),
    "training pick": ItemState(ItemKind.TRAINING, Status.OPEN, PROTOCOL.version, 3, id=9, owner_id=1,
                               tier="own_team", district_id=1, topics=("Special Education",), text="IEP training",
                               candidates=tuple(replace(CANDIDATE, person_id=i, rank=i) for i in range(1, 130)),
                               deadline_at=NOW),
    "training offers": ItemState(ItemKind.TRAINING, Status.OPEN, PROTOCOL.version, 3, id=10, owner_id=1,
                                 tier="other_teams", district_id=1, text="IEP training",
                                 asked=(Ask(2, "other_teams"), Ask(5, "other_teams")), deadline_at=NOW),
    "matched": ItemState(ItemKind.TRAINING, Status.MATCHED, PROTOCOL.version, 3, id=11, owner_id=1,
                         tier="state", text="IEP training", trainer_id=2),
    "shared question": ItemState(ItemKind.QUESTION, Status.OPEN, PROTOCOL.version, 1, id=12, owner_id=None,
                                 tier="lead", team_id=1, holders=(4, 5), text="Which rubric?", deadline_at=NOW),
    "taken question": ItemState(ItemKind.QUESTION, Status.OPEN, PROTOCOL.version, 1, id=13, owner_id=5,
                                owners=(5,), tier="lead", team_id=1, holders=(4, 5), step="taken",
                                text="Which rubric?", deadline_at=NOW),
    "training nobody lists it": ItemState(
        ItemKind.TRAINING, Status.OPEN, PROTOCOL.version, 3, id=14, owner_id=1, tier="own_team", team_id=1,
        district_id=1, topics=("Early Childhood",), text="EC training", deadline_at=NOW, history=("own_team",),
        elsewhere=(Elsewhere(2, "Max <Member>", "Team B", ("Early Childhood",), 2),)),
    "training referral": ItemState(ItemKind.TRAINING, Status.OPEN, PROTOCOL.version, 3, id=15, owner_id=1,
                                   tier="rpdc", team_id=1, district_id=1, text="EC training", referred_to=(5,),
                                   deadline_at=NOW),
}

SAMPLE = {
    "reason": "escalated", "from_owner_name": "Fay", "redirected_by_name": "Max", "to_owner_name": "Lee",
    "to_tier_label": "Lead facilitator", "step": "escalated", "note": "Needs DESE", "answer": "Use rubric <v2>",
    "answered_by_name": "Lee", "role": "owner", "previous_deadline_at": NOW.isoformat(), "problem": "unroutable",
    "detail": "No team for Dana", "contacts": [{"id": 4, "name": "Lee Lead", "label": "Lead facilitator"}],
    "candidates": [CANDIDATE.to_dict()], "asked_names": ["Bo", "Cal"], "district_center": "North Center",
    "trainer_name": "Max", "why": "matched", "trainer_id": 2, "matched_by_name": "Fay", "center": "North RPDC",
    "stages_tried": ["Team", "Others"], "withdrawn_by_name": "Dana",
    "holder_names": ["Lee Lead", "Ada Admin"], "elsewhere": [], "team_name": "Team A",
    "history": ["Trainer inside the CST: nobody", "Other CST facilitators: asked Bo (declined)"],
}


@pytest.mark.parametrize("notice", list(Notice))
@pytest.mark.parametrize("state_name", list(STATES))
def test_every_notice_renders_for_every_state(notice, state_name):
    state = STATES[state_name]
    context = {key: SAMPLE[key] for key in NOTICE_CONTEXT[notice]}
    for recipient in (1, 2, 3, 4, 5):
        message = render.notice(notice, context, state=state, recipient_id=recipient, ctx=CTX,
                                permalink="https://x.slack.com/archives/D1/p1")
        check_message(message, f"{notice} for {recipient} on {state_name}")
        assert "#" in str(message["blocks"][1]), "every message names its item"
        if render.is_card(notice):
            check_message(render.card(notice, state=state, recipient_id=recipient, ctx=CTX), f"{notice} refresh")


def test_cards_show_buttons_only_to_who_can_act():
    state = STATES["open question"]
    owner = render.card(Notice.ITEM_ASSIGNED, state=state, recipient_id=1, ctx=CTX)
    other = render.card(Notice.ITEM_ASSIGNED, state=state, recipient_id=4, ctx=CTX)
    assert [b for b in owner["blocks"] if b["type"] == "actions"]
    assert not [b for b in other["blocks"] if b["type"] == "actions"]
    assert "now with <@UFAY>" in str(other["blocks"])
    closed = render.card(Notice.ITEM_ASSIGNED, state=STATES["answered district"], recipient_id=4, ctx=CTX)
    assert not [b for b in closed["blocks"] if b["type"] == "actions"]


def test_user_text_is_escaped_and_truncated():
    message = render.notice(Notice.ITEM_ASSIGNED, {}, state=STATES["open question"], recipient_id=1, ctx=CTX)
    quoted = message["blocks"][2]["text"]["text"]
    assert "&lt;b&gt;" in quoted and "&amp;" in quoted and len(quoted) <= 3000


def test_a_long_text_of_many_short_lines_stays_within_the_section_limit():
    state = replace(STATES["open question"], text="\n".join(["- item"] * 420)[:3000])
    for notice in (Notice.ITEM_ASSIGNED, Notice.ASKER_STATUS):
        check_message(render.notice(notice, {}, state=state, recipient_id=1, ctx=CTX))
        check_message(render.card(notice, state=state, recipient_id=1, ctx=CTX))


def test_pick_menu_is_capped_at_slacks_100_options():
    message = render.notice(Notice.TRAINING_CANDIDATES, {}, state=STATES["training pick"], recipient_id=1, ctx=CTX)
    pick = next(b for b in message["blocks"] if b.get("block_id") == "pick")
    assert len(pick["accessory"]["options"]) == 100


def test_modals_are_valid():
    staff = DIRECTORY.person(3)
    for training in (False, True):
        choices = ask_choices(DIRECTORY, staff, training=training)
        assert choices.district_required  # two districts
        check_view(ask_modal(choices, CTX, initial_text="x" * 5000, route_line="goes to <@UFAY>"))
    member_choices = ask_choices(DIRECTORY, DIRECTORY.person(2), training=False)
    assert member_choices.kind_choice and member_choices.kind is ItemKind.QUESTION
    check_view(ask_modal(member_choices, CTX))
    check_view(note_modal(callback_id=Callback.ANSWER, item_id=1, title="Answer", submit="Send answer",
                          intro="x" * 4000, label="Your answer", block_id=Block.ANSWER, required=True))
    check_view(reassign_modal(1, "intro"))
    check_view(offer_modal(1, "intro", [{"text": "Me " * 40, "value": "2"}] * 150))
    check_view(message_modal("A very long title that is too long", "text"))


def test_the_checker_itself_catches_bad_block_kit():
    from slack_sdk.errors import SlackObjectFormationError

    with pytest.raises(SlackObjectFormationError):
        check_view({"type": "modal", "title": {"type": "plain_text", "text": "x" * 25},
                    "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "x"}}]})
    with pytest.raises(AssertionError):
        check_message({"text": "", "blocks": []})
    with pytest.raises(AssertionError):  # a modal with inputs and no submit button
        check_view({"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": [
            {"type": "input", "label": {"type": "plain_text", "text": "L"},
             "element": {"type": "plain_text_input", "action_id": "a"}}]})
    with pytest.raises(SlackObjectFormationError):
        check_message({"text": "t", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 200}}]})


def test_manifest_lists_exactly_what_the_app_uses():
    import yaml

    from bot.ids import COMMAND, Callback

    http = yaml.safe_load(manifest(base_url="https://bot.example.org/"))
    assert http["features"]["slash_commands"][0]["command"] == COMMAND
    assert http["features"]["slash_commands"][0]["url"] == "https://bot.example.org/slack/events"
    assert http["features"]["shortcuts"][0]["callback_id"] == Callback.SEND_TO_FACILITATOR
    assert set(http["oauth_config"]["scopes"]["bot"]) == {
        "channels:history",  # the outbox looks before re-sending after an unclear answer
        "chat:write",
        "commands",
        "files:read",
        "groups:history",
        "im:history",
        "im:write",
        "files:write",
        "users:read",
        "users:read.email",
    }
    assert http["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert http["settings"]["socket_mode_enabled"] is False
    socket = yaml.safe_load(manifest(socket=True))
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in socket["features"]["slash_commands"][0]
    assert "request_url" not in socket["settings"]["interactivity"]
