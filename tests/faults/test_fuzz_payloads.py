"""Issue 9, Deliver 5: property-based fuzzing of every listener's payload over signed HTTP.

For each kind of request (slash commands, block actions in messages and in views, view submissions, the
message shortcut, events) hypothesis takes a well-formed payload of every listener of that kind and breaks it:
a field given a value of another type, a huge or odd unicode string, a stale or impossible id, a field removed,
an unexpected field added (also inside the modal's private metadata). Whatever it sends, the app answers with no
5xx and no traceback in the log, and a request it refuses (400, or field errors) leaves every table as it was.

Deterministic (derandomize, no example database) and bounded: 50 examples per kind and database (set
CSTBOT_FUZZ_EXAMPLES for a longer hunt).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.ids import Action, Block, Callback
from bot.slack.edge import MAX_BODY
from tests.e2e.test_logs_flow import values as log_values
from tests.faults.tables import dump, reflect

EXAMPLES = int(os.environ.get("CSTBOT_FUZZ_EXAMPLES", "50"))  # more for a longer hunt, e.g. 1000
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

ODD_STRINGS = ["", " ", "0", "-1", "1.5", "999999", "2147483648", "99999999999999999999", "²", "١٢", "１",
               "1:999", "999:1", "edit:999", "remove:1", "1:2026-13", "2026-13", "zzz", "\x00", "a\x00b",
               "U0NOBODY0", "UFACA0001", "{}", "[]", "null", "\u202e\u0301", "😀" * 50]
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=False) | st.text(max_size=30) | st.sampled_from(ODD_STRINGS))
HUGE = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=3), st.integers(1_000, 4_000))
VALUES = st.recursive(SCALARS | HUGE, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=4)


# --- well-formed payloads, one per listener ---------------------------------------------------------------


def commands(client) -> list[tuple[str, dict]]:
    subs = ["ask How do we read the data?", "train", "log", "update", "minutes", "inbox", "help", "", "frobnicate"]
    return [("form", client.command_fields("/cst", sub, user_id=user))
            for sub in subs for user in ("UFACA0001", "USTAFF001")]


def message_actions(client) -> list[tuple[str, dict]]:
    values = {Action.PICK: "1:5", Action.LOG_REVIEW: "1:2026-11", Action.LOG_REOPEN: "1:2026-11",
              Action.UPDATE_OPEN: "2026-11"}
    return [("payload", client.block_action("UFACA0001", action.value, values.get(action, "1")))
            for action in Action if action not in (Action.LOG_ENTRY_MENU, Action.HOME_AS)]


def view_actions(client) -> list[tuple[str, dict]]:
    review = {"id": "VREVIEW01", "callback_id": Callback.LOG_SUBMIT.value,
              "private_metadata": json.dumps({"team_id": 1, "month": "2026-11"})}
    home = {"id": "VHOME0001", "type": "home", "private_metadata": json.dumps({"as": 1})}
    return [
        ("payload", client.block_action("UFACA0001", Action.LOG_ENTRY_MENU.value, None, action_type="overflow",
                                        action={"selected_option": {"value": f"{what}:1"}}, view=review))
        for what in ("edit", "remove")
    ] + [
        ("payload", client.block_action("UFACA0001", Action.HOME_AS.value, None, action_type="static_select",
                                        action={"selected_option": {"value": "1"}}, view=home)),
        ("payload", client.block_action("UFACA0001", Action.HOME_LOG.value, "x", view=home)),
    ]


def submissions(client) -> list[tuple[str, dict]]:
    def text(block, value):
        return {block: {block: {"type": "plain_text_input", "value": value}}}

    item = json.dumps({"item_id": 1})
    forms = [
        ("USTAFF001", Callback.ASK, {**text(Block.TEXT, "A question"),
                                     Block.DISTRICT: {"district": {"type": "static_select",
                                                                   "selected_option": {"value": "1"}}}}, "{}"),
        ("UMEMA0001", Callback.LOG, log_values(), json.dumps({"as": 3})),
        ("UFACA0001", Callback.LOG_SUBMIT, {}, json.dumps({"team_id": 1, "month": "2026-11"})),
        ("UFACA0001", Callback.LOG_REOPEN, text(Block.NOTE, "A fix"), json.dumps({"team_id": 1, "month": "2026-11"})),
        ("UFACA0001", Callback.ANSWER, text(Block.ANSWER, "Here is how"), item),
        ("UFACA0001", Callback.ESCALATE, text(Block.NOTE, "Needs the lead"), item),
        ("UFACA0001", Callback.DECLINE, text(Block.NOTE, "No one"), item),
        ("UFACA0001", Callback.REASSIGN, {Block.ASSIGNEE: {"assignee": {"type": "users_select",
                                                                         "selected_user": "UMEMA0001"}}}, item),
        ("UFACA0001", Callback.OFFER, {Block.CANDIDATE: {"candidate": {"type": "static_select",
                                                                        "selected_option": {"value": "2"}}}}, item),
        ("UFACA0001", Callback.CONVERT, {Block.EXPERTISE: {"expertise": {"type": "static_select",
                                                                          "selected_option": {"value": "Data"}}}},
         item),
        ("ULEAD0001", Callback.UPDATE, text(Block.HIGHLIGHTS, "Good month"),
         json.dumps({"month": "2026-11", "token": "t", "revision": 0})),
        ("UMGMT0001", Callback.MINUTES, text(Block.MINUTES_TEXT, "Minutes"), json.dumps({"token": "t"})),
        ("UFACA0001", Callback.MINUTES_SHARE, text(Block.NOTE, "FYI"), json.dumps({"minutes_id": 1})),
        ("UMEMA0001", Callback.FORWARD, {Block.KIND: {"kind": {"type": "radio_buttons",
                                                               "selected_option": {"value": "question"}}}},
         json.dumps({"requester": "USTAFF001", "text": "Help?", "channel": "D1", "ts": "1.2"})),
    ]
    return [("payload", client.view_submission(user, callback.value, values, private_metadata=meta))
            for user, callback, values, meta in forms]


def shortcuts(client) -> list[tuple[str, dict]]:
    message = {"type": "message", "ts": "1763300000.000100", "text": "Can you help with our data?",
               "user": "USTAFF001"}
    return [("payload", client.message_shortcut(user, Callback.SEND_TO_FACILITATOR.value, message))
            for user in ("UMEMA0001", "UFACA0001")] + [
        ("payload", client.global_shortcut("UMEMA0001", "cst_unknown_shortcut"))]


def events(client) -> list[tuple[str, dict]]:
    return [("json", client.event_envelope({"type": "app_home_opened", "user": user, "tab": tab,
                                            "channel": "D1", "event_ts": "1763300000.000300"}))
            for user in ("UFACA0001", "UADMIN001") for tab in ("home", "messages")]


KINDS = {"commands": commands, "message actions": message_actions, "view actions": view_actions,
         "view submissions": submissions, "shortcuts": shortcuts, "events": events}


# --- breaking them -----------------------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, element in value.items():
            found += _paths(element, (*prefix, key))
    elif isinstance(value, list):
        for i, element in enumerate(value):
            found += _paths(element, (*prefix, i))
    return found


def _unpack_metadata(payload: dict) -> None:
    """Private metadata is JSON in a string: break its fields too, then pack it again."""
    view = payload.get("view")
    if isinstance(view, dict) and isinstance(view.get("private_metadata"), str):
        with contextlib.suppress(ValueError):
            view["private_metadata"] = {"__json__": json.loads(view["private_metadata"] or "{}")}


def _pack_metadata(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__json__"}:
            return json.dumps(value["__json__"])
        return {k: _pack_metadata(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pack_metadata(v) for v in value]
    return value


def _set(root: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return root


def _delete(root: Any, path: tuple) -> Any:
    if not path:
        return root
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return root


@st.composite
def broken(draw, bases: list[tuple[str, dict]]) -> tuple[str, Any]:
    how, base = draw(st.sampled_from(bases))
    payload = json.loads(json.dumps(base))
    _unpack_metadata(payload)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(payload)
        path = draw(st.sampled_from(paths[1:] if len(paths) > 1 else paths))
        op = draw(st.sampled_from(["replace", "replace", "delete", "extra"]))
        if op == "replace":
            payload = _set(payload, path, draw(VALUES))
        elif op == "delete":
            payload = _delete(payload, path)
        else:
            dicts = [p for p in paths if isinstance(_get(payload, p), dict)]
            if dicts:
                target = draw(st.sampled_from(dicts))
                _get(payload, target)[draw(st.text(min_size=1, max_size=12))] = draw(VALUES)
        if not isinstance(payload, dict):
            break
    return how, _pack_metadata(payload)


def _get(root: Any, path: tuple) -> Any:
    for key in path:
        try:
            root = root[key]
        except (KeyError, IndexError, TypeError):
            return None
    return root


FORM, JSON = "application/x-www-form-urlencoded", "application/json"


def send(client, how: str, payload: Any):
    if how == "form":
        fields = payload if isinstance(payload, dict) else {"payload": payload}
        body, content_type = urlencode({str(k): v if isinstance(v, str) else json.dumps(v)
                                        for k, v in fields.items()}), FORM
    elif how == "payload":
        body, content_type = urlencode({"payload": json.dumps(payload)}), FORM
    else:
        body, content_type = json.dumps(payload), JSON
    assume(len(body.encode()) <= MAX_BODY)  # larger is a 413 without reading it (Slack never sends one)
    return client.post(body, content_type=content_type)


# --- the property ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_payload_shape_makes_a_5xx_a_traceback_or_a_partial_write(app_env, caplog, kind):
    env = app_env
    caplog.set_level(logging.INFO)
    # Something for the payloads' ids to point at: an item (#1) and a coaching log entry.
    ask = submissions(env.client)[0][1]
    assert env.client.interactivity(ask).status == 200
    bases = KINDS[kind](env.client)
    tables = reflect(env.engine)
    outcomes: dict[int, int] = {}

    @FUZZ
    @given(broken(bases))
    def check(request) -> None:
        how, payload = request
        before = dump(env.engine, meta=tables)
        failures = len([r for r in caplog.records if r.exc_info])
        response = send(env.client, how, payload)
        outcomes[response.status] = outcomes.get(response.status, 0) + 1
        assert response.status < 500 and response.status != 401, (response.status, response.text)
        refused = response.status == 400 or '"response_action": "errors"' in response.text
        if refused:
            assert dump(env.engine, meta=tables) == before, "a refused request wrote something"
        new = [r for r in caplog.records if r.exc_info][failures:]
        assert not new, [r.getMessage() for r in new]

    check()
    print(f"{kind}: {sum(outcomes.values())} requests, answered {dict(sorted(outcomes.items()))}")
