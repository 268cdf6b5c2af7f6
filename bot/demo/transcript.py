"""The demo's transcript: what each person did and what the app showed them, as plain text and as events.

Block Kit is flattened to what a reader sees (section and context text, buttons as [Label]); mentions become
names, dates their fallback text. Messages that differ only in names go out as one "the same to ..." line, and
card edits are counted, so a step fits on a screen.

Everything printed is also kept as an event (`Transcript.events`), one dict with the same keys for every scene:
``step`` (the step's number), ``actor`` (who acted, or null for the app and the scheduler), ``action`` (one of
ACTIONS), ``recipients`` (who saw it), ``text`` (what they saw, in full). `cstbot demo --json` prints them one
per line. A scene only calls the methods below; it never writes an event by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from bot.demo.standin import AppResponse, Call
from routing.directory import Directory, Role
from routing.protocol import Protocol
from routing.vocabulary import in_sentence

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
EMOJI = {":white_check_mark:": "✓", ":arrow_right:": "→", ":hourglass:": "⌛", ":rotating_light:": "(!)",
         ":x:": "✗", ":warning:": "(!)"}
_SPECIAL = re.compile(r"<!(here|channel|everyone)>")
HOME_LINES = 7  # lines of a Home tab shown below its title

# Event actions: a step begins; a note from the narrator (the scheduler did something); a person does something;
# a DM or a channel post arrives; earlier messages are edited in place; a modal opens or changes; a form refuses
# a field; a reply only the actor sees; a Home tab is shown.
ACTIONS = ("step", "note", "does", "dm", "post", "edit", "modal", "field_error", "reply", "home", "done")


def plain(text: str, names: dict[str, str]) -> str:
    """Slack mrkdwn as a reader sees it: mentions as names, dates as dates, links as their text."""
    text = _MENTION.sub(lambda m: names.get(m.group(1), m.group(1)), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)  # *bold*
    text = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"\1", text)  # _italic_
    for code, symbol in EMOJI.items():
        text = text.replace(code, symbol)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_of(obj: Any) -> str:
    """The text of a Block Kit text object (or "")."""
    return obj.get("text", "") if isinstance(obj, dict) else ""


def block_lines(blocks: list[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """The readable lines of a message or view: headers, sections, context; buttons and menus as [Label]."""
    lines: list[str] = []
    for block in blocks or []:
        kind = block.get("type")
        texts: list[str] = []
        if kind in ("header", "section"):
            texts.append(text_of(block.get("text")))
            texts += [text_of(f) for f in block.get("fields") or []]
            accessory = block.get("accessory") or {}
            if accessory.get("type") in ("static_select", "overflow", "users_select"):
                texts[-1] += f"  [{text_of(accessory.get('placeholder')) or 'menu'} ▾]"
            elif accessory.get("type") == "button":
                texts[-1] += f"  [{text_of(accessory.get('text'))}]"
        elif kind == "context":
            texts.append("  ".join(text_of(e) for e in block.get("elements") or [] if e.get("type") != "image"))
        elif kind == "actions":
            labels = [text_of(e.get("text")) or text_of(e.get("placeholder")) for e in block.get("elements") or []]
            texts.append(" ".join(f"[{label}]" for label in labels if label))
        elif kind == "input":
            texts.append(f"<{text_of(block.get('label'))}>")
        for text in texts:
            lines += [line.rstrip() for line in plain(text, names).splitlines() if line.strip()]
    return lines


@dataclass
class DM:
    """One message, sent to one or more people (the same text but for names)."""

    recipients: list[str]
    headline: str
    body: list[str]
    buttons: str
    full: str = ""  # every readable line of the message (the events carry it whole)


def message_parts(blocks: list[dict[str, Any]], names: dict[str, str]) -> tuple[str, list[str], str]:
    """A card or reminder as (headline, the rest of its first section, its buttons as "[Answer] [Escalate]")."""
    lines = next((plain(text_of(b.get("text")), names).splitlines() for b in blocks if b.get("type") == "section"),
                 [])
    lines = [line.strip() for line in lines if line.strip()]
    controls = [line for line in block_lines([b for b in blocks if b.get("type") == "actions"], names)]
    for block in blocks:
        accessory = block.get("accessory") or {}
        if accessory.get("type") == "static_select":
            controls.insert(0, f"[{text_of(accessory.get('placeholder')) or 'menu'} ▾]")
    return (lines[0] if lines else ""), lines[1:], " ".join(controls)


@dataclass
class Transcript:
    """Prints what people do and what they see (to `out`, if any), and keeps the lines."""

    out: TextIO | None
    names: dict[str, str]  # slack id -> name
    roles: dict[str, str]  # slack id -> "CST facilitator, Early East" (the protocol's labels)
    proper_nouns: list[str] = field(default_factory=list)  # people, teams, districts: for grouping messages
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> "the updates channel"
    lines: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    _modals_seen: set[str] = field(default_factory=set)
    _step: int = 0

    @classmethod
    def for_directory(cls, directory: Directory, out: TextIO | None, protocol: Protocol,
                      channels: dict[str, str] | None = None) -> Transcript:
        names = {p.slack_id: p.label for p in directory.people.values() if p.slack_id}
        return cls(out=out, names=names, roles=role_labels(directory, protocol), proper_nouns=proper_nouns(directory),
                   channels=dict(channels or {}))

    def print(self, line: str = "") -> None:
        self.lines.append(line)
        if self.out is not None:
            print(line, file=self.out)

    def event(self, action: str, text: str, *, actor: str | None = None, recipients: list[str] | None = None,
              **extra: Any) -> None:
        """Keep what was shown as an event (the one place events are made)."""
        assert action in ACTIONS, action
        self.events.append({"step": self._step, "actor": self.who(actor, role=False) if actor else None,
                            "action": action, "recipients": [self.who(r, role=False) for r in recipients or []],
                            "text": text, **extra})

    def heading(self, number: int, title: str, when: datetime, tz) -> None:
        local = when.astimezone(tz)
        self._step = number
        self.print()
        self.print(f"── {number}. {title} " + "─" * max(3, 80 - len(title) - 6 - len(str(number))))
        self.print(f"   {local:%a %d %b %Y, %-I:%M %p %Z}")
        self.event("step", title, at=when.isoformat())

    def note(self, text: str) -> None:
        self.print(f"   ({text})")
        self.event("note", text)

    def done(self, text: str) -> None:
        self.event("done", text)

    def who(self, slack_id: str, *, role: bool = True) -> str:
        if slack_id in self.channels:
            return self.channels[slack_id]
        name = self.names.get(slack_id, slack_id)
        return f"{name} ({self.roles[slack_id]})" if role and slack_id in self.roles else name

    def action(self, slack_id: str, what: str) -> None:
        self.print(f" • {self.who(slack_id, role=False)} {what}")
        self.event("does", what, actor=slack_id)

    def body(self, lines: list[str], limit: int) -> None:
        for line in lines[:limit]:
            self.print(f"       {_clip(line)}")

    def generic(self, text: str) -> str:
        """The text with names and numbers blanked: two messages that differ only there are "the same"."""
        for noun in self.proper_nouns:
            text = text.replace(noun, "…")
        return re.sub(r"\d+", "#", text)

    def first_modal(self, title: str, first_line: str) -> bool:
        key = self.generic(f"{title}|{first_line}")
        seen = key in self._modals_seen
        self._modals_seen.add(key)
        return not seen

    def dm(self, dm: DM) -> None:
        first = dm.recipients[0]
        where = "post in" if first in self.channels else "DM to"
        self.print(f"   → {where} {self.who(first)}: {_clip(dm.headline, 100)}")
        limit = 4 if any(line.endswith(":") for line in dm.body[:2]) else 1  # a list follows: show some of it
        self.body(dm.body, limit)
        if dm.buttons:
            self.print(f"       {_clip(dm.buttons)}")
        others = dm.recipients[1:]
        if others:
            listed = ", ".join(self.who(r, role=False) for r in others[:6])
            more = f" and {len(others) - 6} more" if len(others) > 6 else ""
            self.print(f"     … and the same to {listed}{more}")
        people = [r for r in dm.recipients if r not in self.channels]
        posts = [r for r in dm.recipients if r in self.channels]
        text = dm.full or "\n".join([dm.headline, *dm.body])
        for action, recipients in (("dm", people), ("post", posts)):
            if recipients:
                self.event(action, text, recipients=recipients, buttons=_labels(dm.buttons))

    def edits(self, recipients: list[str]) -> None:
        counted: dict[str, int] = {}
        for r in recipients:
            counted[r] = counted.get(r, 0) + 1
        listed = ", ".join(self.who(r, role=False) + (f" ×{n}" if n > 1 else "") for r, n in counted.items())
        self.print(f"   ↻ {len(recipients)} earlier card{'s' if len(recipients) > 1 else ''} edited in place "
                   f"to show the new state: {_clip(listed, 80)}")
        self.event("edit", f"{len(recipients)} earlier message(s) edited in place", recipients=list(counted))

    # --- what the app showed ----------------------------------------------------------------------

    def response(self, user: str, response: AppResponse) -> None:
        """The app's HTTP answer: a modal's next view, field errors, or a reply only the sender sees."""
        if not response.text:
            return
        if response.headers.get("content-type", "").startswith("text/plain"):
            body: Any = {"text": response.text}
        else:
            body = response.json()
        if not isinstance(body, dict):
            return
        names = self.names
        if body.get("response_action") == "errors":
            for block, error in body.get("errors", {}).items():
                self.print(f"   ✗ the form refuses it ({block}): {plain(error, names)}")
                self.event("field_error", plain(error, names), actor=user, recipients=[user], field=block)
        elif body.get("response_action") == "update":
            view = body.get("view") or {}
            lines = block_lines(view.get("blocks") or [], names)
            self.print(f"   ▢ the modal now says “{text_of(view.get('title'))}”: "
                       f"{_clip(lines[0] if lines else '', 90)}")
            self.event("modal", "\n".join(lines), actor=user, recipients=[user], title=text_of(view.get("title")))
        elif body.get("text"):
            lines = plain(body["text"], names).splitlines()
            self.print(f"   ↩ only {self.who(user, role=False)} sees: {_clip(lines[0], 90)}")
            self.event("reply", "\n".join(lines), actor=user, recipients=[user])

    def calls(self, calls: list[Call], actor: str | None) -> None:
        """Web API calls (and response_url posts) as what people saw; `actor` made the request, if anyone."""
        calls = [c for c in calls if c.status == 200 and c.method != "auth.test"]
        names = self.names
        entries: list[DM | Callable[[], None]] = []
        by_text: dict[str, DM] = {}
        edited: list[str] = []
        for call in calls:
            a = call.args
            if call.method == "chat.postMessage":
                user = _dm_user(str(a.get("channel", "")))
                headline, body, buttons = message_parts(a.get("blocks") or [], names)
                key = self.generic(headline or plain(a.get("text", ""), names))
                key = f"post:{key}" if user in self.channels else key  # a channel post is not "the same" as a DM
                if key in by_text:
                    by_text[key].recipients.append(user)
                    continue
                fallback = plain(a.get("text", ""), names)
                full = "\n".join(block_lines(a.get("blocks") or [], names)) or fallback
                by_text[key] = DM([user], headline or fallback, body, buttons, full)
                entries.append(by_text[key])
            elif call.method == "chat.update":
                edited.append(_dm_user(str(a.get("channel", ""))))
            else:
                entries.append(lambda call=call: self._call(call, actor))
        for entry in entries:
            if isinstance(entry, DM):
                self.dm(entry)
            else:
                entry()
        if edited:
            self.edits(edited)

    def _call(self, call: Call, actor: str | None) -> None:
        a, names = call.args, self.names
        who = self.who(actor, role=False) if actor else "someone"
        if call.method in ("views.open", "views.push"):
            view = a.get("view") or {}
            title = text_of(view.get("title"))
            lines = [x for x in block_lines(view.get("blocks") or [], names) if not x.startswith("<")]
            first = lines[0] if lines else ""
            if not self.first_modal(title, first):
                return  # the same modal as before, with other details: not worth a line
            submit = text_of(view.get("submit"))
            self.print(f"   ▢ {who} sees the “{title}” modal: {_clip(first, 80)}"
                       + (f"  [{submit}]" if submit.startswith("Submit") else ""))
            self.event("modal", "\n".join(lines), actor=actor, recipients=[actor] if actor else [], title=title)
        elif call.method == "views.update":
            title = text_of((a.get("view") or {}).get("title"))
            self.print(f"   ▢ the “{title}” modal refreshes")
            self.event("modal", "the modal refreshes", actor=actor, recipients=[actor] if actor else [], title=title)
        elif call.method == "views.publish":
            lines = block_lines((a.get("view") or {}).get("blocks") or [], names)
            user = str(a.get("user_id") or actor or "")
            self.print(f"   ⌂ {self.who(user, role=False)}'s Home tab: {_clip(lines[0] if lines else '', 80)}")
            self.body(lines[1:], HOME_LINES)
            self.event("home", "\n".join(lines), actor=actor, recipients=[user])
        elif call.method == "response_url":
            lines = plain(str(a.get("text", "")), names).splitlines() or [""]
            self.print(f"   ↩ only {who} sees: {_clip(lines[0], 100)}")
            self.event("reply", "\n".join(lines), actor=actor, recipients=[actor] if actor else [])


def _labels(buttons: str) -> list[str]:
    """"[Answer] [Escalate]" -> ["Answer", "Escalate"]."""
    return re.findall(r"\[([^\]]+)\]", buttons)


def _clip(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _dm_user(channel: str) -> str:
    return channel[1:] if channel.startswith("D") and len(channel) > 1 else channel


def role_labels(directory: Directory, protocol: Protocol) -> dict[str, str]:
    """slack id -> "CST facilitator, Early East", "district staff, Birchfield C-4", "lead facilitator", ...: the
    protocol's labels, as they read inside a sentence."""
    def label(role: Role) -> str:
        return in_sentence(protocol.label(role))

    directors = {a.person_id: a.center for a in directory.audiences if a.active}
    director = in_sentence(protocol.audience("rpdc_directors").singular)
    labels: dict[str, str] = {}
    for person in directory.people.values():
        if not person.slack_id:
            continue
        parts: list[str] = []
        for m in directory.memberships_of(person.id):
            team = directory.teams.get(m.team_id)
            parts.append(f"{label(m.role)}, {team.name}" if team else label(m.role))
        districts = directory.districts_of_staff(person.id)
        if districts:
            parts.append(f"{label(Role.DISTRICT_STAFF)}, " + " & ".join(d.name for d in districts))
        roles = directory.roles_of(person.id)
        for role in (Role.LEAD, Role.STATE_CONTACT, Role.SUPPORT, Role.MANAGEMENT, Role.ADMIN):
            if role in roles and (not parts or role is not Role.ADMIN):
                parts.append(label(role))
        if person.id in directors:
            parts.append(f"{director}, {directors[person.id]}" if directors[person.id] else director)
        if parts:
            labels[person.slack_id] = "; ".join(parts[:2])
    return labels


def proper_nouns(directory: Directory) -> list[str]:
    """Names of people, teams and districts, longest first (so "Ravi Mendez" goes before "Ravi")."""
    nouns = [p.label for p in directory.people.values()] + [t.name for t in directory.teams.values()]
    nouns += [d.name for d in directory.districts.values()]
    return sorted({n for n in nouns if n}, key=len, reverse=True)
