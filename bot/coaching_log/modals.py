"""The coaching log in Slack: the entry modal, the facilitator's review of a month, and parsing the form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.ids import Callback
from bot.slack import forms
from routing.coaching_log import Entry, Field, month_label, present_choices, team_of_district, teams_of
from routing.directory import Directory, Person
from routing.protocol import Protocol
from store.models import Interaction
from templates import render_json, render_text

MAX_REVIEW_ENTRIES = 90  # a modal holds 100 blocks: header, divider, entries, a "more" line


@dataclass(frozen=True)
class LogChoices:
    districts: list[dict[str, Any]]
    members: list[dict[str, Any]]
    team_ids: tuple[int, ...]


def choices(directory: Directory, person: Person) -> LogChoices:
    teams = teams_of(directory, person.id)
    districts = sorted(
        ({"id": d.id, "name": d.name} for t in teams for d in directory.districts_of_team(t)), key=lambda d: d["name"]
    )
    member_ids = present_choices(directory, teams)
    members = [
        {"id": pid, "name": directory.people[pid].label}
        for pid in member_ids
        if pid in directory.people and directory.people[pid].active
    ]
    return LogChoices(districts=districts, members=sorted(members, key=lambda m: m["name"]), team_ids=teams)


def log_modal(directory: Directory, person: Person, protocol: Protocol, *, today: date,
              entry: Interaction | None = None, review_view_id: str | None = None) -> dict:
    c = choices(directory, person)
    types = [{"key": t.key, "label": t.label} for t in protocol.interaction_types]
    types += [{"key": n.key, "label": f"{n.label} (not coaching)"} for n in protocol.not_coaching]
    meta: dict[str, Any] = {"entry_id": entry.id} if entry else {}
    meta["as"] = person.id  # who fills it in (an account may play several people: roster try)
    if review_view_id:
        meta["review"] = review_view_id
    return render_json(
        "modals/log_modal.json.j2",
        callback_id=Callback.LOG.value,
        metadata=json.dumps(meta),
        intro=render_text("messages/log_intro.md.j2", words=protocol.words()).strip(),
        words=protocol.words(),
        districts=c.districts,
        members=c.members,
        default_members=[person.id],
        types=types,
        topic_groups=[
            {"label": "Standards for Professional Learning", "options": list(protocol.standards)},
            {"label": "Expertise areas", "options": list(protocol.expertise)},
        ],
        today=today.isoformat(),
        entry=entry,
    )


# Form field -> the input block holding it (the template's block ids are the field names).
BLOCKS = {f: f.value for f in Field}


def parse(view: dict[str, Any]) -> tuple[Entry, dict[str, str]]:
    """The entry as typed, and errors for values that do not even parse (a date, a number)."""
    errors: dict[str, str] = {}
    raw_date = (forms._value(view, Field.DATE) or {}).get("selected_date")
    occurred_on = None
    if raw_date:
        try:
            occurred_on = date.fromisoformat(raw_date)
        except ValueError:
            errors[Field.DATE] = "Please pick a date from the calendar."
    duration = None
    raw_duration = forms.text(view, Field.DURATION)
    if raw_duration:
        try:
            duration = int(raw_duration)
        except ValueError:
            errors[Field.DURATION] = "Please give whole minutes, e.g. 45."
    district = forms.selected(view, Field.DISTRICT)
    members = []
    for value in forms.selected_many(view, Field.MEMBERS):
        if value.isascii() and value.isdigit():
            members.append(int(value))
    entry = Entry(
        district_id=int(district) if district and district.isascii() and district.isdigit() else None,
        occurred_on=occurred_on,
        duration_minutes=duration,
        interaction_type=forms.selected(view, Field.TYPE),
        description=forms.text(view, Field.DESCRIPTION),
        participants=forms.text(view, Field.PARTICIPANTS),
        members_present=tuple(members),
        topics=tuple(forms.selected_many(view, Field.TOPICS)),
        resources=forms.text(view, Field.RESOURCES),
        comments=forms.text(view, Field.COMMENTS),
        no_student_data="none" in forms.selected_many(view, Field.PRIVACY),
    )
    return entry, errors


def entry_team(directory: Directory, entry: Entry) -> int | None:
    return team_of_district(directory, entry.district_id) if entry.district_id is not None else None


def entry_line(directory: Directory, protocol: Protocol, row: Interaction) -> str:
    kind = protocol.interaction(row.interaction_type)
    district = directory.districts.get(row.district_id)
    author = directory.people.get(row.author_id)
    return render_text(
        "messages/log_entry_line.md.j2",
        row=row,
        type_label=kind.label if kind else row.interaction_type,
        district=district.name if district else "?",
        author=author.label if author else "?",
        members=[directory.people[m].label for m in row.members_present if m in directory.people],
    ).strip()


def review_modal(directory: Directory, protocol: Protocol, person: Person, *, team_id: int, month: str,
                 rows: list[Interaction], locked: bool, due_at: datetime, tz) -> dict:
    team = directory.teams[team_id]
    entries = [
        {"id": r.id, "text": entry_line(directory, protocol, r), "editable": not locked} for r in rows
    ]
    minutes = sum(r.duration_minutes for r in rows)
    header = render_text(
        "messages/log_review_header.md.j2",
        team=team.name, month=month_label(month), count=len(rows), hours=round(minutes / 60, 1),
        contributors=len({r.author_id for r in rows}), locked=locked,
        due=due_at.astimezone(tz).strftime("%a %b %-d"),
    ).strip()
    return render_json(
        "modals/log_review.json.j2",
        callback_id=Callback.LOG_SUBMIT.value,
        metadata=json.dumps({"team_id": team_id, "month": month}),
        month=month,
        month_short=date(int(month[:4]), int(month[5:]), 1).strftime("%b %Y"),
        header=header,
        entries=entries,
        can_submit=not locked,
        max_entries=MAX_REVIEW_ENTRIES,
    )
