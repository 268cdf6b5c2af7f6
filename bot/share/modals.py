"""The "Share with the network" modal and reading what was submitted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.ids import Block, Callback
from bot.slack import forms
from routing.sharing import AUDIENCES, MAX_TEXT, MAX_TITLE
from templates import render_json

MAX_FILES = 5
MAX_LINK = 2000
BLOCKS = {"title": Block.SHARE_TITLE.value, "text": Block.SHARE_TEXT.value, "link": Block.LINK.value,
          "files": Block.FILES.value, "audiences": Block.AUDIENCES.value}


def share_modal(*, intro: str, token: str, acting: int, options: list[dict[str, str]]) -> dict:
    """`options`: the audiences as {value, text, description} (who and how many each reaches)."""
    # "as": who fills it in (one Slack account may play several roster people: `cstbot roster try`)
    return render_json("modals/share.json.j2", callback_id=Callback.SHARE.value,
                       metadata=json.dumps({"token": token, "as": acting}), intro=intro, blocks=BLOCKS,
                       max_title=MAX_TITLE, max_text=MAX_TEXT, max_files=MAX_FILES, options=options)


def _too_long(value: str, limit: int) -> str:
    return f"That is {len(value):,} characters; please keep it under {limit:,}."


def _link_error(link: str) -> str | None:
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "Please give a web link that starts with https:// (or http://)."
    if len(link) > MAX_LINK:
        return _too_long(link, MAX_LINK)
    if any(ch.isspace() or ch in "<>|" for ch in link):
        return "A link cannot contain spaces or the characters < > |."
    return None


@dataclass
class ShareForm(forms.Form):
    token: str = ""
    title: str = ""
    text: str = ""
    link: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)  # {id, name, permalink}
    audiences: list[str] = field(default_factory=list)  # routing.sharing.AUDIENCES, in that order

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ShareForm:
        form = cls(token=str(forms.metadata(view).get("token", "")))
        form.title = form.require_text(forms.text(view, BLOCKS["title"]), BLOCKS["title"], "a title",
                                       limit=MAX_TITLE)
        form.text = forms.text(view, BLOCKS["text"])
        if len(form.text) > MAX_TEXT:
            form.errors[BLOCKS["text"]] = _too_long(form.text, MAX_TEXT)
        form.link = forms.text(view, BLOCKS["link"])
        if form.link and (why := _link_error(form.link)):
            form.errors[BLOCKS["link"]] = why
        # file_input: state.values[block][action] = {"type": "file_input", "files": [{id, name, title, permalink,
        # ...}]}; the files are in Slack already, so the message links their permalinks (no re-upload).
        uploaded = (forms._value(view, BLOCKS["files"]) or {}).get("files") or []
        form.files = [
            {"id": str(f.get("id", "")), "name": str(f.get("name") or f.get("title") or ""),
             "permalink": str(f.get("permalink") or "")}
            for f in uploaded[:MAX_FILES] if isinstance(f, dict) and f.get("id") and f.get("permalink")
        ]
        if not (form.text or form.link or form.files) and BLOCKS["text"] not in form.errors:
            form.errors[BLOCKS["text"]] = "Please write the text, add a link, or upload a file: at least one."
        chosen = set(forms.selected_many(view, BLOCKS["audiences"]))
        form.audiences = [a for a in AUDIENCES if a in chosen]
        if not form.audiences:
            form.errors[BLOCKS["audiences"]] = "Please choose at least one audience to share with."
        return form
