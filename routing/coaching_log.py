"""The coaching interaction log's rules, as pure functions (source: "CST Implementation Guide", section
"CST Coaching Interaction Log").

What counts as a coaching interaction, what a valid entry is, who may add, edit, submit and reopen a team's
month. The Slack form and the store call these; nothing here reads a clock or a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from routing.directory import Directory, Role
from routing.protocol import Protocol

MAX_TEXT = 3000  # per free-text field: what one Slack input holds
MAX_SHORT_TEXT = 500  # participants


class Field(StrEnum):
    """The log's fields: the nine of the CST Implementation Guide, plus the description an unsure entry needs and
    the FERPA check."""

    DISTRICT = "district"
    DATE = "date"
    DURATION = "duration"
    TYPE = "type"
    DESCRIPTION = "description"
    PARTICIPANTS = "participants"
    MEMBERS = "members"
    TOPICS = "topics"
    RESOURCES = "resources"
    COMMENTS = "comments"
    PRIVACY = "privacy"


FREE_TEXT = (Field.DESCRIPTION, Field.PARTICIPANTS, Field.RESOURCES, Field.COMMENTS)


@dataclass(frozen=True)
class Entry:
    """One interaction as entered. `interaction_type` may name a not-coaching activity (then it is refused)."""

    district_id: int | None
    occurred_on: date | None
    duration_minutes: int | None
    interaction_type: str | None
    description: str = ""
    participants: str = ""
    members_present: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    resources: str = ""
    comments: str = ""
    no_student_data: bool = False


@dataclass(frozen=True)
class Context:
    """What the rules need to know about the person and their team's month."""

    today: date  # in the protocol's time zone
    district_ids: frozenset[int]  # the districts of the author's team(s)
    member_ids: frozenset[int]  # who can be listed as present: the team's members and facilitator, the support team
    locked_months: frozenset[str] = field(default_factory=frozenset)  # "YYYY-MM" already submitted


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_label(month: str) -> str:
    year, number = (int(x) for x in month.split("-"))
    return date(year, number, 1).strftime("%B %Y")


def first_loggable_day(protocol: Protocol, today: date) -> date:
    """The earliest date an interaction can be logged for: the first day of the previous school year (a month of
    the last school year can still be logged, submitted and reopened after the new one begins)."""
    this_year_start, _ = protocol.school_year(today)
    return protocol.school_year(this_year_start - timedelta(days=1))[0]


def working_day_minutes(protocol: Protocol) -> int:
    """The longest an interaction can last: one working day of the protocol's business hours."""
    start, end = protocol.calendar.day_start, protocol.calendar.day_end
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def validate(entry: Entry, protocol: Protocol, ctx: Context) -> dict[Field, str]:
    """Field -> what is wrong and what to do. Empty when the entry can be saved."""
    errors: dict[Field, str] = {}
    if entry.district_id is None:
        errors[Field.DISTRICT] = "Please pick the district."
    elif entry.district_id not in ctx.district_ids:
        errors[Field.DISTRICT] = "That district is not one of your team's: pick one of yours."
    if entry.occurred_on is None:
        errors[Field.DATE] = "Please give the date of the interaction."
    elif entry.occurred_on > ctx.today:
        errors[Field.DATE] = "That date is in the future: log interactions once they have happened."
    elif entry.occurred_on < (earliest := first_loggable_day(protocol, ctx.today)):
        errors[Field.DATE] = (
            f"Please give a date from {earliest.strftime('%B %-d, %Y')} to today: the log covers this school year "
            f"({protocol.school_year_label(ctx.today)}) and the one before it."
        )
    elif month_of(entry.occurred_on) in ctx.locked_months:
        label = month_label(month_of(entry.occurred_on))
        errors[Field.DATE] = f"{label} is already submitted. Ask your facilitator to reopen it to add to it."
    longest = working_day_minutes(protocol)
    if entry.duration_minutes is None:
        errors[Field.DURATION] = "Please give the duration in minutes."
    elif entry.duration_minutes <= 0:
        errors[Field.DURATION] = "The duration must be more than zero minutes."
    elif entry.duration_minutes > longest:
        errors[Field.DURATION] = (
            f"That is longer than a working day ({longest // 60} h). Log each day's interaction separately."
        )
    _check_type(entry, protocol, errors)
    unknown = [m for m in entry.members_present if m not in ctx.member_ids]
    if unknown:
        errors[Field.MEMBERS] = "Only your team's people and the support team can be listed as present."
    bad_topics = [t for t in entry.topics if protocol.canonical_topic(t) is None]
    if bad_topics:
        errors[Field.TOPICS] = f"Unknown topic {bad_topics[0]!r}: pick from the list."
    for name in FREE_TEXT:
        value = getattr(entry, name.value)
        limit = MAX_SHORT_TEXT if name is Field.PARTICIPANTS else MAX_TEXT
        if len(value) > limit:
            errors.setdefault(name, f"That is {len(value):,} characters; please keep it under {limit:,}.")
    if not entry.no_student_data:
        for name, what in student_data_found(entry, protocol):
            errors.setdefault(
                name,
                f"This looks like {what}. Coaching logs go to many readers, so they must not hold student "
                "personal data (FERPA). Remove it, or tick \u201cNo student personal data\u201d below if it is not.",
            )
    return errors


