"""Delivery to Slack after ambiguous failures: nothing lost, nothing posted twice (SQLite and PostgreSQL).

An ambiguous failure is one after which the message may or may not be in Slack: the answer timed out, the
connection was reset, Slack answered 5xx, the dispatcher died mid-call, the database went away between the
call and recording it. The dispatcher then reads the channel's history (conversations.history with
include_all_metadata) for the message's metadata before sending again. The Slack stand-in keeps what was posted
and can lose an answer after carrying the call out (`reset_next` / `timeout_next` with `posted=True`) or before
(`posted=False`).

The dispatcher's clock is moved by hand; nothing sleeps. Timeouts use a 0.2 s client timeout against a held
answer (released at once afterwards).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.delivery.dispatcher import Dispatcher, files_upload_payload
from bot.settings import Settings
from bot.slack.client import make_client
from store import outbox as repo
from store.outbox import PENDING, SENDING, SENT
from tests.delivery.helpers import Clock, enqueue, get, get_card, make_item
from tests.standin import Reply, SlackStandIn

TOKEN = "xoxb-faults"
CARD_KEY = "owner_card:1"
LEASE = repo.DEFAULT_LEASE.total_seconds()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


def web_client(slack: SlackStandIn, timeout: float = 2) -> WebClient:
    """The client `cstbot worker` uses (its retry rules included), on the stand-in."""
    return make_client(Settings(slack_bot_token=TOKEN, slack_api_url=slack.base_url), timeout=timeout)


def dispatcher_for(engine: Engine, slack: SlackStandIn, clock: Clock, worker: str = "d1", **kw: Any) -> Dispatcher:
    client = kw.pop("client", None) or web_client(slack, kw.pop("timeout", 2))
    return Dispatcher(engine=engine, client=client, clock=clock, worker=worker, **kw)


@pytest.fixture
def dispatcher(engine, slack, clock) -> Dispatcher:
    return dispatcher_for(engine, slack, clock)


def posts(slack: SlackStandIn) -> list[str]:
    return [c.args.get("text") for c in slack.calls_to("chat.postMessage")]


def copies(slack: SlackStandIn, row_id: int) -> list[dict]:
    """The messages in Slack (any channel) carrying the metadata of outbox row `row_id`."""
    return [m for m in slack.messages() if (m.get("metadata") or {}).get("event_payload") == {"outbox_id": row_id}]


def lose_answer(slack: SlackStandIn, how: str, posted: bool) -> None:
    if how == "reset":
        slack.reset_next("chat.postMessage", posted=posted)
    else:
        slack.timeout_next("chat.postMessage", posted=posted)


# --- every message names its outbox row ------------------------------------------------------------------


def test_every_post_carries_metadata_naming_its_outbox_row(engine, dispatcher, slack, clock) -> None:
    ids = [enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": t}) for t in ("a", "b")]
    assert dispatcher.run_once().sent == 2
    assert [c.args["metadata"] for c in slack.calls_to("chat.postMessage")] == [
        {"event_type": "cstbot_outbox", "event_payload": {"outbox_id": i}} for i in ids
    ]
    assert [len(copies(slack, i)) for i in ids] == [1, 1]


# --- an unclear answer: look before sending again --------------------------------------------------------


@pytest.mark.parametrize("how", ["reset", "timeout"])
def test_message_slack_took_is_found_in_history_and_not_sent_again(engine, slack, clock, how) -> None:
    """A card to a person (user id), whose DM channel nobody knows yet: conversations.open finds it."""
    dispatcher = dispatcher_for(engine, slack, clock, timeout=0.2)
    item_id = make_item(engine, cards=(CARD_KEY,))
    row_id = enqueue(engine, clock, "chat.postMessage",
                     {"channel": "UOWNER001", "text": "card v1", "_card": {"item_id": item_id, "key": CARD_KEY}},
                     item_id=item_id)
    lose_answer(slack, how, posted=True)

    stats = dispatcher.run_once()
    slack.release_held()
    assert (stats.sent, stats.retried) == (0, 1)
    row = get(engine, row_id)
    assert (row.status, row.in_doubt_since) == (PENDING, clock())  # in doubt since the call

    clock.advance(seconds=5)
    stats = dispatcher.run_once()

    assert (stats.sent, stats.found) == (1, 1)
    assert posts(slack) == ["card v1"]  # one call, never a second
    [message] = copies(slack, row_id)
    assert slack.methods()[1:] == ["conversations.open", "conversations.history"]
    history = slack.last("conversations.history").args
    assert history["channel"] == "DUOWNER001" and history["include_all_metadata"] in ("1", "true", True)
    assert float(history["oldest"]) < float(message["ts"])
    row = get(engine, row_id)
    assert row.status == SENT
    assert row.result == {"channel": "DUOWNER001", "ts": message["ts"], "found_in_history": True}
    card = get_card(engine, item_id, CARD_KEY)
    assert (card.channel, card.ts) == ("DUOWNER001", message["ts"])  # later changes edit this very message

    enqueue(engine, clock, "chat.update", {"text": "card v2", "_card": {"item_id": item_id, "key": CARD_KEY}},
            item_id=item_id)
    assert dispatcher.run_once().sent == 1
    assert slack.last("chat.update").args == {"text": "card v2", "channel": "DUOWNER001", "ts": message["ts"]}
    assert [m["text"] for m in slack.messages("UOWNER001")] == ["card v2"]


@pytest.mark.parametrize("how", ["reset", "timeout"])
def test_message_slack_never_got_is_sent_once_after_looking(engine, slack, clock, how) -> None:
    dispatcher = dispatcher_for(engine, slack, clock, timeout=0.2)
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "hello"})
    lose_answer(slack, how, posted=False)

    assert dispatcher.run_once().retried == 1
    slack.release_held()
    clock.advance(seconds=5)
    assert dispatcher.run_once().sent == 1

    assert slack.methods() == ["chat.postMessage", "conversations.history", "chat.postMessage"]
    assert len(copies(slack, row_id)) == 1
    assert get(engine, row_id).status == SENT


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_after_slack_posted_is_found(engine, dispatcher, slack, clock, status) -> None:
    """Slack's 5xx (and internal_error) may come after the message was posted."""
    answered = []

    def post_then_fail(call):
        if not answered:
            answered.append(call)
            ts = slack._next_ts()
            slack._keep(call, Reply({"ok": True, "channel": "C1", "ts": ts}))  # Slack did it...
            return Reply({"ok": False, "error": "internal_error"}, status=status)  # ...then failed to say so
        return {"ok": True, "channel": "C1", "ts": slack._next_ts()}

    slack.respond("chat.postMessage", post_then_fail)
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    assert dispatcher.run_once().retried == 1
    clock.advance(seconds=5)
    assert dispatcher.run_once().found == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(copies(slack, row_id)) == 1


