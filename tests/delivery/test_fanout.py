"""Fan-out (issue 16): N outbox rows in one INSERT, and an "ask these N" row the dispatcher expands, on SQLite and
PostgreSQL. The clock moves by hand; nothing sleeps."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery.dispatcher import Dispatcher
from store import outbox as repo
from store.models import Outbox
from tests.standin import SlackStandIn

from .helpers import enqueue, make_item

USERS = [f"U{n:04d}" for n in range(1, 8)]


@contextmanager
def inserts(engine: Engine) -> Iterator[Counter]:
    """Counts the INSERT statements sent to the database, by table (an executemany counts once)."""
    counted: Counter = Counter()

    def count(conn, cursor, statement, parameters, context, executemany):
        found = re.match(r"\s*INSERT\s+INTO\s+\"?(\w+)", statement, re.IGNORECASE)
        if found:
            counted[found.group(1)] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", count)


def rows(users: list[str], item_id: int | None = None) -> list[dict]:
    return [repo.new_row(method="chat.postMessage", payload={"channel": u, "text": f"hi {u}"}, item_id=item_id)
            for u in users]


def outbox_rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


def deliveries(slack: SlackStandIn) -> Counter:
    """How many messages each recipient has in Slack (every message in Slack is counted)."""
    found = Counter({u: len(slack.messages(u)) for u in USERS})
    assert sum(found.values()) == len(slack.messages())
    return found


def drain(dispatcher: Dispatcher) -> None:
    for _ in range(20):
        if not dispatcher.run_once():
            return
    raise AssertionError("the outbox did not settle")


def test_enqueue_many_writes_every_row_in_one_insert(engine, clock) -> None:
    item_id = make_item(engine)
    with inserts(engine) as counted, Session(engine) as session:
        given = repo.enqueue_many(rows(USERS * 5, item_id=item_id), session=session, now=clock())
        session.commit()
    assert given == 35
    assert counted == {"outbox": 1}
    written = outbox_rows(engine)
    assert len(written) == 35 and {r.item_id for r in written} == {item_id}
    assert {r.status for r in written} == {repo.PENDING} and {r.next_attempt_at for r in written} == {clock()}


def test_enqueue_many_skips_a_key_already_there_and_writes_failed_rows(engine, clock) -> None:
    enqueue(engine, clock, "chat.postMessage", {"channel": "U1", "text": "first"}, dedupe_key="k1")
    with Session(engine) as session:
        repo.enqueue_many([
            repo.new_row(method="chat.postMessage", payload={"channel": "U1", "text": "again"}, dedupe_key="k1"),
            repo.new_row(method="chat.postMessage", payload={"text": "nobody"}, failed="no Slack account"),
        ], session=session, now=clock())
        session.commit()
    written = outbox_rows(engine)
    assert [r.payload.get("text") for r in written] == ["first", "nobody"]
    assert written[1].status == repo.FAILED and written[1].last_error == "no Slack account"


def test_enqueue_all_writes_one_fanout_row_past_the_threshold(engine, clock) -> None:
    with inserts(engine) as counted, Session(engine) as session:
        assert repo.enqueue_all(rows(USERS), session=session, now=clock(), threshold=len(USERS)) == len(USERS)
        assert repo.enqueue_all(rows(USERS), session=session, now=clock(), threshold=len(USERS) - 1) == 1
        session.commit()
    assert counted == {"outbox": 2}
    assert [r.method for r in outbox_rows(engine)] == ["chat.postMessage"] * len(USERS) + [repo.FANOUT]


def test_dispatcher_expands_a_fanout_and_sends_each_message_once(engine, slack, client, clock) -> None:
    item_id = make_item(engine)
    with Session(engine) as session:
        repo.enqueue_fanout(rows(USERS), session=session, now=clock(), item_id=item_id)
        session.commit()
    dispatcher = Dispatcher(engine=engine, client=client, clock=clock, worker="d1", expand_chunk=3)
    with inserts(engine) as counted:
        stats = dispatcher.run_once()
    assert stats.expanded == len(USERS) and stats.sent == 0
    assert counted == {"outbox": 3}  # 7 rows, 3 per transaction
    drain(dispatcher)
    assert deliveries(slack) == {u: 1 for u in USERS}
    written = outbox_rows(engine)
    fanout, children = written[0], written[1:]
    assert fanout.status == repo.SENT and fanout.result == {"expanded": len(USERS)}
    assert {r.status for r in children} == {repo.SENT} and {r.item_id for r in children} == {item_id}
    assert sorted(r.dedupe_key for r in children) == sorted(repo.fanout_key(fanout.id, i) for i in range(7))
    assert {r.created_at for r in children} == {fanout.created_at}  # given up on counting from the request


def test_a_dispatcher_dying_mid_expansion_loses_and_doubles_nothing(engine, slack, client, clock,
                                                                    monkeypatch) -> None:
    with Session(engine) as session:
        repo.enqueue_fanout(rows(USERS), session=session, now=clock())
        session.commit()
    real = repo.enqueue_many
    calls = []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("killed")  # the process dies: no except clause of the dispatcher runs
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, "enqueue_many", dies_on_the_second_chunk)
    first = Dispatcher(engine=engine, client=client, clock=clock, worker="d1", expand_chunk=3)
    with pytest.raises(SystemExit):
        first.run_once()
    monkeypatch.setattr(repo, "enqueue_many", real)
    written = outbox_rows(engine)
    assert len(written) == 1 + 3 and written[0].status == repo.SENDING  # one chunk in, the fan-out still claimed

    # The lease runs out; another dispatcher takes the fan-out over and expands it again from the start.
    clock.advance(seconds=repo.DEFAULT_LEASE.total_seconds() + 1)
    second = Dispatcher(engine=engine, client=client, clock=clock, worker="d2", expand_chunk=3)
    drain(second)
    drain(first)
    written = outbox_rows(engine)
    assert len(written) == 1 + len(USERS)
    assert {r.status for r in written} == {repo.SENT}
    assert deliveries(slack) == {u: 1 for u in USERS}


def test_a_fanout_waits_for_its_items_earlier_messages(engine, slack, client, clock) -> None:
    item_id = make_item(engine)
    slack.fail_next("chat.postMessage", status=500)
    enqueue(engine, clock, "chat.postMessage", {"channel": "U0000", "text": "first"}, item_id=item_id)
    with Session(engine) as session:
        repo.enqueue_fanout(rows(USERS), session=session, now=clock(), item_id=item_id)
        session.commit()
    dispatcher = Dispatcher(engine=engine, client=client, clock=clock, worker="d1")
    stats = dispatcher.run_once()
    assert stats.expanded == 0 and stats.retried == 1  # the earlier message failed: the fan-out waits behind it
    clock.advance(seconds=10)
    drain(dispatcher)
    texts = [m["text"] for m in slack.messages()]
    assert texts[0] == "first" and len(texts) == 1 + len(USERS)


def test_a_fanout_that_cannot_be_rendered_is_retried_then_shown_failed(engine, slack, client, clock) -> None:
    with Session(engine) as session:
        repo.enqueue_fanout([], session=session, now=clock(), render={"notices": []})
        session.commit()

    def broken(spec):
        raise KeyError("state")

    dispatcher = Dispatcher(engine=engine, client=client, clock=clock, worker="d1", expander=broken,
                            give_up_after=timedelta(minutes=1))
    assert dispatcher.run_once().retried == 1
    (row,) = outbox_rows(engine)
    assert row.status == repo.PENDING and row.last_error == "could not render the fan-out: KeyError"
    clock.advance(minutes=2)
    assert dispatcher.run_once().failed == 1
    assert outbox_rows(engine)[0].status == repo.FAILED  # on the admins' Home tab, not lost in a crash loop
    assert not slack.calls
