"""`cstbot demo`: a month of the protocol, end to end, against a local stand-in for Slack.

The real app (`bot.slack.web.WebApp` over `bot.app.build_app`) serves signed HTTP on 127.0.0.1 and talks to
`bot.demo.standin.SlackStandIn` as its Slack Web API. People act by sending exactly the requests Slack would send
(`bot.demo.standin.SignedSlackClient`); after each step the outbox dispatcher delivers what is due, and everything
the app showed anyone (DMs, card edits, modals, Home tabs, replies only the clicker sees) is printed.

Two clocks. The app's business clock (`Deps.clock`) is a `ManualClock` that the scenario moves by hand, so a
month passes in seconds and nothing sleeps. Request signatures use the real clock: Slack's signature check
(and Bolt's) refuses a timestamp more than five minutes from now.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from slack_sdk import WebClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import build_app
from bot.coaching_log.scheduled import run_reminders
from bot.delivery.dispatcher import Dispatcher
from bot.demo.standin import AppResponse, Call, SignedSlackClient, SlackStandIn, serve_wsgi
from bot.demo.transcript import Transcript, text_of
from bot.deps import Deps
from bot.ids import Action, Block, Callback
from bot.items.cards import Renderer
from bot.items.service import Service
from bot.minutes.scheduled import run_minutes_reminders
from bot.runtime import load_book
from bot.settings import Settings
from bot.slack.web import WebApp
from bot.trainers.service import school_year_ledger
from bot.updates.scheduled import run_lead_updates
from routing import hours
from routing import monthly_loop as rules
from routing.coaching_log import month_label
from routing.directory import Directory, Person, Role, Team
from routing.errors import CstbotError
from routing.model import ItemState
from routing.protocol_file import load_protocol
from routing.vocabulary import in_sentence, normalized
from store import migrate, outbox
from store.db import make_engine
from store.directory import load_channels
from store.models import Interaction, Item, Outbox
from store.roster import import_roster, read_roster

ROSTER_NAME = "examples/roster.yaml"
# The month played: November 2026. Monday 2 November, 09:00 in Chicago (CST, UTC-6).
START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
MONTH = START.strftime("%Y-%m")  # the month whose coaching log is reviewed and submitted


class DemoError(CstbotError):
    """The demo cannot run (no roster, a roster without the people it needs)."""


# --- the business clock ----------------------------------------------------------------------------------


class ManualClock:
    """`Deps.clock` for the demo: it reads what the scenario set and moves only when told."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, moment: datetime) -> None:
        if moment > self.now:
            self.now = moment

    def advance(self, delta: timedelta) -> None:
        self.now += delta


# --- finding the roster ----------------------------------------------------------------------------------


def find_example_roster(cwd: Path | None = None) -> Path | None:
    """examples/roster.yaml in the repository this package runs from, else under the current directory."""
    repo = Path(__file__).resolve().parents[2]
    for base in (repo, cwd or Path.cwd()):
        candidate = base / ROSTER_NAME
        if candidate.is_file():
            return candidate
    return None


# --- the cast --------------------------------------------------------------------------------------------


@dataclass
class Cast:
    """Who plays which part, picked from the roster by role (the example roster's names by default)."""

    team: Team
    facilitator: Person
    asker: Person  # district staff of the team: asks a question
    trainee: Person  # district staff of the team: requests training
    training_topic: str
    other_team: Team
    other_facilitator: Person
    other_member: Person
    other_staff: Person
    members: list[Person]
    away_team: Team | None = None
    away_facilitator: Person | None = None
    away_staff: Person | None = None


def _on_slack(people: list[Person]) -> list[Person]:
    return [p for p in people if p.active and p.slack_id]


def _staff(directory: Directory, team: Team) -> list[Person]:
    staff: list[Person] = []
    for district in directory.districts_of_team(team.id):
        for pid in district.staff:
            person = directory.people.get(pid)
            if person and person not in staff:
                staff.append(person)
    return _on_slack(staff)


def _members(directory: Directory, team: Team) -> list[Person]:
    return _on_slack([directory.people[m.person_id] for m in directory.team_memberships(team.id, role=Role.MEMBER)])


def _training_topic(directory: Directory, team: Team, topics: tuple[str, ...]) -> str:
    """The topic of the demo's training request: one the protocol offers, that nobody on the team (nor the support
    team) lists but someone on another team does, preferably one a state contact lists too: a request that walks
    every matching stage and shows who in the network can meet it."""
    known = {normalized(t): t for t in topics}
    nearby = {normalized(e) for m in directory.team_memberships(team.id) for e in m.expertise}
    nearby |= {normalized(e) for r in directory.network_roles if r.role is Role.SUPPORT for e in r.expertise}
    elsewhere = [normalized(e) for m in directory.memberships if m.team_id != team.id for e in m.expertise]
    contacts = {normalized(e) for r in directory.network_roles if r.role is Role.STATE_CONTACT for e in r.expertise}
    wanted = [k for k in dict.fromkeys(elsewhere) if k in known and k not in nearby]
    if not wanted:
        return topics[0]
    wanted.sort(key=lambda k: (k not in contacts, elsewhere.count(k), known[k]))
    return known[wanted[0]]


