"""docs/roles/: one page per role, with example messages rendered from the real templates, so the pages cannot drift.

    python -m bot.demo.role_pages            # (re)write docs/roles/*.md
    python -m bot.demo.role_pages --check    # exit 1 and name the pages that differ (tests/test_role_pages.py)

The examples are not written by hand: `examples()` plays a short scenario on the example roster (a temporary
SQLite database, the real `Service`, engine, cards and reminders, a fixed clock) and takes the messages from the
outbox, rendered as text the way the demo prints them. Deadlines in the prose come from the protocol file.

A page is a row of PAGES: the role, what the bot expects of the person, and its sections. A feature adds its part
of a role's page by adding a `Section` there (and, if it sends something, a step to `examples()` that records it
under a name the section uses). Every button on an example must be explained in BUTTONS, or the generator fails.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlmodel import SQLModel, select

import store.models  # noqa: F401  (registers every table)
from bot.coaching_log.scheduled import run_reminders
from bot.demo.scenario import ManualClock, find_example_roster
from bot.demo.transcript import block_lines
from bot.deps import Deps
from bot.items.cards import Renderer
from bot.items.service import Service
from bot.minutes import service as minutes
from bot.minutes.modals import MinutesForm, ShareForm
from bot.runtime import load_book
from bot.settings import Settings
from bot.share import service as sharing
from bot.share.modals import ShareForm as NetworkShareForm
from bot.updates import service as updates
from bot.updates.modals import UpdateForm
from bot.updates.scheduled import run_lead_updates
from routing.directory import Directory, Person, Role
from routing.model import EventKind, ItemKind
from routing.monthly_loop import MINUTES_REMINDER_BUSINESS_DAYS
from routing.protocol import Protocol
from routing.protocol_file import load_protocol
from store.db import make_engine
from store.models import Outbox
from store.roster import import_roster, read_roster
from templates import render_text

ROOT = Path(__file__).resolve().parents[2]
CONTROL = re.compile(r"\[([^\]\[]+)\]")  # a button or menu as the transcript draws it: [Answer]
OUT = ROOT / "docs" / "roles"
# Monday 16 November 2026, 10:00 in Chicago: a business day.
START = datetime(2026, 11, 16, 16, 0, tzinfo=UTC)

# What each button does, by its visible words (DESIGN.md: buttons are found by these words).
BUTTONS: dict[str, str] = {
    "Answer": "opens a box for your answer; it goes to the person who asked, and to everyone who had the item "
              "before you. The item closes.",
    "Escalate": "sends the item to the next tier of the protocol (with an optional note); it is theirs from then on.",
    "Reassign": "hands the item to someone else at the same tier (another lead facilitator, say), with a fresh "
                "deadline.",
    "Withdraw": "takes back a request (your own; an admin may withdraw any); everyone working on it is told it is "
                "no longer needed.",
    "No match here": "on a training request: nobody suitable at this stage, so the next stage of the trainer match "
                     "is asked (the other CST facilitators, then the state's trainer-match contacts).",
    "Offer a trainer": "offers yourself or someone on your team (a state trainer-match contact: one of your "
                       "trainers, with the days it commits) as the trainer. The first offer wins; the others are told "
                       "they are no longer needed.",
    "Take it": "an item sent to every holder of a tier (all the lead facilitators, say) is nobody's until one of "
               "you takes it; the first click makes it yours, and the others' cards say who took it.",
    "This is a training request": "turns a question that is really a training request into one: name the "
                                  "topics, and the trainer match starts with your team.",
    "No one to offer": "tells the facilitator you have nobody to offer, so they do not wait for you.",
    "Choose a candidate ▾": "picks one of the ranked candidates as the trainer; the district and the trainer are "
                            "told.",
    "Review & submit": "opens the month's coaching log: check the entries, edit or remove one, and submit it.",
    "Log an interaction": "opens the coaching interaction form (district, date, duration, type, participants, CST "
                          "members present, topics, resources, comments).",
    "Write the update": "opens the month's CST update form, with the figures already drafted from cstbot's "
                        "records; add highlights, concerns and asks (all optional) and send it.",
    "Acknowledge": "tells the lead facilitator you have read the month's CST update; their Home tab counts who has.",
    "Got it": "confirms you have the management team's minutes; the sender's Home tab counts who has them.",
    "Share with my team": "passes the minutes on to your team's members by DM, with a note from you if you like; "
                          "it is recorded, so a co-facilitator is not asked to do it again.",
    "Remind me tomorrow": "puts the reminder off to your next working morning (twice at most; the third time the "
                          "reminder says it cannot be put off again). If the thing is done by then, it is not sent.",
}


@dataclass(frozen=True)
class Section:
    title: str
    text: str  # Markdown; `{name}` placeholders are filled from facts() (deadlines from the protocol file)
    example: str | None = None  # a key of examples()


@dataclass(frozen=True)
class Page:
    slug: str
    role: Role
    does: str
    commands: tuple[str, ...]
    sections: tuple[Section, ...] = field(default=())


SHARE_TEXT = ("`/cst share` (or *Share with the network* on your Home tab): a title, and a text, a link or an "
              "uploaded file (at least one), to the audiences you tick: the CST facilitators, every CST member, DESE "
              "Learning Services, the RPDC directors, the area supervisors, the management team. Each person gets it "
              "once by DM, however many of the audiences they are in. Your Home tab lists what you shared, each "
              "with \"delivered to N of M\".")

PAGES: tuple[Page, ...] = (
    Page("district-staff", Role.DISTRICT_STAFF,
         "District staff (the district leadership team) bring their MMD questions and training requests to their "
         "cadre's CST facilitator. The bot makes sure the request reaches that facilitator, tells you who has it "
         "and by when, and brings the answer back.",
         ("/cst ask", "/cst train", "/cst inbox", "/cst help"),
         (Section("Asking", "`/cst ask` (or *Ask a question* on the bot's Home tab) opens a short form. It goes to "
                  "your district's CST facilitator, who has {facilitator_days} business days to answer or pass it "
                  "up; if you wrote to a CST member instead, they pass it on with one click and you are told."),
          Section("Where your request stands", "Right away you get a status message. It is edited in place "
                  "every time the request moves, so the latest state is always in one message.",
                  "asker_status"),
          Section("The answer", "The answer arrives as its own message.", "answer_to_asker"),
          Section("Training", "`/cst train` asks for MMD-specific training. The facilitator looks for a trainer "
                  "inside the CST first, then across the other CSTs, then at the state's trainer-match contacts. "
                  "When a trainer is matched you are told who it is.", "match_to_requester"))),
    Page("cst-member", Role.MEMBER,
         "CST members (RPDC consultants) bring their MMD questions and updates to their facilitator, pass on "
         "district requests that reached them directly, add coaching interactions to the team's monthly log, and "
         "may be matched as trainers.",
         ("/cst ask", "/cst log", "/cst train", "/cst inbox", "/cst help", "Send to facilitator (message menu)"),
         (Section("Questions and updates", "`/cst ask` goes to your team's facilitator (never past them: the "
                  "protocol has no skipping). You see where it stands in the same way district staff do."),
          Section("A district request sent to you", "When district staff write to you instead of the facilitator, "
                  "use *Send to facilitator* from the message's menu (⋮ → More message shortcuts). The district "
                  "person and you are both told who has it.", "redirect_to_member"),
          Section("Trainer matching", "When your facilitator picks you as the trainer for a district, you are "
                  "told.", "match_to_trainer"),
          Section("The monthly coaching log", "Before the log is due you are reminded to add your "
                  "interactions; training is not a coaching interaction (it goes in the DESE activity log).",
                  "log_reminder_member"),
          Section("Management team minutes", "When your facilitator passes on the management team's minutes "
                  "(*Share with my team*), they reach you by DM with the facilitator's note. Your Home tab lists "
                  "the last three minutes that reached you.", "minutes_to_member"))),
    Page("cst-facilitator", Role.FACILITATOR,
         "The CST facilitator is the conduit of information: district requests and members' questions come to "
         "you, you answer or escalate them to the lead facilitator, you run trainer matching, and you submit the "
         "team's monthly coaching interaction log.",
         ("/cst inbox", "/cst log", "/cst ask", "/cst train", "/cst help", "the Home tab"),
         (Section("A new request for you", "Each request is a card with buttons. You have {facilitator_days} "
                  "business days; you are reminded {remind_hours} business hours before, and after the deadline "
                  "it moves up to the lead facilitator by itself.", "facilitator_card"),
          Section("Finding a trainer", "A training request starts with a ranked list of the people on your team "
                  "and the support team who list the requested expertise (then free FTE as the roster states it, "
                  "home center, supervisor-reported fit). Pick one, or pass the stage. When nobody on your team "
                  "lists it, the card names who in the network does, and the next stage is one click; the other "
                  "facilitators asked next are those whose teams list it, each shown their own candidates.",
                  "training_candidates"),
          Section("Answers that reach the district", "When someone above you answers, you get the answer too.",
                  "answer_to_chain"),
          Section("The monthly coaching log", "You are reminded before the log is due; *Review & submit* on the "
                  "Home tab (or in the reminder) shows the month's entries. The log is due {log_due_days} "
                  "business days after the month ends.", "log_reminder_facilitator"),
          Section("Management team minutes", "The management team's minutes reach every facilitator. *Got it* "
                  "confirms you have them; *Share with my team* passes them on to your team's members. If you "
                  "have not confirmed after {minutes_reminder_days} business days you are reminded once. Your "
                  "Home tab lists the last three minutes that reached you.", "minutes_to_facilitator"),
          Section("Reports shared with the network", "The management team, the state's trainer-match contacts and "
                  "the lead facilitators share evaluation reports, data summaries and notices with `/cst share`; "
                  "what they share with the CST facilitators reaches you by DM, with the text, the link and the "
                  "files.", "share_to_facilitator"))),
    Page("lead-facilitator", Role.LEAD,
         "Lead facilitators answer what the facilitators escalate, pass on to the management team what needs it, "
         "and give the management team a monthly CST update.",
         ("/cst update", "/cst share", "/cst inbox", "/cst ask", "/cst help", "the Home tab"),
         (Section("Escalations", "A facilitator's escalation (or an item no facilitator answered in time) "
                  "reaches every available lead facilitator at once. *Take it* and it is yours (the others' cards "
                  "say who took it); the tier has {lead_days} business days to answer or escalate to the "
                  "management team, and until someone takes it every lead facilitator is reminded.", "lead_card"),
          Section("The monthly CST update", "Once a month you send the management team the CST update for the "
                  "month just ended, due {lead_update_days} business days after it: `/cst update`, or *Write the "
                  "update* on the reminder that comes a few days before (and once more if it is late). The form "
                  "opens with a draft compiled from cstbot's own records, per team and in total: requests "
                  "received, answered, escalated and moved on by a deadline, the median time to an answer, what "
                  "is open past its deadline; training requests by the matching stage they reached and how many "
                  "were matched; each team's coaching log, on time, late or missing. You add highlights, concerns "
                  "and asks of the management team (all optional; the figures go as they are). With several lead "
                  "facilitators, each sends their own or one sends it for all. Sending again replaces it: the "
                  "messages already sent are edited in place.", "lead_update_reminder"),
          Section("Who has read it", "Your Home tab shows when you sent it and how many management team members "
                  "have acknowledged it, naming those who have not."),
          Section("Sharing reports with the network", SHARE_TEXT))),
    Page("management-team", Role.MANAGEMENT,
         "The management team receives the lead facilitators' monthly CST updates and what they escalate, and "
         "shares its meeting minutes with the facilitators.",
         ("/cst minutes", "/cst share", "/cst inbox", "/cst help", "the Home tab"),
         (Section("Escalations", "An item escalated past the lead facilitators reaches every member of the "
                  "management team, the last tier. *Take it* and it is yours; {management_days} business days, "
                  "after which it stays with the tier and the admins are told.", "management_card"),
          Section("The monthly CST update", "The lead facilitators' update reaches you by DM (and any updates "
                  "channel). *Acknowledge* it so they know it reached you. Your Home tab shows the month's update, "
                  "or that it is not yet received and when it is due.", "update_to_management"),
          Section("Sharing your meeting's minutes", "`/cst minutes` (or *Share meeting minutes* on your Home "
                  "tab): the meeting date, and the minutes as text (up to 3,000 characters), a link, an uploaded "
                  "file, or any of them; decisions and action items if you like. They go to every CST "
                  "facilitator and minutes channel; your Home tab shows how many facilitators have them and who "
                  "has not confirmed yet."),
          Section("Sharing reports with the network", SHARE_TEXT))),
    Page("state-contact", Role.STATE_CONTACT,
         "State trainer-match contacts (staff with Collaborative Work FTE) are the last stop of trainer matching: "
         "you are asked only for what the team and the other CSTs could not match, and only when the request's "
         "topics match your expertise (or nobody's does).",
         ("/cst share", "/cst inbox", "/cst help", "the Home tab"),
         (Section("Asked for a trainer", "Offer yourself or one of your trainers, with the days the training "
                  "commits; the form shows what is left of the school year's allocation, and going past it needs "
                  "a tick. The first offer wins; the others asked are told they are no longer needed. "
                  "`cstbot trainers` prints the allocation ledger.", "offer_request_state"),
          Section("Sharing reports with the network", SHARE_TEXT))),
    Page("support-team", Role.SUPPORT,
         "The CST support team (Special Education, Early Childhood, Social-Behavioral: advisory resources that span "
         "across all teams) is on no single team. You are a trainer candidate on every team's training requests "
         "that list your expertise, any team can list you as present on its coaching interaction log, and your "
         "questions go straight to the lead facilitators, since no facilitator is yours.",
         ("/cst ask", "/cst inbox", "/cst help", "the Home tab"),
         (Section("Asking", "`/cst ask` goes to the lead facilitators; the status message is edited in place as it "
                  "moves.", "support_asks"),
          Section("Matched as a trainer", "A facilitator picked you for a district's training: you are told who "
                  "asked and who made the match, and they will be in touch.", "match_to_support"))),
    Page("admin", Role.ADMIN,
         "Admins keep the roster current (`cstbot roster import`; `cstbot roster export` writes what the database "
         "holds as a file to edit and import again), watch what could not be delivered, and step in "
         "when an item is stuck: an admin may answer, escalate or reassign any item.",
         ("cstbot roster import FILE", "cstbot roster export", "cstbot roster show", "cstbot route explain",
          "/cst inbox", "the Home tab"),
         (Section("Stuck items", "When an item is overdue at the last tier, or nobody can own it, every admin is "
                  "told.", "admin_alert"),
          Section("Failed deliveries", "A message Slack refused (or for someone with no Slack account in the "
                  "roster) is never dropped: the admins' Home tab lists it."))),
)


# --- the examples --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    to: str  # "Avery Lindqvist (CST facilitator, Early East)"
    lines: tuple[str, ...]
    buttons: tuple[str, ...]


def examples(roster: Path | None = None) -> dict[str, Example]:
    """Play the scenario on a temporary database and return its messages by name."""
    roster = roster or find_example_roster()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'roles.db'}"
        engine = make_engine(url)
        try:
            SQLModel.metadata.create_all(engine)
            import_roster(read_roster(roster), engine=engine)
            settings = Settings(_env_file=None, slack_bot_token="xoxb-docs", database_url=url, cstbot_protocol=None,
                                cstbot_timezone="America/Chicago")  # the pages never depend on the environment
            clock = ManualClock(START)
            deps = Deps(settings=settings, engine=engine, client=WebClient(token="xoxb-docs"),
                        protocols=load_book(settings, engine), clock=clock)
            return _Play(deps, clock).run()
        finally:
            engine.dispose()


class _Play:
    def __init__(self, deps: Deps, clock: ManualClock) -> None:
        self.deps, self.clock, self.service = deps, clock, Service(deps)
        with deps.session() as s:
            self.d: Directory = self.service.directory(s)
        self.protocol: Protocol = deps.protocols.current
        self.seen = 0
        self.found: dict[str, Example] = {}

    def person(self, role: Role, team: str | None = None) -> Person:
        if role in (Role.FACILITATOR, Role.MEMBER):
            t = next(t for t in self.d.active_teams() if t.name == team)
            return self.d.people[self.d.team_memberships(t.id, role=role)[0].person_id]
        if role is Role.DISTRICT_STAFF:
            t = next(t for t in self.d.active_teams() if t.name == team)
            return self.d.people[next(d for d in self.d.districts_of_team(t.id) if d.staff).staff[0]]
        return self.d.holders(role)[0]

    def take(self, name: str, to: Person, when: Callable[[dict[str, Any]], bool] = lambda p: True) -> None:
        """Record the latest message to `to` sent since the last take (new rows only) under `name`."""
        with self.deps.session() as s:
            rows = s.exec(select(Outbox).where(Outbox.id > self.seen, Outbox.method == "chat.postMessage")
                          .order_by(Outbox.id)).all()
        names = {p.slack_id: p.label for p in self.d.people.values() if p.slack_id}
        render = Renderer(self.deps)  # an item's notice is rendered when it is sent: render it as the dispatcher would
        mine = [p for p in (render.payload(r) for r in rows if r.payload.get("channel") == to.slack_id) if when(p)]
        assert mine, f"no message to {to.label} for {name}"
        blocks = mine[-1]["blocks"]
        lines = block_lines(blocks, names)
        controls = tuple(label for line in lines for label in CONTROL.findall(line))
        self.found[name] = Example(f"{to.label} ({self._roles(to)})", tuple(lines), controls)

    def done(self) -> None:
        with self.deps.session() as s:
            self.seen = max([0, *s.exec(select(Outbox.id)).all()])

    def _roles(self, person: Person) -> str:
        from bot.slack.format import roles_text

        return roles_text(self.d, self.protocol, person)

    def run(self) -> dict[str, Example]:
        team = self.d.active_teams()[0].name
        staff, member = self.person(Role.DISTRICT_STAFF, team), self.person(Role.MEMBER, team)
        facilitator, lead = self.person(Role.FACILITATOR, team), self.person(Role.LEAD)
        management, admin = self.person(Role.MANAGEMENT), self.person(Role.ADMIN)
        s = self.service

        item = s.start(staff, kind=ItemKind.DISTRICT, text="How do we start data teams in our two buildings?")
        self.take("asker_status", staff)
        self.take("facilitator_card", facilitator)
        self.done()
        s.act(facilitator, item_id=item.id, kind=EventKind.ESCALATED, reason="A question for the whole network")
        self.take("lead_card", lead)
        self.done()
        s.act(lead, item_id=item.id, kind=EventKind.TAKEN)  # every lead facilitator was asked; one takes it
        self.done()
        s.act(lead, item_id=item.id, kind=EventKind.ANSWERED, text="Start with one grade's common assessment.")
        self.take("answer_to_asker", staff)
        self.take("answer_to_chain", facilitator)
        self.done()

        s.forward(member, requester=staff, kind=ItemKind.DISTRICT, text="Could someone visit in March?",
                         source={"channel": "D0DOCS", "ts": "1700000000.000100"})
        self.take("redirect_to_member", member)
        self.done()

        question = s.start(member, kind=ItemKind.QUESTION, text="Is the spring data summit in person this year?")
        s.act(facilitator, item_id=question.id, kind=EventKind.ESCALATED)
        s.act(lead, item_id=question.id, kind=EventKind.ESCALATED, reason="The management team decides")
        self.take_management(question.id, management, admin)

        training = s.start(staff, kind=ItemKind.TRAINING, text="IEP goal-writing training for our SPED team",
                           topics=("Special Education",))
        self.take("training_candidates", facilitator)
        self.done()
        s.act(facilitator, item_id=training.id, kind=EventKind.ESCALATED, reason="Nobody on our team")
        self.done()
        s.act(facilitator, item_id=training.id, kind=EventKind.ESCALATED, reason="No other team offered")
        state = self.d.holders(Role.STATE_CONTACT)[0]
        self.take("offer_request_state", state)
        self.done()
        s.act(state, item_id=training.id, kind=EventKind.OFFERED, candidate_id=state.id, days=2)
        self.take("match_to_requester", staff)
        self.done()

        match = s.start(staff, kind=ItemKind.TRAINING, text="Coaching cycles for new teachers")
        s.act(facilitator, item_id=match.id, kind=EventKind.MATCHED, candidate_id=member.id)
        self.take("match_to_trainer", member)
        self.done()

        support = self.d.holders(Role.SUPPORT)[0]
        s.start(support, kind=ItemKind.QUESTION, text="Is there a shared behavior-plan template for every team?")
        self.take("support_asks", support)
        self.done()
        behavior = s.start(staff, kind=ItemKind.TRAINING, text="Behavior supports for our middle school",
                           topics=("Social-Behavioral",))
        s.act(facilitator, item_id=behavior.id, kind=EventKind.MATCHED, candidate_id=support.id)
        self.take("match_to_support", support)
        self.done()

        self._reminders(team, facilitator, member, lead)
        self._monthly_loop(team, facilitator, member, lead, management)
        return self.found

    def take_management(self, item_id: int, management: Person, admin: Person) -> None:
        self.take("management_card", management)
        self.done()
        with self.deps.session() as s:
            row = self.service.item(s, item_id)[1]
        assert row.deadline_at is not None
        self.clock.move_to(row.deadline_at + timedelta(minutes=1))
        self.service.sweep(now=self.clock.now)
        self.take("admin_alert", admin)
        self.done()

    def _reminders(self, team: str, facilitator: Person, member: Person, lead: Person) -> None:
        month_end = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        self.clock.move_to(self.protocol.log_reminder_at("2026-11") + timedelta(minutes=1))
        assert self.clock.now > month_end
        run_reminders(self.deps, self.clock.now)
        self.take("log_reminder_facilitator", facilitator)
        self.take("log_reminder_member", member)
        self.done()
        due = self.protocol.lead_update_due_at("2026-11")
        self.clock.move_to(due - timedelta(days=2))
        run_lead_updates(self.deps, self.clock.now)
        self.take("lead_update_reminder", lead)
        self.done()

    def _monthly_loop(self, team: str, facilitator: Person, member: Person, lead: Person, management: Person) -> None:
        """The lead's update to the management team; the management team's minutes to the facilitators, on."""
        form = UpdateForm(month="2026-11", token="docs-update", revision=0, for_all=True,
                          texts={"highlights": "Two districts launched data teams.", "concerns": "",
                                 "asks": "Confirm the spring site-visit calendar."})
        updates.send(self.deps, self.d, lead, form)
        self.take("update_to_management", management)
        self.done()
        today = self.clock.now.astimezone(self.protocol.timezone).date()
        sent = minutes.send(self.deps, self.d, management, MinutesForm(
            token="docs-minutes", meeting_date=today - timedelta(days=1), text="Spring site visits: March 2-20.",
            link="https://docs.example.org/mmd/minutes", action_items="Send your teams' dates by January 15."))
        self.take("minutes_to_facilitator", facilitator)
        self.done()
        minutes.share(self.deps, self.d, facilitator, ShareForm(minutes_id=sent.minutes.id,
                                                                note="Please hold March 2-20."))
        self.take("minutes_to_member", member)
        self.done()
        sharing.send(self.deps, self.d, management, NetworkShareForm(
            token="docs-share", title="MMD evaluation: fall data analysis",
            text="Coaching interactions rose a third since spring; the full analysis is linked.",
            link="https://docs.example.org/mmd/evaluation-fall", audiences=["facilitators", "rpdc_directors"]))
        self.take("share_to_facilitator", facilitator)
        self.done()


# --- the pages -----------------------------------------------------------------------------------------------


def facts(protocol: Protocol) -> dict[str, Any]:
    question = protocol.chains[ItemKind.QUESTION]
    days = {t.name: t.deadline_days for t in question.tiers}
    return {
        "facilitator_days": days.get("facilitator"),
        "lead_days": days.get("lead"),
        "management_days": days.get("management"),
        "remind_hours": f"{question.tiers[0].remind_before_hours:g}",
        "log_due_days": protocol.reporting.log_due_days,
        "lead_update_days": protocol.reporting.lead_update_due_days,
        "minutes_reminder_days": MINUTES_REMINDER_BUSINESS_DAYS,
    }


def render_pages(found: dict[str, Example] | None = None) -> dict[str, str]:
    """file name -> Markdown, for every page and the index."""
    found = examples() if found is None else found
    protocol = load_protocol(None)  # the shipped protocol, whatever CSTBOT_PROTOCOL says
    values = facts(protocol)
    pages: dict[str, str] = {}
    for page in PAGES:
        sections = []
        buttons: dict[str, str] = {}
        for section in page.sections:
            example = found[section.example] if section.example else None
            for label in example.buttons if example else ():
                if label not in BUTTONS:
                    raise KeyError(f"docs/roles: the button {label!r} on {section.example} is not explained in "
                                   "bot/demo/role_pages.py BUTTONS")
                buttons[label] = BUTTONS[label]
            sections.append({"title": section.title, "text": section.text.format(**values), "example": example})
        pages[f"{page.slug}.md"] = render_text("docs/role_page.md.j2", page=page, title=protocol.label(page.role),
                                               sections=sections, buttons=buttons, protocol=protocol).rstrip() + "\n"
    pages["README.md"] = render_text("docs/role_index.md.j2", pages=PAGES, label=protocol.label).rstrip() + "\n"
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.demo.role_pages", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/roles/ is up to date")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # people without a Slack id in the example roster are part of the example
    try:
        pages = render_pages()
    finally:
        logging.disable(logging.NOTSET)
    stale = [name for name, text in pages.items()
             if not (OUT / name).exists() or (OUT / name).read_text(encoding="utf-8") != text]
    if args.check:
        if stale:
            print(f"docs/roles/ is out of date ({', '.join(stale)}): run python -m bot.demo.role_pages",
                  file=sys.stderr)
            return 1
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (OUT / name).write_text(pages[name], encoding="utf-8")
    print(f"docs/roles/: {len(stale)} of {len(pages)} pages written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
