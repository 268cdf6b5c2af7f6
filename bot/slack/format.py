"""How Slack shows people and moments in mrkdwn: mentions and dates in the reader's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from routing.directory import Directory


def mention(directory: Directory, person_id: int | None) -> str:
    """`<@U...>` when the person has a Slack account (Slack shows their name), else their name."""
    if person_id is None:
        return "nobody"
    person = directory.person(person_id)
    if person is None:
        return f"person {person_id}"
    return f"<@{person.slack_id}>" if person.slack_id else person.label


def slack_date(value: str | datetime | None, tz: ZoneInfo) -> str:
    """A date Slack shows in the reader's own time zone, with a fallback in the protocol's."""
    if value is None:
        return "no deadline"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = when.astimezone(tz)
    fallback = local.strftime("%a %b %-d, %-I:%M %p %Z")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
