"""The Socket Mode stand-in speaks what slack_sdk's built-in Socket Mode client (Bolt's default) expects."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bot.demo.standin.socket_mode import SocketModeStandIn
from tests.standin import SlackStandIn


@pytest.fixture
def stand_ins():
    with SlackStandIn() as slack, SocketModeStandIn(slack, ack_timeout=5) as socket:
        yield slack, socket


def _client(slack, token="xapp-1-test", *, answer=True):
    client = SocketModeClient(app_token=token, web_client=WebClient(base_url=slack.base_url), ping_interval=30)
    received: list[SocketModeRequest] = []

    def listener(c: SocketModeClient, req: SocketModeRequest) -> None:
        received.append(req)
        if answer:
            c.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload={"seen": req.type}))

    client.socket_mode_request_listeners.append(listener)
    return client, received


def test_hello_envelopes_acknowledgements_and_a_refresh(stand_ins):
    slack, socket = stand_ins
    client, received = _client(slack)
    try:
        client.connect()
        socket.wait_connected()
        command = socket.slash_command("/cst", "help", user_id="U1")
        assert command.response == {"seen": "slash_commands"} and command.connection == 1
        assert received[0].payload["command"] == "/cst" and received[0].payload["text"] == "help"
        assert received[0].accepts_response_payload is True
        click = socket.interactive(socket.payloads.block_action("U1", "item_answer", "7"))
        assert click.response == {"seen": "interactive"} and received[1].accepts_response_payload is False
        event = socket.event({"type": "app_home_opened", "user": "U1", "tab": "home"})
        assert event.response == {"seen": "events_api"}
        assert received[2].payload["event"]["type"] == "app_home_opened" and received[2].retry_attempt == 0

        socket.disconnect()  # Slack's refresh_requested: the client opens a new connection
        socket.wait_connected(2)
        assert len(slack.calls_to("apps.connections.open")) == 2
        assert socket.slash_command("/cst", "inbox", user_id="U1").connection == 2
        assert socket.unacknowledged == []
    finally:
        client.close()


def test_an_envelope_nobody_acknowledges_is_an_error(stand_ins):
    slack, socket = stand_ins
    socket.ack_timeout = 0.5
    client, received = _client(slack, answer=False)
    try:
        client.connect()
        socket.wait_connected()
        with pytest.raises(AssertionError, match="was not acknowledged"):
            socket.slash_command("/cst", "help", user_id="U1")
        assert [e.type for e in socket.unacknowledged] == ["slash_commands"]
    finally:
        client.close()


def test_connections_need_the_app_token_and_a_fresh_url(stand_ins):
    slack, socket = stand_ins
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        WebClient(base_url=slack.base_url).apps_connections_open(app_token="xoxb-bot-token")
    url = WebClient(base_url=slack.base_url).apps_connections_open(app_token="xapp-1")["url"]
    assert url.startswith(f"ws://127.0.0.1:{socket.port}/link/?ticket=")

    with connect(url) as first:
        assert '"type": "hello"' in first.recv(timeout=5)
    with connect(url) as again, pytest.raises(ConnectionClosed):  # single use, as Slack's URLs are
        again.recv(timeout=5)
    assert socket.connections == 1