def test_clear_refusals_leave_no_doubt_and_need_no_lookup(engine, dispatcher, slack, clock) -> None:
    """429 and an error answer: Slack did nothing, so the retry sends without reading any history."""
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    slack.fail_next("chat.postMessage", status=429, retry_after=3)
    assert dispatcher.run_once().deferred == 1
    assert get(engine, row_id).in_doubt_since is None
    clock.advance(seconds=3)
    slack.error_next("chat.postMessage", "ratelimited")
    assert dispatcher.run_once().retried == 1
    assert get(engine, row_id).in_doubt_since is None
    clock.advance(seconds=5)
    assert dispatcher.run_once().sent == 1
    assert slack.calls_to("conversations.history") == []


def test_refused_connection_is_retried_without_lookup(engine, clock) -> None:
    with SlackStandIn() as gone:
        base_url = gone.base_url  # nothing listens there once the stand-in has stopped
    dispatcher = Dispatcher(engine=engine, client=WebClient(base_url=base_url, token=TOKEN, retry_handlers=[]),
                            clock=clock)
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    assert dispatcher.run_once().retried == 1
    row = get(engine, row_id)
    assert (row.status, row.in_doubt_since) == (PENDING, None)


def test_known_dm_channel_is_used_without_opening_it(engine, dispatcher, slack, clock) -> None:
    first = enqueue(engine, clock, "chat.postMessage", {"channel": "U42", "text": "first"})
    assert dispatcher.run_once().sent == 1
    assert get(engine, first).result["channel"] == "DU42"  # Slack's answer, kept

    second = enqueue(engine, clock, "chat.postMessage", {"channel": "U42", "text": "second"})
    slack.reset_next("chat.postMessage", posted=True)
    dispatcher.run_once()
    clock.advance(seconds=5)
    assert dispatcher.run_once().found == 1
    assert slack.calls_to("conversations.open") == []
    assert slack.last("conversations.history").args["channel"] == "DU42"
    assert len(copies(slack, second)) == 1


