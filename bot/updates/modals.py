"""The lead's monthly update form ("<the protocol's name for it> · <month>"): building it, and reading what the
lead submitted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.ids import Block, Callback
from bot.slack import forms
from bot.updates.cards import FIELDS
from routing.monthly_loop import MAX_TEXT
from store.models import LeadUpdate
from templates import render_json, upper_first

TITLE_MAX = 24
BLOCKS = {"highlights": Block.HIGHLIGHTS, "concerns": Block.CONCERNS, "asks": Block.ASKS}
HINTS = {
    "highlights": "What went well: a district milestone, a practice taking hold.",
    "concerns": "What worries you, and where the figures need a word of context.",
    "asks": "Decisions, resources or guidance you need from the management team.",
}


def update_modal(*, month: str, intro: str, figures: list[str], existing: LeadUpdate | None, several_leads: bool,
                 token: str, acting: int, words: dict[str, str]) -> dict:
    year, number = (int(x) for x in month.split("-"))
    title = modal_title(words, date(year, number, 1))
    fields = [
        {"block": BLOCKS[key].value, "label": label, "hint": HINTS[key],
         "value": getattr(existing, key) if existing is not None else ""}
        for key, label in FIELDS
    ]
    # "as": who fills it in (one Slack account may play several roster people: `cstbot roster try`)
    meta = {"month": month, "token": token, "revision": existing.revision if existing is not None else 0, "as": acting}
    return render_json(
        "modals/lead_update.json.j2",
        callback_id=Callback.UPDATE.value,
        metadata=json.dumps(meta),
        title=title,
        words=words,
        intro=intro,
        figures=figures,
        fields=fields,
        existing=existing is not None,
        several_leads=several_leads,
        for_all=bool(existing and existing.for_all),
        for_all_block=Block.FOR_ALL.value,
        max_text=MAX_TEXT,
    )


def modal_title(words: dict[str, str], month: date | None = None) -> str:
    """The protocol's name for the update ("CST update · November"), within a modal title's 24 characters (the
    form's intro names it in full)."""
    name = upper_first(words["lead_update"])
    for title in ((f"{name} · {month:%B}", f"Update · {month:%B}") if month else (name, "Monthly update")):
        if len(title) <= TITLE_MAX:
            return title
    return title[:TITLE_MAX]


@dataclass
class UpdateForm(forms.Form):
    month: str = ""
    token: str = ""
    revision: int = 0  # the revision the form was opened on (0: nothing sent yet)
    for_all: bool = False
    texts: dict[str, str] = field(default_factory=dict)  # highlights, concerns, asks

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> UpdateForm:
        meta = forms.metadata(view)
        form = cls(month=str(meta.get("month", "")), token=str(meta.get("token", "")))
        try:
            form.revision = int(meta.get("revision", 0))
        except (TypeError, ValueError):
            form.revision = 0
        for key, _ in FIELDS:
            value = forms.text(view, BLOCKS[key])
            if len(value) > MAX_TEXT:  # empty is fine: the figures are the update
                form.errors[BLOCKS[key]] = f"That is {len(value):,} characters; please keep it under {MAX_TEXT:,}."
            form.texts[key] = value
        form.for_all = forms.selected(view, Block.FOR_ALL) == "all"
        return form
