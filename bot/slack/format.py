"""How Slack shows people and moments in mrkdwn: mentions, dates in the reader's own time zone, and whom (in which
role) a message is for."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from routing.directory import NETWORK_ROLES, Directory, Person, Role
from routing.protocol import Protocol


def mention(directory: Directory, person_id: int | None) -> str:
    """`<@U...>` when the person has a Slack account (Slack shows their name), else their name. An account that
    plays several roster people (`cstbot roster try`) would show the same name for all of them: theirs is used."""
    if person_id is None:
        return "nobody"
    person = directory.person(person_id)
    if person is None:
        return f"person {person_id}"
    if not person.slack_id or len(directory.people_of_slack(person.slack_id)) > 1:
        return person.label
    return f"<@{person.slack_id}>"


def slack_date(value: str | datetime | None, tz: ZoneInfo) -> str:
    """A date Slack shows in the reader's own time zone, with a fallback in the protocol's."""
    if value is None:
        return "no deadline"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = when.astimezone(tz)
    fallback = local.strftime("%a %b %-d, %-I:%M %p %Z")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


# --- whom a message is for -----------------------------------------------------------------------------------


def roles_text(directory: Directory, protocol: Protocol, person: Person, roles: Iterable[Role] | None = None) -> str:
    """'CST facilitator, Early East; Lead facilitator': the person's roles (or those of `roles` they hold), each
    with the team or district it is held at."""
    wanted = None if roles is None else set(roles)
    parts = []
    for m in directory.memberships_of(person.id):
        if wanted is None or m.role in wanted:
            parts.append(f"{protocol.label(m.role)}, {directory.teams[m.team_id].name}")
    if wanted is None or Role.DISTRICT_STAFF in wanted:
        parts += [f"{protocol.label(Role.DISTRICT_STAFF)}, {d.name}" for d in directory.districts_of_staff(person.id)]
    for role in NETWORK_ROLES:
        if (wanted is None or role in wanted) and directory.network_role(person.id, role):
            parts.append(protocol.label(role))
    return "; ".join(parts)


def addressed_to(directory: Directory, protocol: Protocol, person_id: int, role: Role | None = None) -> str:
    """'For you as *CST facilitator, Early East* (Avery Lindqvist)' when the reader's Slack account stands for
    more than one role (a person holding several, or `cstbot roster try` playing one person per role); else "".

    `role` is the role the message reaches them in (see routing.actions.role_on_item); without it, or when they do
    not hold it, every role of the person it is addressed to is named."""
    person = directory.person(person_id)
    if person is None or not person.slack_id:
        return ""
    people = directory.people_of_slack(person.slack_id)
    account_roles = {r for p in people for r in directory.index.roles_of(p.id)}
    if len(account_roles) < 2:
        return ""
    held = directory.index.roles_of(person.id)
    what = roles_text(directory, protocol, person, [role] if role in held else None)
    who = f" ({person.label})" if len(people) > 1 else ""
    return f"For you as *{what}*{who}" if what else ""


def played(directory: Directory, protocol: Protocol, person: Person) -> str:
    """'*District staff, Alder Creek R-2* (Opal Hensley)' when the person's Slack account plays several roster
    people (`cstbot roster try`), so a form can say in which role it is filled in; else ""."""
    if not person.slack_id or len(directory.people_of_slack(person.slack_id)) < 2:
        return ""
    return f"*{roles_text(directory, protocol, person)}* ({person.label})"


def split_for_sections(text: str, limit: int = 2900) -> list[str]:
    """`text` cut at line ends into pieces that each fit one section once escaped and quoted (`> ` per line) by a
    template: a long answer or minutes are shown whole, over several sections, never cut off."""
    from templates import slack_escape

    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while len(slack_escape(line)) + 2 > limit:  # one very long line: cut it where it fits
            cut = max(1, (limit - 2) // 5)  # escaping makes a character at most five
            while cut < len(line) and len(slack_escape(line[: cut + 1])) + 2 <= limit:
                cut += 1
            if current:
                pieces.append("\n".join(current))
                current, size = [], 0
            pieces.append(line[:cut])
            line = line[cut:]
        cost = len(slack_escape(line)) + 3  # "> " and the newline
        if current and size + cost > limit:
            pieces.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += cost
    if current and any(current):
        pieces.append("\n".join(current))
    return pieces
