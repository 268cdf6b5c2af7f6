"""The message shortcut "Send to facilitator": a CST member passes on a district request sent to them."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond

from bot.handlers.common import deps_of, render_ctx, unknown_person_text
from bot.ids import Callback
from bot.items.cards import common_context, mention, slack_date
from bot.items.service import Service, UnknownPerson
from routing.errors import Refused
from routing.model import ItemKind
from templates import render_text

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.shortcut(Callback.SEND_TO_FACILITATOR.value)(handle_send_to_facilitator)


def permalink(body: dict) -> str | None:
    domain = (body.get("team") or {}).get("domain")
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    if not (domain and channel and ts):
        return None
    return f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def handle_send_to_facilitator(ack: Ack, body: dict, respond: Respond, context) -> None:
    """One click: the request goes to the district's facilitator, and the member gets an ephemeral receipt."""
    ack()
    deps = deps_of(context)
    svc = Service(deps)
    message = body.get("message") or {}
    author = message.get("user")
    clicker = body["user"]["id"]

    def reply(template: str, **kw) -> None:
        try:
            respond(text=render_text(f"messages/{template}.md.j2", **kw).strip(), response_type="ephemeral",
                    replace_original=False)
        except Exception as exc:
            log.warning("send-to-facilitator reply failed: %s", type(exc).__name__)

    with deps.session() as session:
        directory = svc.directory(session)
    if not author or author == clicker:
        return reply("forward_not_district", reason="own" if author == clicker else "bot")
    requester = directory.by_slack_id(author)
    if requester is None or not directory.districts_of_staff(requester.id):
        return reply("forward_not_district", reason="not_staff", author=f"<@{author}>")
    source = {"channel": (body.get("channel") or {}).get("id"), "ts": message.get("ts"),
              "permalink": permalink(body), "forwarded_by": clicker}
    try:
        state, created = svc.forward(slack_id=clicker, requester_slack_id=author, kind=ItemKind.DISTRICT,
                                     text=message.get("text") or "", source=source)
    except UnknownPerson as exc:
        return reply("raw", text=unknown_person_text(exc, directory))
    except Refused as exc:
        return reply("raw", text=exc.message)
    ctx = render_ctx(deps, directory, deps.protocols.get(state.protocol_version))
    reply("forwarded", created=created, **common_context(state, ctx), who=lambda p: mention(directory, p),
          when=lambda v: slack_date(v, ctx.timezone))
