"""The stand-in's Slack latency (load benchmarks): which calls wait how long. Nothing here is timed: the wait
itself is recorded by replacing the sleep."""

from __future__ import annotations

from urllib.request import urlopen

import pytest
from slack_sdk import WebClient

from bot.demo.standin import latency
from bot.demo.standin.latency import SLACK_LATENCY, SlowSlackStandIn, delay_for, parse_delays


def test_longest_prefix_wins_and_unknown_methods_do_not_wait():
    table = {"views.": 0.1, "views.open": 0.3, "chat.": 0.15}
    assert delay_for(table, "views.open") == 0.3
    assert delay_for(table, "views.update") == 0.1
    assert delay_for(table, "chat.postMessage") == 0.15
    assert delay_for(table, "auth.test") == 0.0
    assert delay_for({"": 0.05, "chat.": 0.15}, "auth.test") == 0.05  # "" matches every method
    assert delay_for({}, "views.open") == 0.0


def test_defaults_are_slacks_measured_times():
    assert delay_for(SLACK_LATENCY, "views.open") == pytest.approx(0.100)
    assert delay_for(SLACK_LATENCY, "chat.postMessage") == pytest.approx(0.150)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("views.=100,chat.=150", {"views.": 0.1, "chat.": 0.15}),
        (" views.open = 250 ", {"views.open": 0.25}),
        ("0", {}),
        ("", {}),
        ("=20", {"": 0.02}),
    ],
)
def test_parse_delays(text, expected):
    assert parse_delays(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [("views.", "write PREFIX=MILLISECONDS"), ("views.=fast", "not a number"), ("chat.=-5", "cannot be negative")],
)
def test_parse_delays_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_delays(text)


def test_each_web_api_call_waits_its_methods_delay_before_it_is_answered(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(latency, "_sleep", waits.append)
    with SlowSlackStandIn(delays={"views.": 0.1, "chat.": 0.15}) as slack:
        web = WebClient(token="xoxb-test", base_url=slack.base_url)
        assert web.views_open(trigger_id="1.2.3", view={"type": "modal", "title": {"type": "plain_text", "text": "x"},
                                                         "blocks": []})["ok"]
        assert web.chat_postMessage(channel="C1", text="hi")["ok"]
        assert web.auth_test()["ok"]
        with urlopen(f"{slack.hooks_url}T1/B1/x", data=b"{}") as response:  # a response_url: no Web API wait
            assert response.status == 200
        assert slack.methods() == ["views.open", "chat.postMessage", "auth.test", "response_url"]
    assert waits == [0.1, 0.15]


def test_no_delays_means_no_wait(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(latency, "_sleep", waits.append)
    with SlowSlackStandIn(delays={}) as slack:
        assert WebClient(token="xoxb-test", base_url=slack.base_url).views_open(trigger_id="1", view={})["ok"]
    assert waits == []
