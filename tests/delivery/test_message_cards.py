"""Message cards (a lead's update, minutes) go through the same edit-in-place mechanism as item cards: an edit is
sent where Slack put the post, waits while the post is on its way, and only the newest edit is sent."""

from __future__ import annotations

from sqlmodel import Session

from bot.delivery import cards as delivery
from store import cards
from store.models import MessageCard

from .helpers import get


def _post(engine, clock, text="v0") -> int:
    with Session(engine) as session:
        card = delivery.post(session, subject="update:1", key="channel:C1", target="C1",
                             message={"text": text, "blocks": []}, now=clock())
        session.commit()
        return card.id


def _edit(engine, clock, card_id: int, text: str) -> None:
    with Session(engine) as session:
        card = session.get(MessageCard, card_id)
        delivery.edit(session, card=card, message={"text": text, "blocks": []}, now=clock())
        session.commit()


def test_a_post_is_written_once_and_its_location_remembered(engine, clock, dispatcher, slack):
    card_id = _post(engine, clock)
    assert _post(engine, clock, "again") == card_id  # the same card: not posted twice
    assert dispatcher.run_once().sent == 1
    (call,) = slack.calls_to("chat.postMessage")
    with Session(engine) as session:
        card = session.get(MessageCard, card_id)
        assert card.channel == "C1" and card.ts is not None and card.ts == slack.messages("C1")[0]["ts"]
        assert cards.location(session=session, meta={"card": card_id}) == {"channel": "C1", "ts": card.ts}
    assert call.args["text"] == "v0" and "_card" not in call.args


def test_an_edit_waits_for_its_post_and_only_the_newest_edit_is_sent(engine, clock, dispatcher, slack):
    card_id = _post(engine, clock)
    slack.fail_next("chat.postMessage", status=503)  # the post is retried later: the edits must wait for it
    _edit(engine, clock, card_id, "v1")
    _edit(engine, clock, card_id, "v2")
    stats = dispatcher.run_once()
    assert (stats.retried, stats.sent) == (1, 1)  # the post failed; the older edit is dropped as superseded
    assert slack.calls_to("chat.update") == []
    clock.advance(seconds=10)
    dispatcher.run_once()
    clock.advance(seconds=10)
    dispatcher.run_once()
    (update,) = slack.calls_to("chat.update")
    assert update.args["text"] == "v2" and update.args["channel"] == "C1"
    with Session(engine) as session:
        assert session.get(MessageCard, card_id).revision == 2
    with Session(engine) as session:
        assert cards.superseded(session=session, meta={"card": card_id, "rev": 1})
        assert not cards.superseded(session=session, meta={"card": card_id, "rev": 2})
        assert not cards.superseded(session=session, meta={"item_id": 1, "key": "x"})  # items keep their order
    assert get(engine, 1).status == "sent"