def pick_cast(directory: Directory, on: date, topics: tuple[str, ...]) -> Cast:
    usable: list[tuple[Team, Person]] = []
    away: tuple[Team, Person] | None = None
    for team in directory.active_teams():
        facilitators = _on_slack(list(directory.facilitators_of(team.id)))
        if not facilitators or not _staff(directory, team):
            continue
        if facilitators[0].is_available(on):
            if _members(directory, team):
                usable.append((team, facilitators[0]))
        elif away is None:
            away = (team, facilitators[0])
    if len(usable) < 2:
        raise DemoError("the roster needs two teams with a facilitator, members and district staff on Slack")
    (team, facilitator), (other_team, other_facilitator) = usable[0], usable[1]
    staff = _staff(directory, team)
    topic = _training_topic(directory, team, topics)
    return Cast(
        team=team, facilitator=facilitator, asker=staff[-1], trainee=staff[0], training_topic=topic,
        other_team=other_team, other_facilitator=other_facilitator,
        other_member=_members(directory, other_team)[0], other_staff=_staff(directory, other_team)[0],
        members=_members(directory, team),
        away_team=away[0] if away else None, away_facilitator=away[1] if away else None,
        away_staff=_staff(directory, away[0])[0] if away else None,
    )


# --- the workspace: the app, the stand-in, the people --------------------------------------------------------


class Workspace:
    """The running demo: sends people's requests, delivers the outbox, prints what everyone saw."""

    def __init__(self, deps: Deps, clock: ManualClock, slack: SlackStandIn, client: SignedSlackClient,
                 transcript: Transcript) -> None:
        self.deps = deps
        self.clock = clock
        self.slack = slack
        self.client = client
        self.t = transcript
        self.dispatcher = Dispatcher(engine=deps.engine, client=deps.client, clock=clock, worker="demo",
                                     render=Renderer(deps))
        self.seen = 0  # calls to the stand-in already printed
        self.step_no = 0

    @property
    def tz(self):
        return self.deps.settings.timezone

    def directory(self) -> Directory:
        with self.deps.session() as s:
            return Service(self.deps).directory(s)

    def person(self, person_id: int | None) -> Person:
        person = self.directory().person(person_id) if person_id is not None else None
        if person is None:
            raise DemoError(f"no person {person_id} in the roster")
        return person

    # --- time -----------------------------------------------------------------------------------------

    def step(self, title: str, at: datetime | None = None) -> None:
        if at is not None:
            self.clock.move_to(at)
        self.step_no += 1
        self.t.heading(self.step_no, title, self.clock(), self.tz)
        self.sweep()

    def sweep(self) -> None:
        """What the scheduler's sweep would have done by now: reminders and moves past a deadline."""
        stats = Service(self.deps).sweep(now=self.clock())
        if stats.moved or stats.reminded:
            parts = [f"{stats.moved} item moved on"] if stats.moved else []
            parts += [f"{stats.reminded} owner reminded"] if stats.reminded else []
            self.t.note("the scheduler's deadline sweep: " + ", ".join(parts))
        self.deliver()

    # --- requests, as Slack sends them ----------------------------------------------------------------

    def _request(self, user: str, send: Callable[[], AppResponse]) -> AppResponse:
        response = send()
        if response.status != 200:
            raise DemoError(f"the app answered HTTP {response.status}: {response.text[:200]}")
        self.t.response(user, response)
        self._show_calls(actor=user)
        return response

    def slash(self, user: str, text: str, *, say: bool = True) -> AppResponse:
        if say:
            self.t.action(user, f"types /cst {text}")
        return self._request(user, lambda: self.client.slash_command("/cst", text, user_id=user))

    def opened(self, callback: str | None = None) -> dict[str, Any]:
        view = self.slack.last("views.open").args["view"]
        if callback and view.get("callback_id") != callback:
            raise DemoError(f"expected the {callback} modal, the app opened {view.get('callback_id')}")
        return view

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any], what: str | None) -> AppResponse:
        if what:
            self.t.action(user, what)
        payload = self.client.view_submission(user, view["callback_id"], values,
                                              private_metadata=view.get("private_metadata", ""), view=view)
        return self._request(user, lambda: self.client.interactivity(payload))

    def click(self, user: str, action_id: str, value: str | None, label: str, **kw: Any) -> AppResponse:
        self.t.action(user, f"clicks {label}")
        payload = self.client.block_action(user, action_id, value, **kw)
        return self._request(user, lambda: self.client.interactivity(payload))

    def shortcut(self, user: str, message: dict[str, Any], channel: str) -> AppResponse:
        self.t.action(user, "uses the message shortcut “Send to facilitator” on it")
        payload = self.client.message_shortcut(user, Callback.SEND_TO_FACILITATOR.value, message,
                                               channel_id=channel)
        return self._request(user, lambda: self.client.interactivity(payload))

    def open_home(self, user: str) -> None:
        self.t.action(user, "opens the app's Home tab")
        self._request(user, lambda: self.client.event(
            {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home",
             "event_ts": f"{self.clock().timestamp():.6f}"}))

    # --- what people see ------------------------------------------------------------------------------

    def deliver(self) -> None:
        """Run the outbox dispatcher until nothing is due, then print what reached people."""
        for _ in range(50):
            stats = self.dispatcher.run_once()
            if stats.sent or stats.failed:
                continue
            if stats.deferred:  # a card edit waits for its card: let a few seconds of business time pass
                self.clock.advance(timedelta(seconds=5))
                continue
            break
        self._show_calls(actor=None)

    def _show_calls(self, actor: str | None) -> None:
        calls = self.slack.calls
        self.t.calls(calls[self.seen:], actor)
        self.seen = len(calls)


