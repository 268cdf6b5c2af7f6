"""Two dispatchers on PostgreSQL under 429s (issue 13): a 429 met by one pauses the method for both (the pause
is kept in the database), and no row is sent twice however the 429s fall. The clock is injected and moved by
hand; nothing sleeps."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.delivery.dispatcher import METADATA_EVENT, Dispatcher
from store import outbox as repo
from store.models import Outbox
from tests.standin import SlackStandIn

from .helpers import TOKEN, Clock, enqueue

USERS = [f"U{n:04d}" for n in range(1, 41)]


def require_postgres(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers; one dispatcher runs there")


def dispatchers(engine, slack: SlackStandIn, clock: Clock) -> list[Dispatcher]:
    return [Dispatcher(engine=engine, client=WebClient(base_url=slack.base_url, token=TOKEN, timeout=2),
                       clock=clock, worker=f"d{n}", lanes=4, batch=8) for n in (1, 2)]


def both_once(pair: list[Dispatcher]) -> None:
    """One batch of each dispatcher, at the same time (threads), on the same clock."""
    failures: list[BaseException] = []

    def run(d: Dispatcher) -> None:
        try:
            d.run_once()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in pair]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures


def sent_per_row(slack: SlackStandIn) -> Counter:
    return Counter(m["metadata"]["event_payload"]["outbox_id"] for m in slack.messages()
                   if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT)


def test_a_429_met_by_one_dispatcher_pauses_the_other(engine, slack, clock) -> None:
    require_postgres(engine)
    for u in USERS[:5]:
        enqueue(engine, clock, "chat.postMessage", {"channel": u, "text": u})
    first, second = dispatchers(engine, slack, clock)
    first.batch = 1
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    assert first.run_once().deferred == 1
    assert not second.run_once()  # it never heard the 429 itself: the pause in the database holds it
    assert len(slack.calls_to("chat.postMessage")) == 1
    with Session(engine) as session:
        assert repo.pauses(session=session, now=clock()) == {"chat.postMessage": clock() + timedelta(seconds=30)}
    clock.advance(seconds=31)
    assert second.run_once().sent == 5  # the pause is over: every row goes, the one that met the 429 too
    assert sorted(sent_per_row(slack).values()) == [1] * 5


def test_two_dispatchers_never_send_a_row_twice_under_429s(engine, slack, clock) -> None:
    require_postgres(engine)
    for u in USERS:
        enqueue(engine, clock, "chat.postMessage", {"channel": u, "text": u})
    # A third of the calls answered 429 (Retry-After 1 s), a few more hang past the client's timeout while posting
    # (the row is then looked up in the DM's history before it is sent again).
    slack.chaos("chat.postMessage", p_ratelimit=0.3, retry_after=1, seed=7)
    pair = dispatchers(engine, slack, clock)
    for _ in range(60):
        both_once(pair)
        with Session(engine) as session:
            left = session.exec(select(Outbox).where(Outbox.status.in_([repo.PENDING, repo.SENDING]))).all()
        if not left:
            break
        clock.advance(seconds=2)  # past every Retry-After
    else:
        raise AssertionError("the outbox did not settle")
    calls = slack.calls_to("chat.postMessage")
    assert sum(1 for c in calls if c.status == 429) >= 5  # the 429s really fell on both
    per_row = sent_per_row(slack)
    assert len(per_row) == len(USERS) and set(per_row.values()) == {1}  # every row once, none twice
    assert sorted(len(slack.messages(u)) for u in USERS) == [1] * len(USERS)
    with Session(engine) as session:
        rows = session.exec(select(Outbox)).all()
    assert {r.status for r in rows} == {repo.SENT}
    assert {r.claimed_by for r in rows} == {"d1", "d2"}  # both did part of the work


def test_the_stand_ins_token_bucket_answers_429_past_its_burst() -> None:
    with SlackStandIn() as slack:
        slack.rate_limit("chat.postMessage", per_second=0.01, burst=2)
        client = WebClient(base_url=slack.base_url, token=TOKEN)
        client.chat_postMessage(channel="U1", text="one")
        client.chat_postMessage(channel="U1", text="two")
        with pytest.raises(Exception) as refused:
            client.chat_postMessage(channel="U1", text="three")
        assert refused.value.response.status_code == 429
        assert int(refused.value.response.headers["Retry-After"]) >= 1
        assert [m["text"] for m in slack.messages("U1")] == ["one", "two"]


def test_a_worker_keeps_sending_while_one_call_hangs(engine, slack, clock) -> None:
    """`run_forever` with lanes claims a new lane as soon as one is free: a call hanging until the client's
    timeout holds its own lane, not the rows queued after it (a batch used to wait for its slowest call)."""
    dispatcher = Dispatcher(engine=engine, client=WebClient(base_url=slack.base_url, token=TOKEN, timeout=60),
                            clock=clock, worker="w", lanes=4)
    slack.timeout_next("chat.postMessage", delay=60)  # held until released below
    enqueue(engine, clock, "chat.postMessage", {"channel": USERS[0], "text": "held"})
    stop = threading.Event()
    loop = threading.Thread(target=dispatcher.run_forever, args=(stop, 0.02))
    loop.start()
    try:
        slack.wait_for("chat.postMessage", count=1, timeout=10)
        for u in USERS[1:6]:
            enqueue(engine, clock, "chat.postMessage", {"channel": u, "text": u})
        slack.wait_for("chat.postMessage", count=6, timeout=10)  # the held call has not been answered yet
        assert sorted(c.args["text"] for c in slack.calls_to("chat.postMessage")[1:]) == USERS[1:6]
    finally:
        stop.set()
        slack.release_held()
        loop.join()
    assert sorted(len(slack.messages(u)) for u in USERS[:6]) == [1] * 6
