"""`cstbot serve --socket` end to end: a real process connects to the Socket Mode stand-in and serves the protocol.

The stand-in is Slack on 127.0.0.1: `apps.connections.open` on the Web API stand-in hands out a ws:// URL, the
WebSocket server sends Slack's envelopes and checks each one is acknowledged. The process runs with --no-worker,
so what it would send later stays in the outbox, where the test reads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from bot.demo.standin.socket_mode import SocketModeStandIn
from bot.ids import Action, Block, Callback
from routing.model import Notice
from store import migrate
from store.db import make_engine
from store.models import Item, Outbox
from store.roster import import_roster, parse_yaml
from tests.blockkit import check_call
from tests.e2e.conftest import ROSTER, SECRET
from tests.standin import SlackStandIn

DEE, BO = "USTAFF003", "UFACB0001"  # district staff of District Three; Team B's facilitator


@pytest.fixture
def served(db_url, tmp_path):
    url = db_url  # SQLite and PostgreSQL (a scratch schema the subprocess reaches through the URL)
    migrate.upgrade(url)
    engine = make_engine(url)
    import_roster(parse_yaml(ROSTER, source="roster.yaml"), engine=engine)
    with SlackStandIn() as slack, SocketModeStandIn(slack) as socket:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CSTBOT_"))}
        env.update(DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
                   SLACK_APP_TOKEN="xapp-1-test", SLACK_API_URL=slack.base_url)
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--socket", "--no-worker"], env=env,
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            try:
                socket.wait_connected()
            except AssertionError as exc:
                proc.terminate()
                why = proc.communicate(timeout=20)[1]
                raise AssertionError(f"cstbot serve --socket did not connect: {why}") from exc
            yield slack, socket, engine
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=20)
            engine.dispose()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "cstbot: connected in Socket Mode" in stderr
    # Every Web API call the app made is valid Block Kit within Slack's limits; every envelope was acknowledged.
    for call in slack.calls:
        check_call(call.method, call.args)
    assert socket.unacknowledged == []


def _ask(socket, slack, user: str, text: str) -> dict:
    """/cst ask, then submit the modal that opened; returns the acknowledgement's payload."""
    socket.slash_command("/cst", "ask", user_id=user)
    opened = slack.last("views.open").args["view"]
    values = {Block.TEXT: {"text": {"type": "plain_text_input", "value": text}}}
    payload = socket.payloads.view_submission(user, values=values, view=opened)
    return socket.interactive(payload).response


def test_a_request_over_socket_mode_and_a_reconnect(served):
    slack, socket, engine = served

    # /cst ask opens the modal (views.open with the command's trigger_id), and the command is acknowledged.
    command = socket.slash_command("/cst", "ask", user_id=DEE)
    opened = slack.last("views.open")
    assert opened.args["trigger_id"] == command.payload["trigger_id"]
    assert opened.args["view"]["callback_id"] == Callback.ASK.value

    # The submission: the item is stored before the modal says "Sent", and the facilitator's card is queued.
    values = {Block.TEXT: {"text": {"type": "plain_text_input", "value": "Which walkthrough tool fits us?"}}}
    submitted = socket.interactive(socket.payloads.view_submission(DEE, values=values, view=opened.args["view"]))
    assert submitted.response["response_action"] == "update"
    assert "Sent" in json.dumps(submitted.response["view"])
    with Session(engine) as s:
        item = s.exec(select(Item)).one()
        assert item.text == "Which walkthrough tool fits us?" and item.status == "open"
        queued = s.exec(select(Outbox).where(Outbox.item_id == item.id, Outbox.status == "pending")).all()
    card = next(r for r in queued if r.payload.get("channel") == BO)
    # the card is rendered when the dispatcher sends it (not running here): the row holds the notice
    assert card.notice == Notice.ITEM_ASSIGNED.value and card.payload["_card"]["item_id"] == item.id
    assert card.context["state"]["id"] == item.id

    # A click on the card's Answer button opens the answer modal.
    socket.interactive(socket.payloads.block_action(BO, Action.ANSWER.value, str(item.id)))
    assert slack.last("views.open").args["view"]["callback_id"] == Callback.ANSWER.value

    # The Home tab: app_home_opened is an Events API envelope; the app publishes the facilitator's Home.
    socket.event({"type": "app_home_opened", "user": BO, "channel": "D0BO", "tab": "home"})
    home = slack.last("views.publish")
    assert home.args["user_id"] == BO and "Which walkthrough tool fits us?" in json.dumps(home.args["view"])

    # Slack recycles the connection ("refresh_requested"): the app opens a new one and goes on serving.
    socket.disconnect()
    socket.wait_connected(2)
    help_reply = socket.slash_command("/cst", "help", user_id=BO)
    assert help_reply.connection == 2 and "How cstbot works" in help_reply.response["text"]

    # The connection drops without notice: the app notices and connects again.
    socket.drop()
    socket.wait_connected(3)
    assert "Sent" in json.dumps(_ask(socket, slack, DEE, "And a second question after the drop")["view"])
    assert len(slack.calls_to("apps.connections.open")) == 3
    with Session(engine) as s:
        assert len(s.exec(select(Item)).all()) == 2
