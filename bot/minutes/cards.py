"""Management team minutes as Slack shows them: in a facilitator's DM (with *Got it* and *Share with my team*),
in a minutes channel, and in a team member's DM once their facilitator passed them on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.ids import Action
from bot.slack.format import addressed_to, mention, slack_date, split_for_sections
from routing.directory import Directory, Role
from routing.protocol import Protocol
from routing.vocabulary import in_sentence
from store.models import Minutes, MinutesShare
from templates import render_json, render_text

FIELDS = (("text", "Minutes"), ("decisions", "Decisions"), ("action_items", "Action items"))


def meeting_label(minutes: Minutes) -> str:
    return f"{minutes.meeting_date:%a %b %-d, %Y}"


@dataclass(frozen=True)
class Reader:
    """Whose copy: a facilitator's (their confirmation, their teams' shares), a channel's, or a member's."""

    kind: str  # "facilitator" | "channel" | "member"
    acked_at: datetime | None = None
    shares: tuple[MinutesShare, ...] = ()  # facilitator: shares to the teams they facilitate
    can_share: bool = False  # facilitator: some team of theirs has not had them yet
    share: MinutesShare | None = None  # member: the share that reached them
    team: str = ""  # member: the team it was shared with
    teams: dict[int, str] = field(default_factory=dict)  # team id -> name, to name the shares
    person_id: int | None = None  # a person's copy: whose


def minutes_message(minutes: Minutes, reader: Reader, *, directory: Directory, protocol: Protocol,
                    tz: ZoneInfo) -> dict:
    """The minutes as a chat.postMessage / chat.update body: {"text", "blocks"}."""
    common = {
        "reader": reader.kind, "meeting": meeting_label(minutes), "sender": mention(directory, minutes.sender_id),
        "shared_by": mention(directory, reader.share.facilitator_id) if reader.share else "", "team": reader.team,
        "words": protocol.words(),
    }
    status, buttons = "", []
    if reader.kind == "facilitator":
        shares = [{"team": reader.teams.get(s.team_id, f"team {s.team_id}"),
                   "by": "" if s.facilitator_id is None else mention(directory, s.facilitator_id),
                   "when": slack_date(s.shared_at, tz), "members": s.members} for s in reader.shares]
        status = render_text("messages/minutes_status.md.j2", shares=shares,
                             acked=slack_date(reader.acked_at, tz) if reader.acked_at else "").strip()
        if reader.acked_at is None:
            buttons.append({"action_id": Action.MINUTES_ACK.value, "value": str(minutes.id), "text": "Got it",
                            "style": "primary"})
        if reader.can_share:
            buttons.append({"action_id": Action.MINUTES_SHARE.value, "value": str(minutes.id),
                            "text": "Share with my team", "style": None})
    files = [{"permalink": f["permalink"], "name": _label(f.get("name") or "") or "the file"}
             for f in minutes.files if f.get("permalink")]
    role = {"facilitator": Role.FACILITATOR, "member": Role.MEMBER}.get(reader.kind)
    blocks = render_json(
        "cards/minutes.json.j2",
        addressed_to=addressed_to(directory, protocol, reader.person_id, role) if reader.person_id else "",
        headline=render_text("messages/minutes_headline.md.j2", **common).strip(),
        byline=render_text("messages/minutes_byline.md.j2", sent=slack_date(minutes.sent_at, tz), **common).strip(),
        fields=[{"label": label, "pieces": split_for_sections(getattr(minutes, key))}
                for key, label in FIELDS if getattr(minutes, key)],
        note_pieces=split_for_sections(reader.share.note) if reader.share and reader.share.note else [],
        link=minutes.link, files=files, status=status, buttons=buttons, **common,
    )
    shared_by = directory.person(reader.share.facilitator_id) if reader.share else None
    sender = directory.person(minutes.sender_id)
    text = render_text("messages/minutes_fallback.md.j2", reader=reader.kind, meeting=meeting_label(minutes),
                       sender=sender.label if sender else f"the {in_sentence(protocol.label(Role.MANAGEMENT))}",
                       shared_by=shared_by.label if shared_by else "", words=common["words"]).strip()
    return {"text": text, "blocks": blocks}


def _label(name: str) -> str:
    """A file name inside a <url|label> link: the characters that would end the link are dropped."""
    return "".join(ch for ch in name if ch not in "<>|")[:200]
