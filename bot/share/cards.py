"""A share as Slack shows it in a recipient's DM: the title, who shared it with whom, the text, the link and the
uploaded files (their permalinks: the files are in Slack already)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.slack.format import mention, slack_date, split_for_sections
from routing.directory import Directory
from routing.protocol import Protocol
from store.models import Share
from templates import render_json, render_text


def _label(name: str) -> str:
    """A file name inside a <url|label> link: the characters that would end the link are dropped."""
    return "".join(ch for ch in name if ch not in "<>|")[:200]


def share_message(share: Share, *, directory: Directory, protocol: Protocol, tz: ZoneInfo,
                  audiences: list[str]) -> dict:
    """The share as a chat.postMessage body: {"text", "blocks"}."""
    sender = directory.person(share.sender_id)
    common = {"title": share.title, "sender": mention(directory, share.sender_id), "audiences": audiences,
              "sent": slack_date(share.sent_at, tz), "words": protocol.words()}
    files = [{"permalink": f["permalink"], "name": _label(f.get("name") or "") or "the file"}
             for f in share.files if f.get("permalink")]
    blocks = render_json("cards/share.json.j2", byline=render_text("messages/share_byline.md.j2", **common).strip(),
                         pieces=split_for_sections(share.text) if share.text else [], link=share.link, files=files,
                         **common)
    text = render_text("messages/share_fallback.md.j2", title=share.title,
                       sender=sender.label if sender else "", words=common["words"]).strip()
    return {"text": text, "blocks": blocks}


def addressed_block(text: str) -> dict:
    """The context line naming whom a copy is for, when one Slack account plays several people."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}