# --- the scenario ------------------------------------------------------------------------------------------


def _text_input(block: str, value: str) -> dict[str, Any]:
    return {block: {block: {"type": "plain_text_input", "value": value}}}


def _option_value(view: dict[str, Any], block_id: str, label: str) -> str | None:
    for block in view.get("blocks") or []:
        if block.get("block_id") != block_id:
            continue
        element = block.get("element") or block.get("accessory") or {}
        options = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            options += group.get("options") or []
        for option in options:
            if text_of(option.get("text")).startswith(label) or option.get("value") == label:
                return option["value"]
    return None


def _ask_values(view: dict[str, Any], text: str, *, topics: tuple[str, ...] = ()) -> dict[str, Any]:
    values = _text_input(Block.TEXT, text)
    district = next((b for b in view.get("blocks") or [] if b.get("block_id") == Block.DISTRICT), None)
    if district is not None:  # someone on staff at several districts: the first one
        value = district["element"]["options"][0]["value"]
        values[Block.DISTRICT] = {"district": {"type": "static_select", "selected_option": {"value": value}}}
    if topics:
        values[Block.TOPICS] = {"topics": {"type": "multi_static_select",
                                           "selected_options": [{"value": t} for t in topics]}}
    return values


def _buttons(call: Call) -> dict[str, str]:
    found = {}
    for block in call.args.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                found[element["action_id"]] = element.get("value")
    return found


def _log_values(*, district: str, day: date, minutes: int, kind: str, participants: str, members: list[str],
                topics: tuple[str, ...], resources: str, comments: str) -> dict[str, Any]:
    return {
        "district": {"district": {"type": "static_select", "selected_option": {"value": district}}},
        "date": {"date": {"type": "datepicker", "selected_date": day.isoformat()}},
        "duration": {"duration": {"type": "number_input", "value": str(minutes)}},
        "type": {"type": {"type": "radio_buttons", "selected_option": {"value": kind}}},
        "description": {"description": {"type": "plain_text_input", "value": None}},
        "participants": {"participants": {"type": "plain_text_input", "value": participants}},
        "members": {"members": {"type": "multi_static_select", "selected_options": [{"value": m} for m in members]}},
        "topics": {"topics": {"type": "multi_static_select", "selected_options": [{"value": t} for t in topics]}},
        "resources": {"resources": {"type": "plain_text_input", "value": resources}},
        "comments": {"comments": {"type": "plain_text_input", "value": comments}},
        "privacy": {"privacy": {"type": "checkboxes", "selected_options": [{"value": "none"}]}},
    }


def _local(day: date, hour: int, minute: int, tz) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