def _check_type(entry: Entry, protocol: Protocol, errors: dict[Field, str]) -> None:
    if not entry.interaction_type:
        errors[Field.TYPE] = "Please pick the type of interaction."
        return
    not_coaching = protocol.not_coaching_activity(entry.interaction_type)
    if not_coaching is not None:
        errors[Field.TYPE] = not_coaching.message
        return
    kind = protocol.interaction(entry.interaction_type)
    if kind is None:
        errors[Field.TYPE] = "Please pick one of the listed types."
    elif kind.requires_description and not entry.description.strip():
        errors[Field.DESCRIPTION] = (
            "Not sure it was coaching? Describe what happened, so the reviewer can decide."
        )


def student_data_found(entry: Entry, protocol: Protocol) -> list[tuple[Field, str]]:
    """(field, what it looks like) for each free-text field that matches a student-data pattern."""
    found = []
    for name in FREE_TEXT:
        text = getattr(entry, name.value)
        for pattern in protocol.student_data:
            if text and re.search(pattern.pattern, text):
                found.append((name, pattern.what))
                break
    return found


# --- who may do what ----------------------------------------------------------------------------------


def teams_of(directory: Directory, person_id: int) -> tuple[int, ...]:
    """The teams a person logs for: those they are a member or facilitator of."""
    return tuple(dict.fromkeys(m.team_id for m in directory.memberships_of(person_id)))


def team_of_district(directory: Directory, district_id: int) -> int | None:
    district = directory.districts.get(district_id)
    return district.team_id if district else None


def is_facilitator(directory: Directory, person_id: int, team_id: int) -> bool:
    return any(m.team_id == team_id and m.role is Role.FACILITATOR for m in directory.memberships_of(person_id))


def is_admin(directory: Directory, person_id: int) -> bool:
    return Role.ADMIN in directory.roles_of(person_id)


def may_manage(directory: Directory, person_id: int, team_id: int) -> bool:
    """Review, edit anyone's entries, submit and reopen the team's month: its facilitator, or an admin."""
    return is_facilitator(directory, person_id, team_id) or is_admin(directory, person_id)


def may_edit(directory: Directory, person_id: int, team_id: int, author_id: int, *, locked: bool) -> bool:
    """Change an entry: the facilitator always (a locked month must be reopened first); its author while open."""
    if locked:
        return False
    return author_id == person_id or may_manage(directory, person_id, team_id)


def context_for(directory: Directory, person_id: int, *, today: date, locked_months: frozenset[str]) -> Context:
    teams = teams_of(directory, person_id)
    district_ids = frozenset(d.id for t in teams for d in directory.districts_of_team(t))
    member_ids = frozenset(present_choices(directory, teams))
    return Context(today=today, district_ids=district_ids, member_ids=member_ids, locked_months=locked_months)


def present_choices(directory: Directory, teams: tuple[int, ...]) -> tuple[int, ...]:
    """Who may be listed as present on these teams' log: their people, and the support team, whose "advisory
    resources span across all teams" (CST Implementation Guide, CST Expertise, Composition, and Mindset)."""
    people = [m.person_id for t in teams for m in directory.team_memberships(t)]
    if teams:
        people += [p.id for p in directory.index.holders(Role.SUPPORT)]
    return tuple(dict.fromkeys(people))
