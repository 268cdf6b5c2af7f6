"""Tests of the end-to-end harness itself: the Web API stand-in, the signed client and the WSGI server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qs
from urllib.request import urlopen

import pytest
from freezegun import freeze_time
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from . import Reply, Sign, SignedSlackClient, SlackStandIn, Upload, serve_wsgi, slack_signature

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
BLOCKS = [{"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "*hi*"}}]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def web(slack: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.base_url)


# ---------------------------------------------------------------------- Web API stand-in


def test_post_message_is_recorded_with_parsed_blocks(slack: SlackStandIn, web: WebClient) -> None:
    first = web.chat_postMessage(channel="C123", text="hello", blocks=BLOCKS)
    second = web.chat_postMessage(channel="U42", text="dm")

    call = slack.last("chat.postMessage")
    assert call.args == {"channel": "U42", "text": "dm"}
    first_call = slack.calls_to("chat.postMessage")[0]
    assert first_call.args["blocks"] == BLOCKS
    assert first_call.token == TOKEN
    assert first_call.headers["content-type"].startswith("application/json")
    assert first_call.status == 200 and first_call.fault is None
    assert first["channel"] == "C123" and first["message"]["blocks"] == BLOCKS
    assert re.fullmatch(r"\d{10}\.\d{6}", first["ts"])  # seconds.microseconds, from the clock, like Slack's
    assert float(second["ts"]) > float(first["ts"])
    assert second["channel"] == slack.dm_channel("U42") == "DU42"


def test_base_url_without_trailing_slash_and_form_bodies(slack: SlackStandIn) -> None:
    # WebClient appends the missing "/" and urljoin()s the method name onto base_url.
    web = WebClient(token=TOKEN, base_url=slack.base_url.rstrip("/"))
    web.api_call("chat.scheduleMessage", params={"channel": "C1", "post_at": 1, "blocks": json.dumps(BLOCKS)})
    call = slack.last("chat.scheduleMessage")
    assert call.path == "/api/chat.scheduleMessage"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.args["blocks"] == BLOCKS  # JSON text inside form data is decoded
    assert call.args["post_at"] == "1"  # other form values stay strings


def test_get_and_multipart_requests(slack: SlackStandIn, web: WebClient) -> None:
    with urlopen(f"{slack.base_url}users.info?user=U5") as resp:  # noqa: S310 - local stand-in
        assert json.load(resp)["user"]["id"] == "U5"
    get = slack.last("users.info")
    assert (get.http_method, get.args) == ("GET", {"user": "U5"})

    web.api_call("users.setPhoto", files={"image": b"\x89PNG"}, data={"crop_w": 10})
    call = slack.last("users.setPhoto")
    assert call.headers["content-type"].startswith("multipart/form-data")
    assert call.args["crop_w"] == "10"
    assert isinstance(call.args["image"], Upload) and call.args["image"].content == b"\x89PNG"


def test_default_responses(slack: SlackStandIn, web: WebClient) -> None:
    slack.users_by_email = {"ana@example.org": "U0ANA"}
    auth = web.auth_test()
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == (
        slack.bot_user_id,
        slack.bot_id,
        slack.team_id,
    )
    assert web.conversations_open(users="U0ANA")["channel"]["id"] == "DU0ANA"
    assert web.users_lookupByEmail(email="ana@example.org")["user"]["id"] == "U0ANA"
    with pytest.raises(SlackApiError) as missing:
        web.users_lookupByEmail(email="nobody@example.org")
    assert missing.value.response["error"] == "users_not_found"
    assert web.users_info(user="U0ANA")["user"]["profile"]["email"] == "ana@example.org"
    assert web.chat_postEphemeral(channel="C1", user="U0ANA", text="psst")["message_ts"]
    assert web.chat_update(channel="C1", ts="1.2", text="new")["ts"] == "1.2"
    assert web.chat_delete(channel="C1", ts="1.2")["ok"]

    view = {"type": "modal", "callback_id": "ask", "title": {"type": "plain_text", "text": "Ask"}, "blocks": []}
    opened = web.views_open(trigger_id="1.2.3", view=view)["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "ask" and opened["hash"]
    assert slack.last("views.open").args["view"] == view
    updated = web.views_update(view_id=opened["id"], view=view)["view"]
    assert updated["id"] == opened["id"]
    home = web.views_publish(user_id="U0ANA", view={"type": "home", "blocks": BLOCKS})["view"]
    assert home["type"] == "home" and home["blocks"] == BLOCKS

    assert web.api_call("admin.brandNew.method")["ok"]
    assert slack.methods()[-1] == "admin.brandNew.method"


def test_files_upload_v2_goes_through_the_stand_in(slack: SlackStandIn, web: WebClient) -> None:
    web.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="log.csv", title="Log")
    assert slack.methods() == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    file_id = slack.last("files.getUploadURLExternal")
    upload = slack.last("upload")
    assert upload.args["content"] == b"a,b\n1,2\n"
    assert slack.last("files.completeUploadExternal").args["files"] == [{"id": upload.args["file_id"], "title": "Log"}]
    assert file_id.args["filename"] == "log.csv"


def test_respond_overrides_and_callables(slack: SlackStandIn, web: WebClient) -> None:
    slack.respond("chat.postMessage", {"ok": True, "ts": "9.9", "channel": "C9"})
    assert web.chat_postMessage(channel="C1", text="x")["ts"] == "9.9"

    slack.respond("users.info", lambda call: {"ok": True, "user": {"id": call.args["user"], "tz": "UTC"}})
    assert web.users_info(user="U7")["user"] == {"id": "U7", "tz": "UTC"}

    slack.respond("conversations.members", lambda call: Reply({"ok": False, "error": "fatal"}, status=500))
    with pytest.raises(SlackApiError) as err:
        web.conversations_members(channel="C1")
    assert err.value.response.status_code == 500

    slack.respond("chat.postMessage", None)
    assert web.chat_postMessage(channel="C1", text="x")["ts"] != "9.9"

    slack.respond("users.info", lambda call: {"ok": True, "user": call.args["missing"]})
    with pytest.raises(SlackApiError) as err:
        web.users_info(user="U7")
    assert err.value.response["error"] == "standin_responder_failed"
    assert slack.last("users.info").status == 500


def test_rate_limit_is_seen_by_the_client(slack: SlackStandIn) -> None:
    web = WebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])
    slack.fail_next("chat.postMessage", status=429, retry_after=2)
    with pytest.raises(SlackApiError) as err:
        web.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "2"
    assert err.value.response["error"] == "ratelimited"
    assert [(c.status, c.fault) for c in slack.calls] == [(429, "status")]
    assert web.chat_postMessage(channel="C1", text="x")["ok"]  # the queue held one fault only


def test_rate_limit_retry_handler_honours_retry_after(slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    # RateLimitErrorRetryHandler sleeps int(Retry-After) + random() seconds: record the sleep instead.
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slept.append))
    web = WebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[RateLimitErrorRetryHandler()])
    slack.fail_next("chat.postMessage", status=429, retry_after=1)

    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slept) == 1 and 1 <= slept[0] < 2


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(slack: SlackStandIn, web: WebClient, status: int) -> None:
    slack.fail_next("views.publish", status=status, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            web.views_publish(user_id="U1", view={"type": "home", "blocks": []})
        assert err.value.response.status_code == status
        assert "Retry-After" not in err.value.response.headers
    assert web.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]
    assert [c.status for c in slack.calls] == [status, status, 200]


def test_error_next_and_wildcard(slack: SlackStandIn, web: WebClient) -> None:
    slack.error_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as err:
        web.chat_postMessage(channel="C404", text="x")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "channel_not_found"
    assert slack.last("chat.postMessage").fault == "error"

    slack.fail_next("*", status=503)
    with pytest.raises(SlackApiError):
        web.auth_test()
    assert web.auth_test()["ok"]


def test_timeout_injection(slack: SlackStandIn, web: WebClient) -> None:
    impatient = WebClient(token=TOKEN, base_url=slack.base_url, timeout=0.2)  # type: ignore[arg-type]
    slack.timeout_next("chat.postMessage", delay=30)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="slow")
    # Recorded on arrival; not retried by the default ConnectionErrorRetryHandler.
    assert [(c.method, c.fault) for c in slack.calls] == [("chat.postMessage", "timeout")]
    assert web.chat_postMessage(channel="C1", text="fast")["ok"]
    # stop() (fixture teardown) releases the held response instead of waiting 30 s.


def test_wait_for_calls_from_a_background_thread(slack: SlackStandIn, web: WebClient) -> None:
    start = threading.Event()

    def worker() -> None:
        start.wait()
        for n in range(3):
            web.chat_postMessage(channel="C1", text=str(n))

    thread = threading.Thread(target=worker)
    thread.start()
    start.set()
    calls = slack.wait_for("chat.postMessage", count=3)
    thread.join()
    assert [c.args["text"] for c in calls] == ["0", "1", "2"]
    with pytest.raises(AssertionError, match="expected 1 call"):
        slack.wait_for("chat.delete", timeout=0)


# ---------------------------------------------------------------------- signed client


class _Capture:
    """A WSGI app that records each request's headers and raw body and answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        self.requests.append((headers, body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def captured() -> Iterator[tuple[_Capture, SignedSlackClient]]:
    capture = _Capture()
    with serve_wsgi(capture) as url:
        yield capture, SignedSlackClient(url, SECRET)


