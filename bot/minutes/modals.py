"""The minutes modals ("Share meeting minutes", "Share with your team") and reading what was submitted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from bot.ids import Block, Callback
from bot.slack import forms
from routing.monthly_loop import MAX_NOTE, MAX_TEXT
from templates import render_json

MAX_FILES = 5
MAX_LINK = 2000
BLOCKS = {"date": Block.MEETING_DATE.value, "text": Block.MINUTES_TEXT.value, "link": Block.LINK.value,
          "files": Block.FILES.value, "decisions": Block.DECISIONS.value, "actions": Block.ACTION_ITEMS.value}


def minutes_modal(*, intro: str, today: date, token: str, acting: int) -> dict:
    # "as": who fills it in (one Slack account may play several roster people: `cstbot roster try`)
    return render_json("modals/minutes.json.j2", callback_id=Callback.MINUTES.value,
                       metadata=json.dumps({"token": token, "as": acting}), intro=intro, today=today.isoformat(),
                       blocks=BLOCKS, max_text=MAX_TEXT, max_files=MAX_FILES)


def share_modal(*, minutes_id: int, intro: str, acting: int) -> dict:
    return render_json("modals/minutes_share.json.j2", callback_id=Callback.MINUTES_SHARE.value,
                       metadata=json.dumps({"minutes_id": minutes_id, "as": acting}), intro=intro,
                       block_id=Block.NOTE.value, max_note=MAX_NOTE)


def _too_long(value: str, limit: int) -> str:
    return f"That is {len(value):,} characters; please keep it under {limit:,}."


@dataclass
class MinutesForm(forms.Form):
    token: str = ""
    meeting_date: date | None = None
    text: str = ""
    link: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)  # {id, name, permalink}
    decisions: str = ""
    action_items: str = ""

    @classmethod
    def from_view(cls, view: dict[str, Any], *, today: date) -> MinutesForm:
        form = cls(token=str(forms.metadata(view).get("token", "")))
        raw_date = (forms._value(view, BLOCKS["date"]) or {}).get("selected_date")
        try:
            form.meeting_date = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            form.meeting_date = None
        if form.meeting_date is None:
            form.errors[BLOCKS["date"]] = "Please pick the meeting's date."
        elif form.meeting_date > today:
            form.errors[BLOCKS["date"]] = "That date is in the future: pick the day the meeting took place."
        for name, block in (("text", "text"), ("decisions", "decisions"), ("action_items", "actions")):
            value = forms.text(view, BLOCKS[block])
            if len(value) > MAX_TEXT:
                form.errors[BLOCKS[block]] = _too_long(value, MAX_TEXT)
            setattr(form, name, value)
        form.link = forms.text(view, BLOCKS["link"])
        if form.link:
            parts = urlsplit(form.link)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                form.errors[BLOCKS["link"]] = "Please give a web link that starts with https:// (or http://)."
            elif len(form.link) > MAX_LINK:
                form.errors[BLOCKS["link"]] = _too_long(form.link, MAX_LINK)
            elif any(ch.isspace() or ch in "<>|" for ch in form.link):
                form.errors[BLOCKS["link"]] = "A link cannot contain spaces or the characters < > |."
        uploaded = (forms._value(view, BLOCKS["files"]) or {}).get("files") or []
        form.files = [
            {"id": str(f.get("id", "")), "name": str(f.get("name") or f.get("title") or ""),
             "permalink": str(f.get("permalink") or "")}
            for f in uploaded[:MAX_FILES] if isinstance(f, dict) and f.get("id")
        ]
        if not (form.text or form.link or form.files) and BLOCKS["text"] not in form.errors:
            form.errors[BLOCKS["text"]] = "Please paste the minutes, add a link, or upload the file: at least one."
        return form


@dataclass
class ShareForm(forms.Form):
    minutes_id: int | None = None
    note: str = ""

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ShareForm:
        try:
            minutes_id = forms.as_id(forms.metadata(view).get("minutes_id"))
        except (TypeError, ValueError):
            minutes_id = None
        note = forms.NoteForm.from_view(view, block=Block.NOTE, required=False, what="a note")
        return cls(errors=note.errors, minutes_id=minutes_id, note=note.note)