class Scenario:
    """A month: a question up the chain, a redirected DM that is really a training request, a vacancy held by two
    leads, a training match across the network to the state's allocation, the log, and a request nobody can meet.
    Every word about the protocol (roles, stages, the activity log) comes from the protocol the demo runs under."""

    def __init__(self, s: Workspace, cast: Cast) -> None:
        self.s = s
        self.c = cast
        self.p = s.deps.protocols.current

    def label(self, role: Role) -> str:
        return in_sentence(self.p.label(role))

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        first = START.astimezone(self.s.tz)
        return _local(date(first.year, first.month, day), hour, minute, self.s.tz)

    def item(self, item_id: int) -> ItemState:
        with self.s.deps.session() as session:
            return ItemState.from_dict(session.get(Item, item_id).state)

    def last_card(self, slack_id: str) -> Call:
        cards = [c for c in self.s.slack.calls_to("chat.postMessage") if c.args.get("channel") == slack_id]
        if not cards:
            raise DemoError(f"{self.s.t.names.get(slack_id, slack_id)} got no message")
        return cards[-1]

    def ask(self, who: Person, text: str, *, training: bool = False, topics: tuple[str, ...] = ()) -> int:
        """/cst ask (or train), fill in the modal, send; returns the new item's id."""
        s = self.s
        s.slash(who.slack_id, "train" if training else "ask")
        view = s.opened(Callback.TRAIN if training else Callback.ASK)
        extra = f" (expertise: {', '.join(topics)})" if topics else ""
        s.submit(who.slack_id, view, _ask_values(view, text, topics=topics), f"writes “{text}”{extra}, clicks Send")
        s.deliver()
        return self.newest()

    def newest(self) -> int:
        with self.s.deps.session() as session:
            return session.exec(select(func.max(Item.id))).one()

    def answer(self, who: Person, item_id: int, text: str) -> None:
        s = self.s
        s.click(who.slack_id, Action.ANSWER, str(item_id), "Answer on the card")
        s.submit(who.slack_id, s.opened(Callback.ANSWER), _text_input(Block.ANSWER, text),
                 f"writes “{text}”, clicks Send answer")
        s.deliver()

    def take(self, who: Person, item_id: int) -> None:
        self.s.click(who.slack_id, Action.TAKE, str(item_id), "Take it on the card")
        self.s.deliver()

    def pass_stage(self, who: Person, item_id: int, note: str) -> None:
        """The owner's "No match here" (or, when nobody on the team lists it, "Ask ..." the next stage)."""
        s = self.s
        label = _button_text(self.last_card(who.slack_id), Action.ESCALATE) or "No match here"
        s.click(who.slack_id, Action.ESCALATE, str(item_id), f"{label} on the training card")
        s.submit(who.slack_id, s.opened(Callback.ESCALATE), _text_input(Block.NOTE, note),
                 "adds a note, clicks Ask the next stage")
        s.deliver()

    def until_stage_moves(self, item_id: int, title: str) -> ItemState:
        """Let the current stage's deadline pass (a second step at the same stage counts too)."""
        state = self.item(item_id)
        if state.deadline_at is None:
            raise DemoError(f"item {item_id} has no deadline at {state.tier}")
        self.s.step(title, state.deadline_at + timedelta(minutes=1))
        return self.item(item_id)

    def run(self) -> None:
        self.question_up_the_chain()
        self.dm_sent_on()
        self.vacancy()
        self.training_match()
        self.coaching_log()
        self.reminder_and_submission()
        self.monthly_update()
        self.management_minutes()
        self.nobody_can_meet_it()

    # A district question goes to the facilitator, up to the leads (offered to both), and the answer comes back.
    def question_up_the_chain(self) -> None:
        s, c = self.s, self.c
        s.step(f"A district asks: {c.asker.label} → {c.team.name}'s {self.label(Role.FACILITATOR)}", self.at(2, 9, 30))
        item_id = self.ask(c.asker, "Is there a protocol for choosing our first data-team data?")

        s.step(f"{c.facilitator.label} escalates it to the {self.label(Role.LEAD)} tier", self.at(2, 13))
        s.click(c.facilitator.slack_id, Action.ESCALATE, str(item_id), "Escalate on the card")
        s.submit(c.facilitator.slack_id, s.opened(Callback.ESCALATE),
                 _text_input(Block.NOTE, "Needs the state's guidance."), "adds a note, clicks Escalate")
        s.deliver()

        holders = [s.person(p) for p in self.item(item_id).holders] or [s.person(self.item(item_id).owner_id)]
        lead = holders[0]
        s.step(f"{lead.label} takes it; the answer reaches {c.asker.label}", self.at(3, 10, 15))
        if self.item(item_id).owner_id is None:
            self.take(lead, item_id)
        self.answer(lead, item_id, "Yes: the data-based decision making guide, step 1. Start with one grade's "
                                   "common assessment.")

    # A district person writes to a team member directly; the member sends it on with the shortcut (one click:
    # a question or request is preselected), and the facilitator sees it is really a training request.
    def dm_sent_on(self) -> None:
        s, c = self.s, self.c
        s.step(f"{c.other_staff.label} DMs a {self.label(Role.MEMBER)}, who sends it to the "
               f"{self.label(Role.FACILITATOR)}", self.at(4, 8, 40))
        text = "Could someone walk our new principals through the data wall before our Nov 20 PD day?"
        s.t.action(c.other_staff.slack_id, f"DMs {c.other_member.label}: “{text}”")
        message = {"type": "message", "user": c.other_staff.slack_id, "text": text, "ts": "1762267200.000100"}
        s.shortcut(c.other_member.slack_id, message, channel="D0DEMODM01")
        view = s.opened(Callback.FORWARD)
        kind = next(b for b in view["blocks"] if b.get("block_id") == Block.KIND)["element"]["initial_option"]
        s.submit(c.other_member.slack_id, view,
                 {Block.KIND: {Block.KIND: {"type": "radio_buttons", "selected_option": kind}}},
                 f"keeps “{text_of(kind['text'])}”, clicks Send")
        s.deliver()
        item_id = self.newest()

        topic = _convert_topic(s.directory(), c.other_team, self.p.topics)
        s.step(f"{c.other_facilitator.label} sees it is a training request", self.at(4, 10))
        s.click(c.other_facilitator.slack_id, Action.CONVERT, str(item_id), "This is a training request")
        view = s.opened(Callback.CONVERT)
        s.submit(c.other_facilitator.slack_id, view,
                 {Block.TOPICS: {Block.TOPICS: {"type": "multi_static_select",
                                                "selected_options": [{"value": topic}]}}},
                 f"chooses {topic}, clicks {text_of(view.get('submit'))}")
        s.deliver()
        state = self.item(item_id)
        if state.candidates:
            best = state.candidates[0]
            s.step(f"{c.other_facilitator.label} picks {best.name}: matched", self.at(4, 11))
            s.click(c.other_facilitator.slack_id, Action.PICK, None, f"{best.name} in the candidates menu",
                    action={"selected_option": {"value": f"{item_id}:{best.person_id}"}},
                    action_type="static_select")
            s.deliver()

    # The away facilitator's team (if the roster has one): the protocol routes past the vacancy, to every holder of
    # the tier above; the first to take it owns it, and the others' cards say who did.
    def vacancy(self) -> None:
        s, c = self.s, self.c
        if c.away_team is None or c.away_facilitator is None or c.away_staff is None:
            return
        until = c.away_facilitator.away_until
        s.step(f"{c.away_facilitator.label} ({c.away_team.name}) is away"
               + (f" until {until:%d %b %Y}" if until else "") + ": vacancy routing", self.at(5, 14))
        item_id = self.ask(c.away_staff, "Who reviews our spring walkthrough schedule while our facilitator is out?")
        state = self.item(item_id)
        owner = s.person(state.holders[-1] if state.owner_id is None else state.owner_id)
        if state.owner_id is None:
            s.step(f"{owner.label} takes it", self.at(5, 15))
            self.take(owner, item_id)
        self.answer(owner, item_id, "I will, this week; send it to me.")

    # A training request nobody on the team can meet: the facilitators whose teams can are asked first, then the
    # others, then the state contacts, who commit days of their allocation.
    def training_match(self) -> None:
        s, c = self.s, self.c
        topic = c.training_topic
        s.step(f"{c.trainee.label} requests {topic} training", self.at(9, 9))
        item_id = self.ask(c.trainee, f"Two half-days of {topic} training for our leadership team in January",
                           training=True, topics=(topic,))

        s.step(f"Nobody inside {c.team.name} lists it: {c.facilitator.label} asks the other teams", self.at(9, 11))
        self.pass_stage(c.facilitator, item_id, f"Nobody on our team has {topic} expertise.")

        state = self.item(item_id)
        first = [s.person(a.person_id) for a in state.asked if a.stage == state.tier]
        decliner = next((p for p in first if p.slack_id), None)
        if state.next_asked and decliner is not None:
            s.step(f"{decliner.label} cannot offer anyone this time", self.at(10, 10))
            s.click(decliner.slack_id, Action.DECLINE, str(item_id), "No one to offer")
            s.submit(decliner.slack_id, s.opened(Callback.DECLINE),
                     _text_input(Block.NOTE, "Our specialist is booked through January."), "adds a note, clicks Send")
            s.deliver()
        s.t.note("nobody else offers")

        stages = self.p.training.sequence if self.p.training else ()
        for _ in range(3):  # the other teams' stage may take two steps: those listing it first, then the rest
            state = self.item(item_id)
            if not state.is_open or stages[-1:] and state.tier != stages[1].name:
                break
            self.until_stage_moves(item_id, "The deadline passes: the sweep asks the next people")
        state = self.item(item_id)
        contact = next((p for p in (s.person(a.person_id) for a in state.asked if a.stage == state.tier)
                        if p.slack_id), None)
        if not state.is_open or contact is None:
            raise DemoError("no state contact on Slack was asked to offer a trainer")
        role = s.directory().network_role(contact.id, Role.STATE_CONTACT)
        trainer = next((s.person(t) for t in (role.trainers if role else ()) if s.person(t).slack_id), contact)
        s.step(f"{contact.label} names {'themself' if trainer == contact else trainer.label}: matched",
               s.clock() + timedelta(hours=2))
        s.click(contact.slack_id, Action.OFFER, str(item_id), "Offer a trainer")
        view = s.opened(Callback.OFFER)
        chosen = _option_value(view, Block.CANDIDATE, trainer.label) or str(trainer.id)
        s.submit(contact.slack_id, view,
                 {Block.CANDIDATE: {Block.CANDIDATE: {"type": "static_select", "selected_option": {"value": chosen}}},
                  Block.DAYS: {Block.DAYS: {"type": "number_input", "value": "2"}}},
                 f"picks {trainer.label}, 2 days, clicks Offer")
        s.deliver()
        with s.deps.session() as session:
            ledger = school_year_ledger(session, s.directory(), self.p, s.clock().astimezone(s.tz).date())
        line = next((x for x in ledger.contacts if x.contact_id == contact.id), None)
        if line is not None:
            s.t.note(f"the allocation ledger, as `cstbot trainers` prints it: {line.name}, {line.committed:g} of "
                     f"{line.allocated:g} days of {ledger.label} committed for {ledger.year_label}, "
                     f"{line.remaining:g} left")

    # Members and the facilitator log coaching interactions; training is refused.
    def coaching_log(self) -> None:
        s, c = self.s, self.c
        s.step(f"{c.team.name} logs {START:%B}'s coaching interactions", self.at(24, 15))
        districts = s.directory().districts_of_team(c.team.id)
        first, second = c.members[0], c.members[1 % len(c.members)]
        protocol = self.p
        kinds = [t.key for t in protocol.interaction_types if not t.requires_description]
        refused = protocol.not_coaching[0].key if protocol.not_coaching else None

        def log(author: Person, day: int, where: int, kind: str, minutes: int, participants: str, comments: str,
                view: dict[str, Any] | None = None) -> dict[str, Any]:
            """Fill in the log modal (a new one, or `view` again after it refused) and click Save."""
            district = districts[where % len(districts)]
            activity = protocol.interaction(kind) or protocol.not_coaching_activity(kind)
            what = f"{minutes} min, {district.name}, “{activity.label if activity else kind}”, clicks Save"
            if view is None:
                s.t.action(author.slack_id, f"types /cst log: {what}")
                s.slash(author.slack_id, "log", say=False)
                view = s.opened(Callback.LOG)
            else:
                s.t.action(author.slack_id, f"changes the entry to {what}")
            values = _log_values(
                district=_option_value(view, "district", district.name) or str(district.id),
                day=self.at(day, 12).astimezone(s.tz).date(), minutes=minutes, kind=kind,
                participants=participants, members=[str(author.id)], topics=(), resources="", comments=comments)
            s.submit(author.slack_id, view, values, None)
            return view

        log(first, 10, 0, kinds[0], 60, "Principal, instructional coach", "Planned the data-team launch")
        view = log(second, 13, 1, refused, 120, "All K-5 teachers", "Delivered the PBIS refresher") if refused else None
        log(second, 16, 1, kinds[2 % len(kinds)], 45, "Building leadership team", "Chose 3rd-grade math", view=view)
        log(c.facilitator, 19, 0, kinds[4 % len(kinds)], 30, "Assistant principal", "Feedback on walkthrough notes")
        s.deliver()

    # The monthly reminder, then the facilitator reviews and submits the month.
    def reminder_and_submission(self) -> None:
        s, c = self.s, self.c
        protocol = self.p
        s.step("The monthly log reminder goes out", protocol.log_reminder_at(MONTH))
        stats = run_reminders(s.deps, s.clock())
        s.t.note(f"{stats.sent} reminders, one per person and month; people without a Slack id are skipped")
        s.deliver()
        self.working_morning(protocol.log_reminder_at(MONTH))

        morning = protocol.log_reminder_at(MONTH).astimezone(s.tz).date() + timedelta(days=1)
        s.step(f"{c.facilitator.label} reviews and submits {c.team.name}'s log", _local(morning, 9, 0, s.tz))
        s.click(c.facilitator.slack_id, Action.LOG_REVIEW, f"{c.team.id}:{MONTH}", "Review & submit on the reminder")
        view = {**s.opened(Callback.LOG_SUBMIT), "id": "V0DEMOREVIEW"}
        s.submit(c.facilitator.slack_id, view, {}, f"clicks {text_of(view.get('submit'))}")
        s.deliver()
        s.open_home(c.facilitator.slack_id)


    def working_morning(self, written: datetime) -> None:
        """Reminders written after hours wait in the outbox for each person's working morning: go there (the
        protocol's business morning, past the spread) unless it is working hours already."""
        s = self.s
        calendar = self.p.calendar
        if hours.is_working(written, self.p.timezone, calendar):
            return
        morning = hours.working_from(written, self.p.timezone, calendar) + timedelta(
            minutes=self.p.delivery.spread_minutes)
        s.step("The next working morning: the reminders written after hours arrive", morning)

    # The lead's monthly update (the protocol names it: "CST update"), up to the management team, acknowledged.
    def monthly_update(self) -> None:
        s = self.s
        update = in_sentence(self.p.reporting.lead_update_label)
        directory = s.directory()
        leads, readers = _on_slack(list(rules.leads(directory))), _on_slack(list(rules.update_readers(directory)))
        if not leads or not readers:
            s.t.note(f"no {self.label(Role.LEAD)} or {self.label(Role.MANAGEMENT)} member on Slack: the {update} "
                     "is not played")
            return
        lead, reader = leads[0], readers[0]
        protocol = s.deps.protocols.current
        due = protocol.lead_update_due_at(MONTH)
        label = month_label(MONTH)
        s.step(f"The {self.label(Role.LEAD)}s are reminded of {label}'s {update}", due - timedelta(days=3, minutes=-10))
        stats = run_lead_updates(s.deps, s.clock())
        s.t.note(f"{stats.sent} reminders, one per {self.label(Role.LEAD)}; the button opens the form")
        s.deliver()
        self.working_morning(s.clock())

        morning = _local(due.astimezone(s.tz).date(), 9, 0, s.tz)
        s.step(f"{lead.label} sends {label}'s {update} to the {self.label(Role.MANAGEMENT)}", morning)
        s.click(lead.slack_id, Action.UPDATE_OPEN, MONTH, "Write the update on the reminder")
        view = s.opened(Callback.UPDATE)
        values = {
            **_text_input(Block.HIGHLIGHTS, "Two districts launched data teams; training matched at every stage."),
            **_text_input(Block.CONCERNS, "One team's coaching log came in late."),
            **_text_input(Block.ASKS, "Confirm the spring site-visit calendar."),
        }
        if len(leads) > 1:
            values[Block.FOR_ALL] = {Block.FOR_ALL: {"type": "radio_buttons", "selected_option": {"value": "all"}}}
        s.submit(lead.slack_id, view, values, "adds highlights, a concern and an ask to the drafted figures, "
                                              f"sends it for all {self.label(Role.LEAD)}s, clicks Send")
        s.deliver()

        s.step(f"{reader.label} acknowledges it", morning + timedelta(hours=2))
        value = _buttons(self.last_card(reader.slack_id)).get(Action.UPDATE_ACK)
        s.click(reader.slack_id, Action.UPDATE_ACK, value, "Acknowledge on the update")
        s.deliver()
        s.open_home(lead.slack_id)
        self.sender = reader

    # Management minutes, down to every facilitator; two confirm, one passes them on to the team.
    def management_minutes(self) -> None:
        s, c = self.s, self.c
        sender = getattr(self, "sender", None)
        if sender is None:
            readers = _on_slack(list(rules.update_readers(s.directory())))
            if not readers:
                return
            sender = readers[0]
        today = s.clock().astimezone(s.tz).date()
        meeting = today - timedelta(days=1)
        while meeting.weekday() >= 5:  # the meeting was on the last weekday
            meeting -= timedelta(days=1)
        s.step(f"{sender.label} shares the {self.label(Role.MANAGEMENT)}'s minutes with the "
               f"{self.label(Role.FACILITATOR)}s", _local(today, 14, 0, s.tz))
        s.slash(sender.slack_id, "minutes")
        view = s.opened(Callback.MINUTES)
        values = {
            Block.MEETING_DATE: {Block.MEETING_DATE: {"type": "datepicker", "selected_date": meeting.isoformat()}},
            **_text_input(Block.MINUTES_TEXT, f"Reviewed November's {in_sentence(self.p.reporting.lead_update_label)}. "
                                                "Spring site visits: March 2-20."),
            Block.LINK: {Block.LINK: {"type": "url_text_input", "value": "https://docs.example.org/minutes"}},
            **_text_input(Block.DECISIONS, "The data-team protocol becomes the default for new districts."),
            **_text_input(Block.ACTION_ITEMS, "Facilitators: send your teams' site-visit dates by January 15."),
        }
        s.submit(sender.slack_id, view, values, "fills in the date, the minutes, a link, a decision and an "
                                                "action item, clicks Share")
        s.deliver()

        s.step("Two facilitators confirm; one shares the minutes with the team", s.clock() + timedelta(hours=1))
        minutes_id = _buttons(self.last_card(c.facilitator.slack_id)).get(Action.MINUTES_ACK)
        s.click(c.facilitator.slack_id, Action.MINUTES_ACK, minutes_id, "Got it")
        s.click(c.other_facilitator.slack_id, Action.MINUTES_ACK, minutes_id, "Got it")
        s.click(c.facilitator.slack_id, Action.MINUTES_SHARE, minutes_id, "Share with my team")
        s.submit(c.facilitator.slack_id, s.opened(Callback.MINUTES_SHARE),
                 _text_input(Block.NOTE, "Please hold March 2-20 for the site visits."), "adds a note, clicks Share")
        s.deliver()
        s.open_home(sender.slack_id)

        protocol = s.deps.protocols.current
        sent_at = s.clock() - timedelta(hours=1)
        s.step("Two business days later: the facilitators who have not confirmed are reminded",
               rules.minutes_reminder_at(protocol, sent_at) + timedelta(minutes=20))
        stats = run_minutes_reminders(s.deps, s.clock())
        s.t.note(f"{stats.sent} reminders, only to those who have not said Got it")
        s.deliver()

    # A training need nobody in the network lists: every stage is tried, then the last resort (where the protocol
    # has one: the district's regional center, whose director is told) or the requester hears no match was found.
    def nobody_can_meet_it(self) -> None:
        s, c = self.s, self.c
        topic = _unlisted_topic(s.directory(), self.p.topics)
        if topic is None or self.p.training is None:
            return
        monday = max(s.clock(), self.p.lead_update_due_at(MONTH)).astimezone(s.tz).date() + timedelta(days=1)
        s.step(f"{c.other_staff.label} requests {topic} training, which nobody lists", _local(monday, 9, 0, s.tz))
        item_id = self.ask(c.other_staff, f"A workshop on {topic} for our building leadership team",
                           training=True, topics=(topic,))
        s.step(f"{c.other_facilitator.label} asks the other teams at once", _local(monday, 10, 0, s.tz))
        self.pass_stage(c.other_facilitator, item_id, "Nobody on our team lists it.")
        last = self.p.training.last_resort
        for _ in range(4):
            state = self.item(item_id)
            if not state.is_open or (last is not None and state.tier == last.name):
                break
            self.until_stage_moves(item_id, "Nobody offers: the deadline moves it on")


