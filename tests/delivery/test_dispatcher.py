"""The outbox dispatcher against the recording Slack stand-in, on SQLite and PostgreSQL.

The clock is the dispatcher's `clock` callable, moved by hand (`clock.advance`); nothing sleeps. A row is
identified in the stand-in's recorded calls by the `text` of its payload.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.delivery.dispatcher import DOUBT_NOTE, Dispatcher, _backoff, outbox_metadata
from store import outbox as repo
from store.outbox import FAILED, PENDING, SENDING, SENT
from tests.standin import SlackStandIn

from .helpers import T0, TOKEN, enqueue, get, get_card, make_item

CARD_KEY = "owner_card:1"

# For tests of the Slack side only (transport errors, the loop): the database plays no part, so once is enough.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def texts(slack: SlackStandIn, method: str) -> list[str]:
    return [c.args.get("text") for c in slack.calls_to(method)]


def delivered(slack: SlackStandIn) -> list[tuple[str, str]]:
    """(method, text) of every message call Slack answered with success, in the order they arrived (history
    lookups and DM opens left out)."""
    return [
        (c.method, c.args.get("text"))
        for c in slack.calls
        if c.status == 200 and c.fault is None and not c.method.startswith("conversations.")
    ]


def failed_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return [row.id for row in repo.failed_rows(session=session)]


def outbox_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "bot.delivery.dispatcher" and r.levelno == logging.ERROR
    ]


# --- normal operation ------------------------------------------------------------------------------------


def test_enqueued_row_is_sent_once_and_marked_sent(engine, dispatcher, slack, clock) -> None:
    slack.respond("chat.postMessage", {"ok": True, "channel": "C1", "ts": "1711111111.000200"})
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "hello"})

    stats = dispatcher.run_once()

    assert (stats.sent, stats.retried, stats.failed, stats.deferred) == (1, 0, 0, 0)
    call = slack.last("chat.postMessage")
    assert call.args == {"channel": "C1", "text": "hello", "metadata": outbox_metadata(row_id)}
    assert call.args["metadata"] == {"event_type": "cstbot_outbox", "event_payload": {"outbox_id": row_id}}
    assert call.token == TOKEN
    row = get(engine, row_id)
    assert row.status == SENT
    assert row.result == {"channel": "C1", "ts": "1711111111.000200"}
    assert row.sent_at == T0
    assert row.attempts == 1
    assert row.last_error is None
    assert row.in_doubt_since is None

    assert not dispatcher.run_once()
    clock.advance(minutes=10)  # well past the claim lease: a sent row is never claimed again
    assert not dispatcher.run_once()
    assert len(slack.calls) == 1


def test_dedupe_key_sends_one_message(engine, dispatcher, slack, clock) -> None:
    key = "monthly-summary:2025-02:C1"
    first = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "summary"}, dedupe_key=key)
    second = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "summary"}, dedupe_key=key)
    assert first is not None
    assert second is None

    dispatcher.run_once()
    clock.advance(minutes=5)
    assert enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "summary"}, dedupe_key=key) is None
    dispatcher.run_once()

    assert texts(slack, "chat.postMessage") == ["summary"]
    assert get(engine, first).status == SENT


def test_keys_starting_with_underscore_never_reach_slack(engine, dispatcher, slack, clock) -> None:
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "hi", "_trace": {"why": "test"}})
    dispatcher.run_once()
    assert slack.last("chat.postMessage").args == {"channel": "C1", "text": "hi", "metadata": outbox_metadata(row_id)}


# --- rate limits -----------------------------------------------------------------------------------------


def test_rate_limit_pauses_the_method_not_the_others(engine, dispatcher, slack, clock) -> None:
    a = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "a"})
    b = enqueue(engine, clock, "chat.postMessage", {"channel": "C2", "text": "b"})
    c = enqueue(engine, clock, "chat.postEphemeral", {"channel": "C1", "user": "U1", "text": "c"})
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    stats = dispatcher.run_once()

    assert (stats.sent, stats.deferred, stats.retried, stats.failed) == (1, 2, 0, 0)
    row_a, row_b = get(engine, a), get(engine, b)
    assert row_a.status == PENDING
    assert row_a.next_attempt_at == T0 + timedelta(seconds=7)
    assert row_a.attempts == 0  # a rate limit is not held against the row
    assert "Retry-After 7s" in row_a.last_error
    assert row_a.claimed_by is None
    assert row_b.status == PENDING  # same method, same batch: it waits too, without a call
    assert row_b.next_attempt_at == T0 + timedelta(seconds=7)
    assert row_b.attempts == 0
    assert get(engine, c).status == SENT  # another method goes ahead
    assert texts(slack, "chat.postMessage") == ["a"]
    assert texts(slack, "chat.postEphemeral") == ["c"]

    clock.advance(seconds=6)
    assert not dispatcher.run_once()
    clock.advance(seconds=1)
    assert dispatcher.run_once().sent == 2

    assert [get(engine, i).status for i in (a, b, c)] == [SENT, SENT, SENT]
    assert get(engine, a).attempts == 1
    calls_for_a = [call.status for call in slack.calls_to("chat.postMessage") if call.args["text"] == "a"]
    assert calls_for_a == [429, 200]
    assert texts(slack, "chat.postMessage") == ["a", "a", "b"]


# --- transient failures ----------------------------------------------------------------------------------


def test_server_errors_are_retried_with_exponential_backoff(engine, dispatcher, slack, clock) -> None:
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    slack.fail_next("chat.postMessage", status=500)
    slack.fail_next("chat.postMessage", status=503, times=2)

    delays, errors = [], []
    for attempt in (1, 2, 3):
        assert dispatcher.run_once().retried == 1
        row = get(engine, row_id)
        assert (row.status, row.attempts) == (PENDING, attempt)
        delays.append(row.next_attempt_at - clock())
        errors.append(row.last_error)
        clock.now = row.next_attempt_at - timedelta(seconds=1)
        assert not dispatcher.run_once()  # not due yet
        clock.now = row.next_attempt_at

    assert delays == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    # A 5xx may come after Slack posted the message: each retry first reads the channel's history.
    assert errors == [
        "HTTP 500 internal_server_error" + DOUBT_NOTE,
        "HTTP 503 service_unavailable" + DOUBT_NOTE,
        "HTTP 503 service_unavailable" + DOUBT_NOTE,
    ]
    assert dispatcher.run_once().sent == 1
    row = get(engine, row_id)
    assert (row.status, row.attempts, row.last_error) == (SENT, 4, None)
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 503, 503, 200]
    assert len(slack.calls_to("conversations.history")) == 3


def test_backoff_doubles_up_to_fifteen_minutes() -> None:
    assert [_backoff(n).total_seconds() for n in (1, 2, 3, 4, 8, 9, 30)] == [5, 10, 20, 40, 640, 900, 900]


@sqlite_only
def test_retryable_slack_error_is_retried(engine, dispatcher, slack, clock) -> None:
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    slack.error_next("chat.postMessage", "internal_error")  # HTTP 200, ok: false, not a permanent error
    assert dispatcher.run_once().retried == 1
    row = get(engine, row_id)
    assert (row.status, row.last_error) == (PENDING, "HTTP 200 internal_error" + DOUBT_NOTE)
    clock.advance(seconds=5)
    assert dispatcher.run_once().sent == 1


@sqlite_only
def test_timeout_is_retried(engine, slack, clock) -> None:
    client = WebClient(base_url=slack.base_url, token=TOKEN, timeout=0.2)
    dispatcher = Dispatcher(engine=engine, client=client, clock=clock)
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "slow"})
    slack.timeout_next("chat.postMessage", posted=False)  # Slack never got it (tests/faults: when it did)

    stats = dispatcher.run_once()
    slack.release_held()

    assert stats.retried == 1
    row = get(engine, row_id)
    assert row.status == PENDING
    assert row.attempts == 1
    assert row.next_attempt_at == T0 + timedelta(seconds=5)
    assert row.last_error.startswith("TimeoutError"), row.last_error
    clock.advance(seconds=5)
    assert dispatcher.run_once().sent == 1
    assert [c.fault for c in slack.calls_to("chat.postMessage")] == ["timeout", None]


@sqlite_only
def test_connection_refused_is_retried(engine, clock) -> None:
    with SlackStandIn() as gone:
        base_url = gone.base_url  # nothing listens there once the stand-in has stopped
    client = WebClient(base_url=base_url, token=TOKEN, timeout=1, retry_handlers=[])  # no in-call retry sleep
    dispatcher = Dispatcher(engine=engine, client=client, clock=clock)
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})

    assert dispatcher.run_once().retried == 1
    row = get(engine, row_id)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert row.last_error.startswith("URLError")


# --- permanent failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_blocks"])
def test_permanent_slack_error_fails_at_once(engine, dispatcher, slack, clock, caplog, error) -> None:
    ok = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "fine"})
    bad = enqueue(engine, clock, "chat.postMessage", {"channel": "C404", "text": "doomed"})
    slack.respond(
        "chat.postMessage",
        lambda call: {"ok": False, "error": error} if call.args["text"] == "doomed" else {"ok": True, "ts": "1.2"},
    )

    with caplog.at_level(logging.INFO, logger="bot.delivery.dispatcher"):
        stats = dispatcher.run_once()

    assert (stats.sent, stats.failed, stats.retried) == (1, 1, 0)
    row = get(engine, bad)
    assert row.status == FAILED
    assert row.attempts == 1
    assert row.last_error == f"Slack refused chat.postMessage: {error}"
    assert get(engine, ok).status == SENT
    assert failed_ids(engine) == [bad]
    [logged] = outbox_errors(caplog)
    assert f"row {bad}" in logged and error in logged

    clock.advance(hours=1)
    assert not dispatcher.run_once()
    assert texts(slack, "chat.postMessage") == ["fine", "doomed"]


def test_gives_up_after_give_up_after(engine, dispatcher, slack, clock, caplog) -> None:
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    slack.fail_next("chat.postMessage", status=500, times=10)

    assert dispatcher.run_once().retried == 1
    clock.advance(hours=23)
    assert dispatcher.run_once().retried == 1  # still inside the 24 h
    assert get(engine, row_id).status == PENDING
    clock.now = T0 + timedelta(hours=24, seconds=1)
    with caplog.at_level(logging.INFO, logger="bot.delivery.dispatcher"):
        assert dispatcher.run_once().failed == 1

    row = get(engine, row_id)
    assert row.status == FAILED
    assert row.last_error == "gave up after 3 attempts: HTTP 500 internal_server_error" + DOUBT_NOTE
    assert failed_ids(engine) == [row_id]
    [logged] = outbox_errors(caplog)
    assert "gave up after 3 attempts" in logged
    clock.advance(days=1)
    assert not dispatcher.run_once()
    assert len(slack.calls_to("chat.postMessage")) == 3


# --- per-item order --------------------------------------------------------------------------------------


@pytest.mark.parametrize("later_method", ["chat.postMessage", "chat.postEphemeral"])
def test_item_message_waiting_on_rate_limit_keeps_later_ones_behind(
    engine, dispatcher, slack, clock, later_method
) -> None:
    item_id = make_item(engine)
    first = enqueue(engine, clock, "chat.postMessage", {"channel": "U1", "text": "first"}, item_id=item_id)
    later = enqueue(engine, clock, later_method, {"channel": "U1", "user": "U1", "text": "later"}, item_id=item_id)
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    assert dispatcher.run_once().deferred == 2
    assert get(engine, later).status == PENDING
    for _ in range(8):  # second by second through the wait
        clock.advance(seconds=1)
        dispatcher.run_once()

    assert delivered(slack) == [("chat.postMessage", "first"), (later_method, "later")]
    assert [get(engine, i).status for i in (first, later)] == [SENT, SENT]


def test_item_message_waiting_on_retry_keeps_later_ones_behind(engine, dispatcher, slack, clock) -> None:
    """The later message is written while the first waits for its retry (a later batch, another method)."""
    item_id = make_item(engine)
    enqueue(engine, clock, "chat.postMessage", {"channel": "U1", "text": "first"}, item_id=item_id)
    slack.fail_next("chat.postMessage", status=503, times=2)
    assert dispatcher.run_once().retried == 1  # retry due at +5 s

    clock.advance(seconds=1)
    enqueue(engine, clock, "chat.postEphemeral", {"channel": "U1", "user": "U1", "text": "later"}, item_id=item_id)
    for _ in range(20):
        dispatcher.run_once()
        clock.advance(seconds=1)

    assert delivered(slack) == [("chat.postMessage", "first"), ("chat.postEphemeral", "later")]


def test_unrelated_items_do_not_wait_for_each_other(engine, dispatcher, slack, clock) -> None:
    one, two = make_item(engine), make_item(engine)
    enqueue(engine, clock, "chat.postMessage", {"channel": "U1", "text": "one"}, item_id=one)
    enqueue(engine, clock, "chat.postEphemeral", {"channel": "U1", "user": "U1", "text": "two"}, item_id=two)
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    assert dispatcher.run_once().sent == 1
    assert delivered(slack) == [("chat.postEphemeral", "two")]


# --- cards -----------------------------------------------------------------------------------------------


def card_payload(item_id: int, text: str, **extra) -> dict:
    return {"text": text, "_card": {"item_id": item_id, "key": CARD_KEY}, **extra}


def assert_no_private_keys(slack: SlackStandIn) -> None:
    for call in slack.calls:
        assert not [k for k in call.args if k.startswith("_")], call


def test_card_post_records_where_it_went_and_updates_edit_it(engine, dispatcher, slack, clock) -> None:
    item_id = make_item(engine, cards=(CARD_KEY,))
    post = enqueue(engine, clock, "chat.postMessage", card_payload(item_id, "v1", channel="UOWNER001"), item_id=item_id)

    assert dispatcher.run_once().sent == 1

    result = get(engine, post).result
    card = get_card(engine, item_id, CARD_KEY)
    assert (card.channel, card.ts) == ("DUOWNER001", result["ts"]) == (result["channel"], result["ts"])

    clock.advance(minutes=1)
    update = enqueue(engine, clock, "chat.update", card_payload(item_id, "v2"), item_id=item_id)
    assert dispatcher.run_once().sent == 1
    assert slack.last("chat.update").args == {"text": "v2", "channel": "DUOWNER001", "ts": card.ts}
    assert get(engine, update).status == SENT
    assert_no_private_keys(slack)


def test_card_post_and_update_in_one_batch(engine, dispatcher, slack, clock) -> None:
    item_id = make_item(engine, cards=(CARD_KEY,))
    enqueue(engine, clock, "chat.postMessage", card_payload(item_id, "v1", channel="UOWNER001"), item_id=item_id)
    enqueue(engine, clock, "chat.update", card_payload(item_id, "v2"), item_id=item_id)

    assert dispatcher.run_once().sent == 2

    ts = get_card(engine, item_id, CARD_KEY).ts
    assert slack.last("chat.update").args == {"text": "v2", "channel": "DUOWNER001", "ts": ts}
    assert_no_private_keys(slack)


@pytest.mark.parametrize("update_item_id", [True, False], ids=["row-has-item", "card-meta-only"])
def test_card_update_waits_for_its_pending_post(engine, dispatcher, slack, clock, update_item_id) -> None:
    """With the row's item_id the item's order holds it back; without, the card's own pending-post check."""
    item_id = make_item(engine, cards=(CARD_KEY,))
    enqueue(engine, clock, "chat.postMessage", card_payload(item_id, "v1", channel="UOWNER001"), item_id=item_id)
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    assert dispatcher.run_once().deferred == 1

    clock.advance(seconds=1)
    update = enqueue(
        engine, clock, "chat.update", card_payload(item_id, "v2"), item_id=item_id if update_item_id else None
    )
    assert dispatcher.run_once().deferred == 1
    row = get(engine, update)
    assert row.status == PENDING
    assert row.last_error == ("waiting for an earlier message" if update_item_id else "card not posted yet")
    assert slack.calls_to("chat.update") == []

    for _ in range(8):
        clock.advance(seconds=1)
        dispatcher.run_once()

    assert delivered(slack) == [("chat.postMessage", "v1"), ("chat.update", "v2")]
    card = get_card(engine, item_id, CARD_KEY)
    assert slack.last("chat.update").args == {"text": "v2", "channel": card.channel, "ts": card.ts}
    assert get(engine, update).status == SENT