# --- when the lookup itself fails --------------------------------------------------------------------------


def in_doubt(engine, dispatcher, slack, clock, text="x") -> int:
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": text})
    slack.reset_next("chat.postMessage", posted=False)
    assert dispatcher.run_once().retried == 1
    clock.advance(seconds=5)
    return row_id


def test_failed_lookup_never_sends_blind(engine, dispatcher, slack, clock) -> None:
    row_id = in_doubt(engine, dispatcher, slack, clock)
    slack.fail_next("conversations.history", status=500)
    assert dispatcher.run_once().retried == 1
    row = get(engine, row_id)
    assert row.status == PENDING and "could not look in the channel's history" in row.last_error
    assert len(slack.calls_to("chat.postMessage")) == 1  # only the first, unanswered one

    clock.advance(seconds=10)
    assert dispatcher.run_once().sent == 1
    assert len(copies(slack, row_id)) == 1


def test_rate_limited_lookup_waits_for_retry_after(engine, dispatcher, slack, clock) -> None:
    row_id = in_doubt(engine, dispatcher, slack, clock)
    slack.fail_next("conversations.history", status=429, retry_after=20)
    attempts = get(engine, row_id).attempts
    assert dispatcher.run_once().deferred == 1
    row = get(engine, row_id)
    assert (row.next_attempt_at, row.attempts) == (clock() + timedelta(seconds=20), attempts)
    clock.advance(seconds=19)
    assert not dispatcher.run_once()
    clock.advance(seconds=1)
    assert dispatcher.run_once().sent == 1


def test_install_without_history_scope_sends_anyway_once(engine, dispatcher, slack, clock, caplog) -> None:
    """An install that has not granted the history scopes yet: a possible duplicate beats a lost request."""
    row_id = in_doubt(engine, dispatcher, slack, clock)
    slack.respond("conversations.history", {"ok": False, "error": "missing_scope", "needed": "channels:history"})
    with caplog.at_level(logging.WARNING, logger="bot.delivery.dispatcher"):
        assert dispatcher.run_once().sent == 1
    assert len(copies(slack, row_id)) == 1
    assert any("missing_scope, needs channels:history" in r.getMessage() for r in caplog.records)


# --- a dispatcher that dies --------------------------------------------------------------------------------


class WorkerDied(BaseException):
    """The process died (SIGKILL): nothing after this point runs."""


class DyingClient(WebClient):
    """Dies during its first chat.postMessage: after Slack took it (`after=True`) or before it was sent."""

    def __init__(self, *args: Any, after: bool, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.after, self.died = after, False

    def api_call(self, api_method: str, **kw: Any):
        if api_method == "chat.postMessage" and not self.died:
            self.died = True
            if self.after:
                super().api_call(api_method, **kw)
            raise WorkerDied
        return super().api_call(api_method, **kw)


@pytest.mark.parametrize("after", [True, False], ids=["died-after-slack-took-it", "died-before-sending"])
def test_dead_workers_rows_are_taken_over_after_the_short_lease_and_looked_up(engine, slack, clock, after):
    item_id = make_item(engine, cards=(CARD_KEY,))
    card = enqueue(engine, clock, "chat.postMessage",
                   {"channel": "UOWNER001", "text": "card", "_card": {"item_id": item_id, "key": CARD_KEY}},
                   item_id=item_id)
    other = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "other"})
    dying = DyingClient(base_url=slack.base_url, token=TOKEN, after=after)
    with pytest.raises(WorkerDied):
        dispatcher_for(engine, slack, clock, worker="dead", client=dying).run_once()
    assert [get(engine, i).status for i in (card, other)] == [SENDING, SENDING]
    assert get(engine, card).in_doubt_since == clock()  # marked before the call
    assert get(engine, other).in_doubt_since is None  # never prepared: nothing to look up

    survivor = dispatcher_for(engine, slack, clock, worker="survivor")
    clock.advance(seconds=LEASE - 1)
    assert not survivor.run_once()  # the dead worker's lease still holds
    clock.advance(seconds=1)  # within about 10 s, not 2 minutes
    stats = survivor.run_once()

    assert (stats.sent, stats.found) == (2, 1 if after else 0)
    assert slack.calls_to("conversations.history")[0].args["channel"] == "DUOWNER001"
    assert len(slack.calls_to("conversations.history")) == 1  # only the row in doubt was looked up
    assert [len(copies(slack, i)) for i in (card, other)] == [1, 1]
    [message] = copies(slack, card)
    assert get_card(engine, item_id, CARD_KEY).ts == message["ts"]
    assert [get(engine, i).claimed_by for i in (card, other)] == ["survivor", "survivor"]