def _button_text(call: Call, action: str) -> str | None:
    for block in call.args.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                if element.get("action_id") == action:
                    return text_of(element.get("text"))
    return None


def _convert_topic(directory: Directory, team: Team, topics: tuple[str, ...]) -> str:
    """What the facilitator says the passed-on request needs: Data when someone on their team lists it."""
    known = {normalized(t): t for t in topics}
    listed = sorted({normalized(e) for m in directory.team_memberships(team.id) for e in m.expertise} & set(known))
    if normalized("Data") in listed:
        return known[normalized("Data")]
    return known[listed[0]] if listed else topics[0]


def _unlisted_topic(directory: Directory, topics: tuple[str, ...]) -> str | None:
    """A topic the protocol offers that nobody in the roster lists (team, support team or state contact)."""
    listed = {normalized(e) for m in directory.memberships for e in m.expertise}
    listed |= {normalized(e) for r in directory.network_roles for e in r.expertise}
    return next((t for t in topics if normalized(t) not in listed), None)


# --- running it ----------------------------------------------------------------------------------------------


@dataclass
class Counts:
    items: int = 0
    messages: int = 0  # chat.postMessage calls
    card_edits: int = 0  # chat.update calls
    interactions: int = 0
    undeliverable: int = 0  # outbox rows kept as failed (a recipient without a Slack id)