def test_card_update_is_skipped_when_its_post_failed(engine, dispatcher, slack, clock) -> None:
    item_id = make_item(engine, cards=(CARD_KEY,))
    post = enqueue(engine, clock, "chat.postMessage", card_payload(item_id, "v1", channel="C404"), item_id=item_id)
    slack.error_next("chat.postMessage", "channel_not_found")
    assert dispatcher.run_once().failed == 1
    assert get(engine, post).status == FAILED

    update = enqueue(engine, clock, "chat.update", card_payload(item_id, "v2"), item_id=item_id)
    assert dispatcher.run_once().sent == 1

    row = get(engine, update)
    assert (row.status, row.result) == (SENT, {"skipped": "no card to update"})
    assert slack.calls_to("chat.update") == []
    assert get_card(engine, item_id, CARD_KEY).ts is None


# --- crash recovery and the loop -------------------------------------------------------------------------


def test_row_left_sending_is_claimed_again_after_the_lease(engine, dispatcher, slack, clock) -> None:
    """Claimed, never prepared (the dispatcher died before its call): taken over and sent, no lookup needed."""
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "orphan"})
    with Session(engine, expire_on_commit=False) as session:  # a dispatcher that claims, then dies
        assert [r.id for r in repo.claim(session=session, worker="crashed", now=clock())] == [row_id]

    clock.advance(seconds=repo.DEFAULT_LEASE.total_seconds() - 1)
    assert not dispatcher.run_once()
    row = get(engine, row_id)
    assert (row.status, row.claimed_by, row.in_doubt_since) == (SENDING, "crashed", None)

    clock.advance(seconds=1)  # the lease has run out
    assert dispatcher.run_once().sent == 1
    row = get(engine, row_id)
    assert (row.status, row.claimed_by, row.attempts) == (SENT, "test-dispatcher", 2)
    assert texts(slack, "chat.postMessage") == ["orphan"]
    assert slack.calls_to("conversations.history") == []