def test_database_gone_between_sending_and_recording(engine, dispatcher, slack, clock) -> None:
    """Slack took the message, then the database refused the write that records it: the row stays claimed and
    in doubt; once the lease runs out it is found in Slack instead of sent again."""
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    down = []

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if down:
            raise OperationalError(statement, parameters, ConnectionError("server closed the connection"))

    def post_then_lose_the_database(call):
        down.append(True)
        return {"ok": True, "channel": "C1", "ts": slack._next_ts()}

    slack.respond("chat.postMessage", post_then_lose_the_database)
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        with pytest.raises(OperationalError):
            dispatcher.run_once()
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    row = get(engine, row_id)
    assert (row.status, row.in_doubt_since) == (SENDING, clock())

    clock.advance(seconds=LEASE)
    assert dispatcher.run_once().found == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(copies(slack, row_id)) == 1


# --- the heartbeat -------------------------------------------------------------------------------------------


def test_heartbeat_keeps_a_long_batch_claimed(engine, slack, clock) -> None:
    """A's first call takes three leases to answer; A's heartbeat renews its claims meanwhile, so B, running
    all along, takes none of A's rows and nothing is sent twice."""
    a = dispatcher_for(engine, slack, clock, worker="A", timeout=10, heartbeat_every=3600)  # beats when told
    b = dispatcher_for(engine, slack, clock, worker="B")
    ids = [enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": f"m{n}"}) for n in range(3)]
    b_took = []

    def slow_first_answer(call):
        if call.args["text"] == "m0" and not b_took:
            for _ in range(3):
                clock.advance(seconds=LEASE - 1)
                assert a.heartbeat is not None and a.heartbeat.beat_now(), "A's heartbeat did not beat"
                b_took.append(b.run_once().sent)
        return {"ok": True, "channel": "C1", "ts": slack._next_ts()}

    slack.respond("chat.postMessage", slow_first_answer)
    stats = a.run_once()

    assert b_took == [0, 0, 0]
    assert stats.sent == 3
    assert posts(slack) == ["m0", "m1", "m2"]
    assert [get(engine, i).claimed_by for i in ids] == ["A", "A", "A"]


def test_without_heartbeat_the_lease_runs_out(engine, clock) -> None:
    """The control for the test above: a claim nobody renews is free again after the lease."""
    row_id = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "x"})
    with Session(engine, expire_on_commit=False) as session:
        repo.claim(session=session, worker="A", now=clock())
    clock.advance(seconds=LEASE - 1)
    with Session(engine, expire_on_commit=False) as session:
        assert repo.renew(session=session, worker="A", now=clock()) == 1
        session.commit()
    clock.advance(seconds=LEASE - 1)
    with Session(engine, expire_on_commit=False) as session:
        assert repo.claim(session=session, worker="B", now=clock()) == []  # renewed: still A's
    clock.advance(seconds=1)
    with Session(engine, expire_on_commit=False) as session:
        assert [r.id for r in repo.claim(session=session, worker="B", now=clock())] == [row_id]


# --- files ---------------------------------------------------------------------------------------------------


FILES = [("summary.xlsx", "Workbook", b"PK\x03\x04 workbook"), ("chart.png", "Chart", b"\x89PNG chart")]


