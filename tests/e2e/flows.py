"""Small steps of a conversation with the app, as a person would do them in Slack."""

from __future__ import annotations

from bot.ids import Block, Callback
from tests.blockkit import check_view


def submit_ask(env, user, text, *, callback=Callback.ASK, district=None, topics=(), kind=None, urgency=None):
    """Open the modal with /cst, then submit it as Slack would, with the view that was opened."""
    sub = "train" if callback is Callback.TRAIN else "ask"
    response = env.client.slash_command("/cst", sub, user_id=user)
    assert response.status == 200, response.text
    opened = env.slack.last("views.open").args["view"]
    values = {Block.TEXT: {"text": {"type": "plain_text_input", "value": text}}}
    if district is not None:
        values[Block.DISTRICT] = {"district": {"type": "static_select", "selected_option": {"value": str(district)}}}
    if topics:
        values[Block.TOPICS] = {
            "topics": {"type": "multi_static_select", "selected_options": [{"value": t} for t in topics]}
        }
    if kind:
        values[Block.KIND] = {"kind": {"type": "radio_buttons", "selected_option": {"value": kind}}}
    if urgency:
        values[Block.URGENCY] = {"urgency": {"type": "radio_buttons", "selected_option": {"value": urgency}}}
    payload = env.client.view_submission(
        user, callback.value, values, private_metadata=opened["private_metadata"], view=opened
    )
    response = env.client.interactivity(payload)
    if response.status == 200 and response.text and response.json().get("view"):
        check_view(response.json()["view"], "view_submission response")
    return response


def click(env, user, action_id, value, **kw):
    return env.client.interactivity(env.client.block_action(user, action_id, value, **kw))


def submit_modal(env, user, values):
    """Submit the modal the last click opened."""
    opened = env.slack.last("views.open").args["view"]
    payload = env.client.view_submission(
        user, opened["callback_id"], values, private_metadata=opened["private_metadata"], view=opened
    )
    return env.client.interactivity(payload)


def text_value(block, value):
    return {block: {block: {"type": "plain_text_input", "value": value}}}


def buttons(message_args) -> dict[str, str]:
    """action_id -> value of every button on a message."""
    found = {}
    for block in message_args.get("blocks", []):
        if block["type"] == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element.get("value")
    return found


def all_text(message_args) -> str:
    return str(message_args.get("blocks", [])) + message_args.get("text", "")


def until_the_morning(env, clock) -> None:
    """Move the frozen `clock` to when the last message waiting for its recipient's working hours goes (reminders
    written at 17:00 wait for the next working morning), if any waits."""
    from sqlmodel import select

    from store.models import Outbox

    with env.deps.session() as s:
        waiting = s.exec(select(Outbox.next_attempt_at).where(Outbox.status == "pending",
                                                              Outbox.held_until.is_not(None))).all()
    later = [t for t in waiting if t > env.deps.now()]
    if later:
        clock.move_to(max(later))
