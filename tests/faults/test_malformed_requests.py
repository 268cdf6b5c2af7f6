"""Issue 9, point 2: the signature is checked before the body is read; every malformed body is a 400 (unsigned:
401), never a 500, and never a traceback in the log. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote_from_bytes, urlencode

import pytest
from freezegun import freeze_time

from bot.ids import Action, Callback
from tests.e2e.conftest import MONDAY_10AM
from tests.faults.tables import dump
from tests.standin import Sign

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# Bodies that are not what Slack sends, each as raw bytes.
BAD_JSON = {
    "list": b"[]",
    "null": b"null",
    "string": b'"s"',
    "number": b"123",
    "invalid utf-8": b'{"type": "\xff\xfe"}',
    "deep list": b"[" * 5000 + b"]" * 5000,
    "deep object": b'{"a":' * 3000 + b"1" + b"}" * 3000,
    "truncated": b'{"type": "block_actions", "actions": [',
}


def as_payload(raw: bytes) -> bytes:
    return b"payload=" + quote_from_bytes(raw).encode()


def bodies():
    for name, raw in BAD_JSON.items():
        yield f"json {name}", raw, JSON
        yield f"payload= {name}", as_payload(raw), FORM
    yield "form of neither kind", b"123", FORM
    yield "raw invalid utf-8 form", b"payload=\xff\xfe", FORM


BODIES = list(bodies())


def no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("sign", [Sign.MISSING, Sign.WRONG, Sign.STALE])
def test_unsigned_malformed_bodies_are_401_before_anything_reads_them(app_env, caplog, sign):
    env = app_env
    caplog.set_level(logging.INFO)
    before = dump(env.engine)
    with freeze_time(MONDAY_10AM):
        for name, raw, content_type in BODIES:
            r = env.client.post(raw, content_type=content_type, sign=sign)
            assert r.status == 401, (name, r.status, r.text)
    no_traceback(caplog)
    assert dump(env.engine) == before


def test_a_timestamp_header_that_is_not_a_number_is_401(app_env, caplog):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = env.client.post(b"[]", content_type=JSON, headers={"X-Slack-Request-Timestamp": "soon"})
        assert r.status == 401
    no_traceback(caplog)


def test_signed_malformed_bodies_are_400_with_one_line_in_the_log(app_env, caplog):
    env = app_env
    caplog.set_level(logging.INFO)
    before = dump(env.engine)
    with freeze_time(MONDAY_10AM):
        for name, raw, content_type in BODIES:
            r = env.client.post(raw, content_type=content_type)
            assert r.status == 400, (name, r.status, r.text)
            assert r.json() == {"error": "malformed payload"}
    no_traceback(caplog)
    assert len([r for r in caplog.records if "malformed request" in r.getMessage()]) == len(BODIES)
    assert dump(env.engine) == before
    assert not [c for c in env.slack.calls if c.method != "auth.test"]


def shapes(client):
    """Signed payloads of the right container but the wrong shape: (name, payload, how it is sent)."""
    click = client.block_action("UFACA0001", Action.ANSWER.value, "1")
    submission = client.view_submission("USTAFF001", Callback.ASK.value, {}, private_metadata="{}")
    yield "actions: []", {**click, "actions": []}, "payload"
    yield "actions: [1]", {**click, "actions": [1]}, "payload"
    yield "action_id: 5", {**click, "actions": [{**click["actions"][0], "action_id": 5}]}, "payload"
    yield "block action without user", {k: v for k, v in click.items() if k != "user"}, "payload"
    yield "type: 123", {**click, "type": 123}, "payload"
    yield "user: a string", {**click, "user": "UFACA0001"}, "payload"
    yield "team: a number", {**click, "team": 7}, "payload"
    yield "state.values: a list", {**submission, "view": {**submission["view"], "state": {"values": []}}}, "payload"
    yield "view: a string", {**submission, "view": "V1"}, "payload"
    yield "view without id", {**submission, "view": {k: v for k, v in submission["view"].items() if k != "id"}}, \
        "payload"
    yield "private_metadata: an object", {**submission, "view": {**submission["view"], "private_metadata": {}}}, \
        "payload"
    yield "view without type", {**submission, "view": {k: v for k, v in submission["view"].items() if k != "type"}}, \
        "payload"
    yield "a workflow step's view", {**submission, "view": {**submission["view"], "type": "workflow_step"}}, "payload"
    value = {"text": {"text": {"type": "plain_text_input", "value": 42}}}
    yield "a text input's value: a number", {**submission, "view": {**submission["view"],
                                                                    "state": {"values": value}}}, "payload"
    home = client.event_envelope({"type": "app_home_opened", "user": 12345, "tab": "home"})
    yield "event user: a number", home, "json"
    yield "event: a list", {**home, "event": []}, "json"
    yield "event without type", {**home, "event": {"user": "UFACA0001"}}, "json"
    yield "event_id: a number", {**home, "event_id": 9}, "json"
    yield "authorizations: a string", {**home, "authorizations": "all"}, "json"


def test_signed_payloads_of_the_wrong_shape_are_400(app_env, caplog):
    env = app_env
    caplog.set_level(logging.INFO)
    before = dump(env.engine)
    with freeze_time(MONDAY_10AM):
        cases = list(shapes(env.client))
        for name, payload, how in cases:
            if how == "payload":
                r = env.client.post(urlencode({"payload": json.dumps(payload)}), content_type=FORM)
            else:
                r = env.client.post(json.dumps(payload), content_type=JSON)
            assert r.status == 400, (name, r.status, r.text)
        command = env.client.command_fields("/cst", "ask", user_id="USTAFF001")
        del command["trigger_id"]
        assert env.client.post(urlencode(command), content_type=FORM).status == 400
    no_traceback(caplog)
    assert dump(env.engine) == before
    assert not [c for c in env.slack.calls if c.method != "auth.test"]


def test_a_signed_but_forged_private_metadata_is_400_without_a_traceback(app_env, caplog):
    """cstbot writes every modal's private_metadata; one it could not have written is refused in one line."""
    env = app_env
    before = dump(env.engine)
    with freeze_time(MONDAY_10AM):
        for meta in ('{"item_id": "abc"}', '{"item_id": [1]}', '{"team_id": "x", "month": "2026-11"}', "[1, 2]"):
            for callback in (Callback.REASSIGN, Callback.OFFER, Callback.ANSWER, Callback.LOG_SUBMIT):
                values = {"note": {"note": {"type": "plain_text_input", "value": "fine"}},
                          "answer": {"answer": {"type": "plain_text_input", "value": "fine"}}}
                payload = env.client.view_submission("UFACA0001", callback.value, values, private_metadata=meta)
                r = env.client.interactivity(payload)
                assert r.status in (200, 400), (meta, callback, r.status)  # 200: a refusal in a modal
    no_traceback(caplog)
    assert dump(env.engine) == before


def test_socket_mode_requests_get_the_same_shape_check(app_env, caplog):
    """The Bolt path without HTTP (Socket Mode hands Bolt a parsed body): the same 400, no listener runs."""
    from slack_bolt import BoltRequest

    from bot.app import build_app

    env = app_env
    bolt = build_app(env.deps)
    with freeze_time(MONDAY_10AM):
        click = env.client.block_action("UFACA0001", Action.ANSWER.value, "1")
        for body in ({**click, "actions": []}, {**click, "type": 123}, {**click, "user": ["U1"]}):
            response = bolt.dispatch(BoltRequest(body=body, mode="socket_mode"))
            assert response.status == 400
    no_traceback(caplog)
