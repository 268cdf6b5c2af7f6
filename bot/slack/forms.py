"""Read a submitted modal's values, and forms that collect field errors keyed by input block id."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 3000  # Slack's plain_text_input max_length; checked again here, Slack clients can be old
MAX_NOTE = 1000


def _value(view: dict[str, Any], block: str) -> dict[str, Any] | None:
    values = (view.get("state") or {}).get("values") or {}
    actions = values.get(block)
    if not actions:
        return None
    return next(iter(actions.values()))


def text(view: dict[str, Any], block: str) -> str:
    v = _value(view, block)
    return ((v or {}).get("value") or "").strip()


def picked_date(view: dict[str, Any], block: str) -> str | None:
    """A datepicker's "YYYY-MM-DD", or None when left empty."""
    return (_value(view, block) or {}).get("selected_date") or None


def selected(view: dict[str, Any], block: str) -> str | None:
    v = _value(view, block) or {}
    option = v.get("selected_option")
    return option.get("value") if option else None


def selected_many(view: dict[str, Any], block: str) -> list[str]:
    v = _value(view, block) or {}
    return [o["value"] for o in v.get("selected_options") or []]


def selected_user(view: dict[str, Any], block: str) -> str | None:
    return (_value(view, block) or {}).get("selected_user")


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or "{}"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Form:
    errors: dict[str, str] = field(default_factory=dict)

    def require_text(self, value: str, block: str, what: str, *, limit: int = MAX_TEXT) -> str:
        if not value:
            self.errors[block] = f"Please write {what}."
        elif len(value) > limit:
            self.errors[block] = f"That is {len(value):,} characters; please keep it under {limit:,}."
        return value


@dataclass
class NoteForm(Form):
    note: str = ""

    @classmethod
    def from_view(cls, view: dict[str, Any], *, block: str, required: bool, what: str) -> NoteForm:
        form = cls()
        value = text(view, block)
        if required:
            form.note = form.require_text(value, block, what)
        elif len(value) > MAX_NOTE:
            form.errors[block] = f"Please keep the note under {MAX_NOTE:,} characters."
        else:
            form.note = value
        return form
