"""Bad signatures, Slack's retries, malformed or unknown requests and bad form input: never a 500."""

from __future__ import annotations

import json
import urllib.request

from freezegun import freeze_time
from sqlmodel import Session, func, select

from bot.ids import Block, Callback
from store.models import Item
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import submit_ask
from tests.standin import Sign


def items(env) -> int:
    with Session(env.engine) as s:
        return s.exec(select(func.count()).select_from(Item)).one()


def test_wrong_missing_or_stale_signatures_get_401_and_change_nothing(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        for sign in (Sign.WRONG, Sign.MISSING, Sign.STALE):
            r = env.client.slash_command("/cst", "ask", user_id="USTAFF001", sign=sign)
            assert r.status == 401, sign
            payload = env.client.view_submission(
                "USTAFF001",
                Callback.ASK.value,
                {Block.TEXT: {"text": {"type": "plain_text_input", "value": "x"}}},
                private_metadata="{}",
            )
            assert env.client.interactivity(payload, sign=sign).status == 401
        assert items(env) == 0
        assert not [c for c in env.slack.calls if c.method != "auth.test"]


def test_slack_retries_of_one_event_are_processed_once(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        event = {
            "type": "app_home_opened",
            "user": "UFACA0001",
            "channel": "DUFACA0001",
            "tab": "home",
            "event_ts": "1763300000.000300",
        }
        assert env.client.event(event, event_id="Ev0001").status == 200
        assert env.client.event(event, event_id="Ev0001", retry_num=1, retry_reason="http_timeout").status == 200
        assert env.client.event(event, event_id="Ev0001", retry_num=2, retry_reason="http_error").status == 200
        assert len(env.slack.calls_to("views.publish")) == 1
        env.client.event(event, event_id="Ev0002")
        assert len(env.slack.calls_to("views.publish")) == 2


def test_malformed_json_is_a_400_not_a_500(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = env.client.post("payload=%7Bnot-json", content_type="application/x-www-form-urlencoded")
        assert r.status == 400 and "malformed" in r.text
        r = env.client.post("{not json", content_type="application/json")
        assert r.status == 400
        r = env.client.post("{not json", content_type="application/json", sign=Sign.WRONG)
        assert r.status == 401


def test_unknown_callback_and_action_ids_get_a_polite_reply(app_env, caplog):
    env = app_env
    with freeze_time(MONDAY_10AM):
        payload = env.client.view_submission("USTAFF001", "cst_from_an_old_version", {}, private_metadata="{}")
        r = env.client.interactivity(payload)
        assert r.status == 200
        body = r.json()
        assert body["response_action"] == "update" and "did not recognise" in json.dumps(body)
        r = env.client.interactivity(env.client.block_action("USTAFF001", "no_such_button", "1"))
        assert r.status == 200
        assert "did not recognise" in env.slack.last("response_url").args["text"]
        assert "no listener for request" in caplog.text
        assert "Traceback" not in json.dumps(body)


def test_unknown_user_is_told_who_administers_the_bot(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = env.client.slash_command("/cst", "ask", user_id="UNOBODY01")
        assert r.status == 200
        assert "not have you in its roster" in r.text and "<@UADMIN001>" in r.text
        assert not env.slack.calls_to("views.open")


def test_empty_and_oversized_fields_get_field_errors(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = submit_ask(env, "USTAFF001", "   ", district=1)
        assert r.json() == {"response_action": "errors", "errors": {"text": "Please write your question or request."}}
        r = submit_ask(env, "USTAFF001", "x" * 3001, district=1)
        assert r.json()["response_action"] == "errors" and "3,001 characters" in r.json()["errors"]["text"]
        # District staff with two districts must say which one.
        r = submit_ask(env, "USTAFF001", "Which one?")
        assert r.json()["errors"] == {"district": "Please pick the district this is about."}
        # A district that is not theirs (District Three is team B's) is refused on the field.
        r = submit_ask(env, "USTAFF001", "Sneaky", district=3)
        assert r.json()["errors"] == {"district": "Please pick one of your districts."}
        assert items(env) == 0


def test_the_word_payload_in_a_command_does_not_lose_it(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = env.client.slash_command("/cst", "ask what payload size does the data upload accept?", user_id="UMEMA0001")
        assert r.status == 200
        view = env.slack.last("views.open").args["view"]
        text_block = next(b for b in view["blocks"] if b.get("block_id") == "text")
        assert text_block["element"]["initial_value"] == "what payload size does the data upload accept?"


def test_help_unknown_subcommand_and_healthz(app_env):
    env = app_env
    with freeze_time(MONDAY_10AM):
        r = env.client.slash_command("/cst", "", user_id="UMEMA0001")
        assert "How cstbot works" in r.text and "Send to facilitator" in r.text
        assert "/cst log" in r.text
        for user, words in (("UFACA0001", "Review & submit"), ("USTAFF001", "/cst train"),
                            ("ULEAD0001", "*Take it* and it is yours"), ("USTATE001", "first offer wins")):
            assert words in env.client.slash_command("/cst", "help", user_id=user).text, user
        r = env.client.slash_command("/cst", "frobnicate", user_id="UMEMA0001")
        assert "`/cst frobnicate` is not something cstbot knows" in r.text
    base = env.client.base_url.rstrip("/")
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
        assert response.status == 200 and json.loads(response.read()) == {"ok": True, "database": "ok"}