class _StopOnWait(threading.Event):
    """A stop event that is set at the loop's `waits`-th idle wait instead of waiting: nothing sleeps."""

    def __init__(self, waits: int) -> None:
        super().__init__()
        self.waits = waits

    def wait(self, timeout: float | None = None) -> bool:
        self.waits -= 1
        if self.waits <= 0:
            self.set()
        return self.is_set()


@sqlite_only
def test_run_forever_survives_a_failed_batch(engine, dispatcher, slack, clock, caplog, monkeypatch) -> None:
    enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    real_run_once, batches = dispatcher.run_once, []

    def flaky_run_once():
        batches.append(1)
        if len(batches) == 1:
            raise RuntimeError("database went away")
        return real_run_once()

    monkeypatch.setattr(dispatcher, "run_once", flaky_run_once)
    with caplog.at_level(logging.INFO, logger="bot.delivery.dispatcher"):
        dispatcher.run_forever(_StopOnWait(waits=2))  # fails, waits, sends, finds nothing, waits: stop

    assert len(batches) == 3
    assert texts(slack, "chat.postMessage") == ["x"]
    assert any("batch failed" in m for m in outbox_errors(caplog))


# --- lanes: items sent side by side ------------------------------------------------------------------------


def test_lanes_send_items_side_by_side_each_in_order(engine, slack, clock) -> None:
    client = WebClient(base_url=slack.base_url, token=TOKEN, timeout=30)  # a call waits for another to arrive
    dispatcher = Dispatcher(engine=engine, client=client, clock=clock, worker="laned", lanes=4)
    items = [make_item(engine) for _ in range(3)]
    for n in range(2):
        for i, item_id in enumerate(items):
            enqueue(engine, clock, "chat.postMessage", {"channel": f"U{i}", "text": f"item{i}-{n}"}, item_id=item_id)
    enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "no item"})
    together = threading.Barrier(2, timeout=20)  # the first two calls meet only if they are in flight at once
    met, arrived, lock = [], [], threading.Lock()

    def answer(call):
        with lock:
            arrived.append(call)
            among_first_two = len(arrived) <= 2
        if among_first_two:
            met.append(together.wait())
        return {"ok": True, "channel": call.args["channel"], "ts": slack._next_ts()}

    slack.respond("chat.postMessage", answer)
    stats = dispatcher.run_once()

    assert (stats.sent, stats.retried, stats.deferred) == (7, 0, 0)
    assert sorted(met) == [0, 1]
    sent = texts(slack, "chat.postMessage")
    assert sorted(sent) == sorted([f"item{i}-{n}" for i in range(3) for n in range(2)] + ["no item"])
    for i in range(3):
        assert [t for t in sent if t.startswith(f"item{i}-")] == [f"item{i}-0", f"item{i}-1"]