@dataclass
class DemoResult:
    lines: list[str]
    counts: Counts
    database: Path | None  # kept database, or None when it was temporary
    events: list[dict[str, Any]] = field(default_factory=list)  # the transcript as events (`cstbot demo --json`)


@contextmanager
def _database(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="cstbot-demo-") as tmp:
        yield Path(tmp) / "demo.db"


def run_demo(*, roster: Path | None = None, keep: Path | None = None, out: TextIO | None = None,
             protocol: Path | None = None) -> DemoResult:
    """Play the month under `protocol` (None: the shipped one) and print the transcript to `out` (None: print
    nothing). Returns what was printed."""
    if protocol is not None:
        load_protocol(protocol)  # a protocol file with problems is reported before anything starts
    roster = roster or find_example_roster()
    if roster is None or not Path(roster).exists():
        where = f"{roster} not found" if roster else f"no {ROSTER_NAME} here"
        raise DemoError(f"{where}: pass --roster FILE")
    parsed = read_roster(roster)
    keep = keep.resolve() if keep is not None else None
    with _database(keep) as db_path:
        if keep is not None and db_path.exists() and db_path.stat().st_size:
            raise DemoError(f"{db_path} already exists: --keep needs a new file")
        url = f"sqlite:///{db_path}"
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            import_roster(parsed, engine=engine)
            transcript, counts = _play(engine, url, out, protocol)
        finally:
            engine.dispose()
        return DemoResult(lines=transcript.lines, counts=counts, database=db_path if keep is not None else None,
                          events=transcript.events)