def test_signature_verifies_and_tampering_does_not(captured: tuple[_Capture, SignedSlackClient]) -> None:
    capture, client = captured
    assert client.slash_command("/cst", "ask").status == 200
    headers, body = capture.requests[-1]
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body.replace("ask", "asK"), headers)
    assert headers["x-slack-signature"] == slack_signature(SECRET, headers["x-slack-request-timestamp"], body)

    for sign in (Sign.WRONG, Sign.MISSING, Sign.STALE):
        client.slash_command("/cst", "ask", sign=sign)
        headers, body = capture.requests[-1]
        assert not verifier.is_valid_request(body, headers), sign
    assert "x-slack-signature" not in capture.requests[-2][0]  # MISSING


def test_timestamp_follows_freezegun(captured: tuple[_Capture, SignedSlackClient]) -> None:
    capture, client = captured
    with freeze_time("2024-05-01 12:00:00"):
        client.event({"type": "app_home_opened", "user": "U1", "tab": "home"})
        headers, body = capture.requests[-1]
        assert headers["x-slack-request-timestamp"] == "1714564800"
        assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert json.loads(body)["event_time"] == 1714564800


def test_request_shapes(captured: tuple[_Capture, SignedSlackClient]) -> None:
    capture, client = captured
    client.slash_command("/cst", "ask now", user_id="U9", channel_id="C9")
    headers, body = capture.requests[-1]
    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["user-agent"].startswith("Slackbot 1.0")
    assert set(form) == {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
        "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    }  # fmt: skip
    assert (form["command"], form["text"], form["user_id"], form["channel_id"]) == ("/cst", "ask now", "U9", "C9")

    client.interactivity(client.global_shortcut("U9", "new_ask"))
    headers, body = capture.requests[-1]
    payload = json.loads(parse_qs(body)["payload"][0])
    assert payload["type"] == "shortcut" and payload["callback_id"] == "new_ask"
    assert payload["user"] == {"id": "U9", "username": "user.u9", "name": "user.u9", "team_id": client.team_id}

    client.event({"type": "message", "channel": "C9", "text": "hi"}, retry_num=2, retry_reason="http_error")
    headers, body = capture.requests[-1]
    envelope = json.loads(body)
    assert headers["content-type"] == "application/json"
    assert (headers["x-slack-retry-num"], headers["x-slack-retry-reason"]) == ("2", "http_error")
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["user_id"] == client.bot_user_id

    trigger_ids = {client.next_trigger_id() for _ in range(100)}
    assert len(trigger_ids) == 100


# ---------------------------------------------------------------------- a Bolt app end to end


def _bolt_app(slack: SlackStandIn) -> App:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=slack.base_url),
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/cst")
    def cst(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack(f"got {command['text']}")
        client.chat_postMessage(channel=command["user_id"], text="working on it", blocks=BLOCKS)
        respond("done")

    @app.action("claim")
    def claim(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_update(channel=body["container"]["channel_id"], ts=body["container"]["message_ts"], text="ok")

    @app.shortcut("new_ask")
    def new_ask(ack: Any, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        view = {"type": "modal", "callback_id": "ask", "title": {"type": "plain_text", "text": "Ask"}}
        client.views_open(trigger_id=shortcut["trigger_id"], view={**view, "blocks": []})

    @app.shortcut("send_to_facilitator")
    def send(ack: Any, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_postEphemeral(
            channel=shortcut["channel"]["id"], user=shortcut["user"]["id"], text=shortcut["message"]["text"]
        )

    @app.view("ask")
    def ask(ack: Any, view: dict[str, Any]) -> None:
        question = view["state"]["values"]["question"]["text"]["value"]
        if not question.strip():
            ack(response_action="errors", errors={"question": "Type a question"})
            return
        ack()

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient, request: Any) -> None:
        retry = request.headers.get("x-slack-retry-num", ["0"])[0]
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [], "private_metadata": retry})

    return app


@pytest.mark.e2e
def test_bolt_app_end_to_end(slack: SlackStandIn) -> None:
    with serve_wsgi(SlackRequestHandler(_bolt_app(slack))) as url:
        client = SignedSlackClient(url, SECRET, response_url_base=slack.hooks_url)

        resp = client.slash_command("/cst", "ask", user_id="U1")
        assert (resp.status, resp.text) == (200, "got ask")  # ack("text") answers in text/plain
        assert slack.methods() == ["auth.test", "chat.postMessage", "response_url"]
        assert slack.last("chat.postMessage").args["blocks"] == BLOCKS
        assert slack.last("response_url").args["text"] == "done"
        assert slack.last("response_url").path.startswith(f"/hooks/commands/{client.team_id}/")

        assert client.slash_command("/cst", "ask", sign=Sign.WRONG).status == 401
        assert client.slash_command("/cst", "ask", sign=Sign.MISSING).status == 401
        assert client.slash_command("/cst", "ask", sign=Sign.STALE).status == 401

        message = client.bot_message("pick", ts="1700000000.000100")
        assert client.interactivity(client.block_action("U1", "claim", "item-7", message=message)).status == 200
        assert slack.last("chat.update").args["ts"] == "1700000000.000100"

        assert client.interactivity(client.global_shortcut("U1", "new_ask")).status == 200
        opened = slack.last("views.open").args["view"]
        values = {"question": {"text": {"type": "plain_text_input", "value": " "}}}
        resp = client.interactivity(client.view_submission("U1", values=values, view=opened))
        assert resp.json() == {"response_action": "errors", "errors": {"question": "Type a question"}}
        values["question"]["text"]["value"] = "Who covers district 12?"
        resp = client.interactivity(client.view_submission("U1", "ask", values))
        assert (resp.status, resp.text) == (200, "")

        original = {"type": "message", "user": "U2", "text": "help me", "ts": "1700000001.000200"}
        client.interactivity(client.message_shortcut("U1", "send_to_facilitator", original, "C5"))
        ephemeral = slack.last("chat.postEphemeral")
        # Bolt's per-request client adds the request's team_id to every Web API call.
        assert ephemeral.args == {"channel": "C5", "user": "U1", "text": "help me", "team_id": client.team_id}
        assert ephemeral.token == TOKEN

        client.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, retry_num=1)
        assert slack.last("views.publish").args["view"]["private_metadata"] == "1"

        assert client.url_verification("abc").json() == {"challenge": "abc"}
        assert client.ssl_check().status == 200
        assert slack.methods().count("auth.test") == 1  # Bolt caches auth.test after the first request


