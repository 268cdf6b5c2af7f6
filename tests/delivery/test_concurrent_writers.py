"""Another process writing while a message is in flight does not make the dispatcher send it twice."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlmodel import Session

from bot.delivery.dispatcher import Dispatcher, DispatchStats
from store.models import SlackEventSeen
from tests.delivery.helpers import enqueue, get


class WritingClient(WebClient):
    """A client that, while Slack 'handles' the call, lets another writer commit (as the app does)."""

    def __init__(self, inner: WebClient, engine, clock) -> None:
        super().__init__(token=inner.token, base_url=inner.base_url, timeout=inner.timeout)
        self.engine, self.clock, self.n = engine, clock, 0

    def api_call(self, *args, **kwargs):
        self.n += 1
        with Session(self.engine) as s:
            s.add(SlackEventSeen(event_id=f"Ev{self.n}", received_at=self.clock()))
            s.commit()
        return super().api_call(*args, **kwargs)


def test_a_commit_during_the_call_does_not_lose_the_outcome(engine, client, clock, slack):
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "U1", "text": "hello"})
    dispatcher = Dispatcher(engine=engine, client=WritingClient(client, engine, clock), clock=clock, worker="w1")
    assert dispatcher.run_once().sent == 1
    assert get(engine, row_id).status == "sent"
    clock.advance(minutes=10)  # past the claim lease: a row left 'sending' would be claimed again here
    assert dispatcher.run_once().sent == 0
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_row_taken_over_after_its_lease_is_not_recorded_by_the_old_owner(engine, client, clock, slack):
    from store import outbox as repo

    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "U1", "text": "hello"})
    with Session(engine) as s:
        repo.claim(session=s, worker="old", now=clock())  # the old dispatcher claimed it, then stalled
    clock.advance(minutes=3)
    new = Dispatcher(engine=engine, client=client, clock=clock, worker="new")
    assert new.run_once().sent == 1
    old = Dispatcher(engine=engine, client=client, clock=clock, worker="old")
    old._handle(row_id, DispatchStats())
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert get(engine, row_id).claimed_by == "new"
