"""Read a submitted modal's values, and forms that collect field errors keyed by input block id."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.slack.edge import MalformedRequest

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


MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number would fail in the database, not as a refusal
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def as_id(raw: Any) -> int:
    """A row id from a button's value or a modal's metadata: a positive int of ASCII digits within the database's
    range. Raises MalformedRequest (a ValueError) for anything else, e.g. "²", "-1" or 10**30."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and 0 < len(raw) <= 10 and raw.isascii() and raw.isdigit():
        value = int(raw)
    else:
        raise MalformedRequest(f"not an id: {type(raw).__name__}")
    if not 0 < value <= MAX_ID:
        raise MalformedRequest("id out of range")
    return value


def as_month(raw: Any) -> str:
    """A "YYYY-MM" month from a button's value or a modal's metadata; MalformedRequest for anything else."""
    if not isinstance(raw, str) or not raw.isascii() or not _MONTH.fullmatch(raw):
        raise MalformedRequest("not a month")
    return raw


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