@pytest.mark.e2e
def test_concurrent_requests(slack: SlackStandIn) -> None:
    with serve_wsgi(SlackRequestHandler(_bolt_app(slack))) as url:
        client = SignedSlackClient(url, SECRET, response_url_base=slack.hooks_url)
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda n: client.slash_command("/cst", f"n{n}").status, range(32)))
    assert statuses == [200] * 32
    assert len(slack.calls_to("chat.postMessage")) == 32
    assert len(slack.calls_to("response_url")) == 32


@pytest.mark.e2e
def test_bolt_drops_form_bodies_containing_the_word_payload(slack: SlackStandIn) -> None:
    """Bolt 1.30 parses any form body containing "payload" as an interaction: a command's fields are lost.

    (slack_bolt.request.internals.parse_body checks ``"payload" in body``.) Not a harness bug: the request
    is exactly what Slack sends. If this starts failing, Bolt fixed it.
    """
    with serve_wsgi(SlackRequestHandler(_bolt_app(slack))) as url:
        client = SignedSlackClient(url, SECRET, response_url_base=slack.hooks_url)
        assert client.slash_command("/cst", "show payload").status == 404
        assert client.slash_command("/cst", "show pay").status == 200


def test_stop_releases_held_answers_and_is_idempotent() -> None:
    slack = SlackStandIn().start()
    url = slack.base_url
    slack.timeout_next("chat.postMessage", delay=600)
    web = WebClient(token=TOKEN, base_url=url, timeout=0.1)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        web.chat_postMessage(channel="C1", text="x")
    slack.stop()  # releases the held answer (else this would block for 600 s) and joins the request thread
    slack.stop()
    with pytest.raises(URLError):
        WebClient(token=TOKEN, base_url=url, retry_handlers=[]).auth_test()
