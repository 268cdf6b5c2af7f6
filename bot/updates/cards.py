"""The lead's monthly update as Slack shows it: its figures as mrkdwn sections, and the message each reader gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.ids import Action
from bot.slack.format import addressed_to, mention, slack_date, split_for_sections
from routing.coaching_log import month_label
from routing.directory import Directory, Role
from routing.protocol import Protocol
from routing.vocabulary import in_sentence, with_article
from store.figures import MonthFigures
from store.models import LeadUpdate
from store.summary import STATUS_LABELS
from templates import render_json, render_text

SECTION_LIMIT = 2900  # a section holds 3,000 characters; team lines are packed into sections below that
FIELDS = (("highlights", "Highlights"), ("concerns", "Concerns"), ("asks", "Asks of the management team"))
LOG_LABELS = {k: v.lower() for k, v in STATUS_LABELS.items()}


def stages(protocol: Protocol) -> list[dict[str, str]]:
    """The training stages in order, as the figures name them."""
    if protocol.training is None:
        return []
    return [{"name": s.name, "label": s.label} for s in protocol.training.sequence]


def figures_sections(figures: MonthFigures, protocol: Protocol, tz: ZoneInfo) -> list[str]:
    """The totals, then one line per team, packed into as few sections as fit."""
    context = {"f": figures, "stages": stages(protocol), "labels": LOG_LABELS}
    totals = render_text("messages/update_totals.md.j2", month_label=month_label(figures.month),
                         as_of=slack_date(figures.as_of, tz), **context).strip()
    sections, current = [totals], ""
    for team in figures.teams:
        line = render_text("messages/update_team_line.md.j2", t=team, **context).strip()
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            sections.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        sections.append(current)
    return sections


@dataclass(frozen=True)
class Reader:
    """Who a copy of the update is for: a management team member's DM, or a channel (with who acknowledged)."""

    kind: str  # "person" | "channel"
    acked_at: datetime | None = None
    acked_by: tuple[int, ...] = ()
    person_id: int | None = None  # a person's copy: whose


def update_message(update: LeadUpdate, reader: Reader, *, directory: Directory, protocol: Protocol,
                   tz: ZoneInfo) -> dict:
    """The update as a chat.postMessage / chat.update body: {"text", "blocks"}."""
    figures = MonthFigures.from_dict(update.figures)
    label = month_label(update.month)
    blocks = render_json(
        "cards/lead_update.json.j2",
        addressed_to=addressed_to(directory, protocol, reader.person_id, Role.MANAGEMENT) if reader.person_id else "",
        month_label=label,
        lead=mention(directory, update.lead_id),
        for_all=update.for_all,
        sent=slack_date(update.sent_at, tz),
        first_sent=slack_date(update.first_sent_at, tz),
        replaced=update.revision > 1,
        fields=[{"label": name, "pieces": split_for_sections(getattr(update, key))}
                for key, name in FIELDS if getattr(update, key)],
        figures=figures_sections(figures, protocol, tz),
        reader=reader.kind,
        acked=reader.acked_at is not None,
        acked_at=slack_date(reader.acked_at, tz) if reader.acked_at else "",
        acked_by=[mention(directory, pid) for pid in reader.acked_by],
        action_id=Action.UPDATE_ACK.value,
        update_id=update.id,
        words=protocol.words(),
    )
    lead = directory.person(update.lead_id)
    text = render_text("messages/update_fallback.md.j2", month_label=label, words=protocol.words(),
                       lead=lead.label if lead else with_article(in_sentence(protocol.label(Role.LEAD)))).strip()
    return {"text": text, "blocks": blocks}