def _play(engine: Engine, url: str, out: TextIO | None, protocol: Path | None) -> tuple[Transcript, Counts]:
    """Serve the app against the stand-in, play the scenario, count what happened."""
    secret = secrets.token_hex(16)
    token = "xoxb-demo-" + secrets.token_hex(8)
    clock = ManualClock(START)
    with SlackStandIn() as slack:
        settings = Settings(_env_file=None, slack_bot_token=token, slack_signing_secret=secret,
                            slack_api_url=slack.base_url, database_url=url, cstbot_protocol=protocol)
        client = WebClient(token=token, base_url=slack.base_url, timeout=5)
        deps = Deps(settings=settings, engine=engine, client=client, protocols=load_book(settings, engine), clock=clock)
        with serve_wsgi(WebApp(build_app(deps), engine, secret)) as app_url:
            signed = SignedSlackClient(app_url, secret, response_url_base=slack.hooks_url)
            with deps.session() as session:
                directory = Service(deps).directory(session)
                channels = {c.channel_id: f"the {c.purpose} channel" for c in load_channels(session=session)}
            transcript = Transcript.for_directory(directory, out, deps.protocols.current, channels)
            workspace = Workspace(deps, clock, slack, signed, transcript)
            cast = pick_cast(directory, START.astimezone(settings.timezone).date(), deps.protocols.current.topics)
            transcript.print(f"cstbot demo: {directory.organization or 'the example roster'}, "
                             f"{len(directory.people)} people, {len(directory.teams)} teams · "
                             f"protocol: {deps.protocols.current.name} · "
                             "Slack is a local stand-in; the app is the real one, over signed HTTP")
            Scenario(workspace, cast).run()
            counts = _counts(deps, slack)
    return transcript, counts


def _counts(deps: Deps, slack: SlackStandIn) -> Counts:
    with deps.session() as s:
        items = s.exec(select(func.count()).select_from(Item)).one()
        interactions = s.exec(
            select(func.count()).select_from(Interaction).where(Interaction.deleted_at.is_(None))).one()
        failed = s.exec(select(func.count()).select_from(Outbox).where(Outbox.status == outbox.FAILED)).one()
    return Counts(items=items, messages=len(slack.calls_to("chat.postMessage")),
                  card_edits=len(slack.calls_to("chat.update")), interactions=interactions, undeliverable=failed)


def summary_lines(result: DemoResult) -> list[str]:
    c = result.counts
    lines = [
        "",
        f"Done: {c.items} items routed, {c.messages} messages sent and {c.card_edits} edited in place, "
        f"{c.interactions} coaching interactions logged.",
    ]
    if c.undeliverable:
        lines.append(f"{c.undeliverable} messages kept as failed deliveries: their recipients have no Slack id in "
                     "the roster (admins see them on their Home tab).")
    if result.database is not None:
        lines.append(f"The database is kept at {result.database} (DATABASE_URL=sqlite:///{result.database}).")
    return lines

