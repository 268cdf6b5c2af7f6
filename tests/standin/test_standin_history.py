"""The stand-in keeps what was posted and reads it back like conversations.history; its faults for the
delivery tests and the fault bench (lost answers after the work was done, per-method rate limits, chaos)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from . import SlackStandIn

META = {"event_type": "cstbot_outbox", "event_payload": {"outbox_id": 7}}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def web(slack: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-t", base_url=slack.base_url, retry_handlers=[])


def test_history_returns_posted_messages_newest_first_with_metadata_only_when_asked(slack, web) -> None:
    first = web.chat_postMessage(channel="U1", text="one", metadata=META)
    second = web.chat_postMessage(channel="U1", text="two")
    web.chat_postMessage(channel="C9", text="elsewhere")
    web.chat_update(channel=first["channel"], ts=first["ts"], text="one, edited")

    plain = web.conversations_history(channel="DU1")
    assert [m["text"] for m in plain["messages"]] == ["two", "one, edited"]
    assert all("metadata" not in m for m in plain["messages"])
    full = web.conversations_history(channel="DU1", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == META

    assert [m["text"] for m in web.conversations_history(channel="DU1", oldest=first["ts"])["messages"]] == ["two"]
    inclusive = web.conversations_history(channel="DU1", oldest=first["ts"], inclusive=True)
    assert len(inclusive["messages"]) == 2
    page = web.conversations_history(channel="DU1", limit=1)
    assert page["has_more"] and [m["ts"] for m in page["messages"]] == [second["ts"]]
    rest = web.conversations_history(channel="DU1", limit=1, cursor=page["response_metadata"]["next_cursor"])
    assert [m["ts"] for m in rest["messages"]] == [first["ts"]] and not rest["has_more"]

    web.chat_delete(channel="DU1", ts=second["ts"])
    assert [m["text"] for m in slack.messages("U1")] == ["one, edited"]
    assert float(second["ts"]) > float(first["ts"])


@pytest.mark.parametrize("posted", [True, False])
def test_reset_loses_the_answer_after_or_before_the_work(slack, web, posted) -> None:
    slack.reset_next("chat.postMessage", posted=posted)
    with pytest.raises(ConnectionError):
        web.chat_postMessage(channel="C1", text="x")
    assert [c.fault for c in slack.calls] == ["reset"]
    assert len(slack.messages("C1")) == (1 if posted else 0)


@pytest.mark.parametrize("posted", [True, False])
def test_timeout_after_or_before_the_work(slack, posted) -> None:
    web = WebClient(token="xoxb-t", base_url=slack.base_url, timeout=0.2, retry_handlers=[])
    slack.timeout_next("chat.postMessage", posted=posted)
    with pytest.raises(TimeoutError):
        web.chat_postMessage(channel="C1", text="x")
    slack.release_held()
    assert len(slack.messages("C1")) == (1 if posted else 0)


def test_rate_limit_per_method(slack, web) -> None:
    slack.rate_limit("conversations.history", 2)
    web.conversations_history(channel="C1")
    web.conversations_history(channel="C1")
    with pytest.raises(SlackApiError) as refused:
        web.conversations_history(channel="C1")
    assert refused.value.response.status_code == 429
    assert 1 <= int(refused.value.response.headers["Retry-After"]) <= 60
    assert web.chat_postMessage(channel="C1", text="other methods go on")["ok"]
    slack.rate_limit("conversations.history", None)
    assert web.conversations_history(channel="C1")["ok"]


def test_chaos_gives_a_share_of_calls_a_fault_until_calm(slack, web) -> None:
    slack.chaos("chat.postMessage", p_error=0.5, p_ratelimit=0.5, seed=1)
    outcomes = []
    for _ in range(20):
        try:
            web.chat_postMessage(channel="C1", text="x")
            outcomes.append(200)
        except SlackApiError as exc:
            outcomes.append(exc.response.status_code)
    assert set(outcomes) == {500, 429}
    assert slack.messages("C1") == []  # a 500 or a 429 from chaos did nothing
    slack.calm()
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
