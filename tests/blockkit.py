"""Check rendered Block Kit against slack_sdk's models and Slack's documented limits (SLACK-LIMITS.md)."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250_000
MAX_PRIVATE_METADATA = 3000
MAX_TITLE = 24


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _limits(blocks: list[dict], where: str) -> None:
    for path, node in _walk(blocks):
        kind = node.get("type")
        if kind in ("plain_text", "mrkdwn"):
            assert node.get("text"), f"{where}{path}: empty text object"
        if kind == "section" and "text" in node:
            assert len(node["text"]["text"]) <= 3000, f"{where}{path}: section text over 3000"
        if kind == "header":
            assert len(node["text"]["text"]) <= 150, f"{where}{path}: header over 150"
        if kind == "actions":
            assert len(node["elements"]) <= 25, f"{where}{path}: over 25 elements"
        if kind == "context":
            assert len(node["elements"]) <= 10, f"{where}{path}: context over 10 elements"
        if "options" in node and kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes"):
            cap = 10 if kind in ("radio_buttons", "checkboxes") else 100
            assert len(node["options"]) <= cap, f"{where}{path}: {len(node['options'])} options"
        if "action_id" in node:
            assert len(node["action_id"]) <= 255
        if kind == "button":
            assert len(node["text"]["text"]) <= 75 and len(node.get("value", "")) <= 2000


def check_message(payload: dict[str, Any], where: str = "message") -> None:
    """A chat.postMessage / chat.update body: fallback text, ≤ 50 valid blocks."""
    assert payload.get("text"), f"{where}: no fallback text (notifications would be blank)"
    blocks = payload.get("blocks") or []
    assert len(blocks) <= MAX_MESSAGE_BLOCKS, f"{where}: {len(blocks)} blocks"
    for block in Block.parse_all(blocks):
        block.validate_json()
    _limits(blocks, where)


def check_view(view: dict[str, Any], where: str = "view") -> None:
    """A modal or Home tab: slack_sdk's View model, ≤ 100 blocks, ≤ 250 kB, titles ≤ 24 chars."""
    View(**view).validate_json()
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS, f"{where}: {len(view['blocks'])} blocks"
    assert len(json.dumps(view).encode()) <= MAX_VIEW_BYTES, f"{where}: view too large"
    assert len(view.get("private_metadata", "")) <= MAX_PRIVATE_METADATA
    for key in ("title", "submit", "close"):
        if key in view:
            assert len(view[key]["text"]) <= MAX_TITLE, f"{where}: {key} over 24 chars"
    if any(b["type"] == "input" for b in view["blocks"]) and view["type"] == "modal":
        assert "submit" in view, f"{where}: input blocks need a submit button"
    _limits(view["blocks"], where)


def check_call(method: str, args: dict[str, Any]) -> None:
    if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        check_message(args, method)
    elif method in ("views.open", "views.update", "views.push", "views.publish"):
        check_view(args["view"], method)