def test_files_are_uploaded_and_shared_in_the_dm(engine, dispatcher, slack, clock) -> None:
    row_id = enqueue(engine, clock, "files.upload", files_upload_payload("UFAC00001", FILES, "The summary"))
    assert dispatcher.run_once().sent == 1

    assert slack.methods() == ["conversations.open", "files.getUploadURLExternal", "upload",
                               "files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert [c.args["content"] for c in slack.calls_to("upload")] == [content for _, _, content in FILES]
    share = slack.last("files.completeUploadExternal").args
    assert share["channel_id"] == "DUFAC00001" and share["initial_comment"] == "The summary"
    row = get(engine, row_id)
    assert row.status == SENT
    assert row.result == {"channel": "DUFAC00001", "files": [f["id"] for f in share["files"]]}


def test_file_share_slack_took_is_found_and_not_shared_or_uploaded_again(engine, dispatcher, slack, clock) -> None:
    row_id = enqueue(engine, clock, "files.upload", files_upload_payload("C0SUMMARY1", FILES, "The summary"))
    slack.reset_next("files.completeUploadExternal", posted=True)
    assert dispatcher.run_once().retried == 1
    assert get(engine, row_id).in_doubt_since == clock()

    clock.advance(seconds=5)
    assert dispatcher.run_once().found == 1

    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    assert len(slack.calls_to("upload")) == 2  # the files were not uploaded again either
    [shared] = [m for m in slack.messages("C0SUMMARY1") if m.get("files")]
    row = get(engine, row_id)
    assert row.result["ts"] == shared["ts"] and row.result["found_in_history"] is True


def test_refused_file_share_uploads_again_next_time(engine, dispatcher, slack, clock) -> None:
    row_id = enqueue(engine, clock, "files.upload", files_upload_payload("C0SUMMARY1", FILES[:1]))
    slack.error_next("files.completeUploadExternal", "file_not_found")  # e.g. an upload that expired
    assert dispatcher.run_once().retried == 1
    row = get(engine, row_id)
    assert (row.in_doubt_since, row.result) == (None, {})
    clock.advance(seconds=5)
    assert dispatcher.run_once().sent == 1
    assert len(slack.calls_to("upload")) == 2
    assert slack.calls_to("conversations.history") == []


# --- the Web API client's own retry --------------------------------------------------------------------------


def test_client_never_repeats_a_post_on_a_reset_connection_but_repeats_an_edit(slack) -> None:
    client = web_client(slack)
    slack.reset_next("chat.postMessage", posted=True)
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected; the outbox looks before a repeat
        client.chat_postMessage(channel="C1", text="once")
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.messages("C1")) == 1

    slack.reset_next("chat.update", posted=True)
    assert client.chat_update(channel="C1", ts=slack.messages("C1")[0]["ts"], text="edited")["ok"]
    assert len(slack.calls_to("chat.update")) == 2  # an edit is safe to repeat


# --- after an outage ---------------------------------------------------------------------------------------


def test_rows_waiting_out_a_backoff_go_as_soon_as_slack_works_again(engine, dispatcher, slack, clock) -> None:
    """Slack failed a row four times (its next try is 40 s away); as soon as another message goes through,
    the row is sent too, not 40 s (or, after a long outage, 15 min) later. A row Slack refused many more times
    keeps its backoff."""
    stuck = enqueue(engine, clock, "chat.postMessage", {"channel": "C1", "text": "stuck"})
    stubborn = enqueue(engine, clock, "chat.postMessage", {"channel": "C2", "text": "stubborn"},
                       not_before=clock() + timedelta(hours=1))
    with Session(engine) as session:
        session.get(repo.Outbox, stubborn).attempts = 7  # it has failed on its own for a long while
        session.commit()
    slack.fail_next("chat.postMessage", status=503, times=4)
    for _ in range(3):
        assert dispatcher.run_once().retried == 1
        clock.now = get(engine, stuck).next_attempt_at
    assert dispatcher.run_once().retried == 1  # the 4th failure of `stuck`
    waiting_until = get(engine, stuck).next_attempt_at
    assert waiting_until - clock() == timedelta(seconds=40)
    stubborn_until = get(engine, stubborn).next_attempt_at

    clock.advance(seconds=1)
    fresh = enqueue(engine, clock, "chat.postMessage", {"channel": "C3", "text": "fresh"})
    assert dispatcher.run_once().sent == 1  # Slack works again
    assert get(engine, stuck).next_attempt_at == clock()
    assert get(engine, stubborn).next_attempt_at == stubborn_until
    assert dispatcher.run_once().sent == 1
    assert [get(engine, i).status for i in (stuck, fresh)] == [SENT, SENT]
    assert get(engine, stuck).sent_at < waiting_until
