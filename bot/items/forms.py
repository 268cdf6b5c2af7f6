"""The ask and train modals' form: what was asked, about which district and topics, how urgent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.ids import Block
from bot.slack.forms import Form, metadata, selected, selected_many, text


@dataclass
class AskForm(Form):
    kind: str = "question"
    text: str = ""
    district_id: int | None = None
    topics: tuple[str, ...] = ()
    urgency: str = "normal"

    @classmethod
    def from_view(cls, view: dict[str, Any], *, district_choices: set[int], district_required: bool) -> AskForm:
        meta = metadata(view)
        form = cls(kind=meta.get("kind") or "question")
        form.kind = selected(view, Block.KIND) or form.kind
        what = "the training the district needs" if form.kind == "training" else "your question or request"
        form.text = form.require_text(text(view, Block.TEXT), Block.TEXT, what)
        raw_district = selected(view, Block.DISTRICT) or meta.get("district_id")
        if raw_district is not None:
            try:
                form.district_id = int(raw_district)
            except (TypeError, ValueError):
                form.district_id = None
            if form.district_id not in district_choices:
                form.errors[Block.DISTRICT] = "Please pick one of your districts."
        elif district_required:
            form.errors[Block.DISTRICT] = "Please pick the district this is about."
        form.topics = tuple(selected_many(view, Block.TOPICS))
        form.urgency = selected(view, Block.URGENCY) or "normal"
        return form
