"""What each item interaction does, from the Slack payload to the reply: read the form, call the service, say
what happened. Handlers call these and send the answer; the service never sees a payload.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.deps import Deps
from bot.ids import Block, Callback
from bot.items.cards import RenderContext, common_context
from bot.items.forms import AskForm
from bot.items.modals import action_modal, ask_choices, forward_modal
from bot.items.service import NoSuchItem, Service
from bot.slack.format import mention, slack_date
from bot.slack.forms import NoteForm, as_id, metadata, selected, selected_many, selected_user, text
from bot.slack.replies import Submission, error_text
from bot.trainers import service as ledger_service
from routing.actions import NOT_INVOLVED, allocation_days, committing_contact, why_not
from routing.directory import Directory, Person, Role
from routing.errors import Refused
from routing.explain import owner_role
from routing.model import EventKind, ItemKind, ItemState
from routing.vocabulary import in_sentence
from templates import render_text

log = logging.getLogger(__name__)

# A note modal's submission: callback -> (input block, required, what to ask for, engine event, event field).
NOTE_SUBMISSIONS: dict[Callback, tuple[Block, bool, str, EventKind, str]] = {
    Callback.ANSWER: (Block.ANSWER, True, "your answer", EventKind.ANSWERED, "text"),
    Callback.ESCALATE: (Block.NOTE, False, "a note", EventKind.ESCALATED, "reason"),
    Callback.DECLINE: (Block.NOTE, False, "a note", EventKind.DECLINED, "reason"),
}
# Refusals of an offer that belong on a field of the offer modal.
OFFER_REFUSALS = {"days_needed": Block.DAYS, "over_allocation": Block.OVER, "not_offerable": Block.CANDIDATE}
MAX_METADATA = 3000  # Slack's private_metadata limit: the shortcut's message must fit to travel through the modal
# Refusals of a reassignment that belong on the person field rather than in a closing message.
TARGET_REFUSALS = frozenset({"unknown_target", "same_owner", "target_unavailable", "not_in_tier"})
# How a refused click names the action it refused.
VERBS = {EventKind.ANSWERED: "answer", EventKind.ESCALATED: "pass on", EventKind.REASSIGNED: "reassign",
         EventKind.MATCHED: "pick a trainer for", EventKind.OFFERED: "offer", EventKind.DECLINED: "decline",
         EventKind.WITHDRAWN: "withdraw", EventKind.TAKEN: "take", EventKind.CONVERTED: "convert"}


def not_involved() -> str:
    return render_text("messages/not_involved.md.j2").strip()


def render_ctx(deps: Deps, directory: Directory, protocol=None) -> RenderContext:
    return RenderContext(directory=directory, protocol=protocol or deps.protocols.current,
                         timezone=deps.settings.timezone)


def ask(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    """The ask or train modal was submitted: store the item, then say where it went ("Sent" is true)."""
    training = view.get("callback_id") == Callback.TRAIN.value
    choices = ask_choices(directory, person, training=training)
    form = AskForm.from_view(view, district_choices={d.id for d in choices.districts},
                             district_required=choices.district_required)
    if form.errors:
        return Submission(errors=form.errors)
    kind = choices.kind if not choices.kind_choice else ItemKind(form.kind if form.kind == "update" else "question")
    try:
        state = Service(deps).start(person, kind=kind, text=form.text, district_id=form.district_id,
                                    topics=form.topics, urgency=form.urgency)
    except Refused as exc:
        return Submission.says("Not sent", exc.message)
    ctx = render_ctx(deps, directory)  # the directory read above: a roster import in between changes no name here
    return Submission.says("Sent", _with_item("messages/sent.md.j2", state, ctx))


def note(deps: Deps, person: Person, view: dict[str, Any]) -> Submission:
    """An answer, an escalation or a decline, with its text or note."""
    block, required, what, event, field = NOTE_SUBMISSIONS[Callback(view["callback_id"])]
    form = NoteForm.from_view(view, block=block, required=required, what=what)
    if form.errors:
        return Submission(errors=form.errors)
    return _act(deps, person, view, event, **{field: form.note})


def reassign(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    target_slack = selected_user(view, Block.ASSIGNEE)
    form = NoteForm.from_view(view, block=Block.NOTE, required=False, what="a note")
    target = directory.by_slack_id(target_slack) if target_slack else None
    if target is None or not target.active:
        form.errors[Block.ASSIGNEE] = "That person is not in the cstbot roster; pick someone who is."
    if form.errors:
        return Submission(errors=form.errors)
    try:
        Service(deps).act(person, item_id=as_id(metadata(view).get("item_id")), kind=EventKind.REASSIGNED,
                          target_id=target.id, reason=form.note)
    except Refused as exc:
        if exc.code in TARGET_REFUSALS:
            return Submission(errors={Block.ASSIGNEE: exc.message})
        return Submission.says("Not reassigned", exc.message)
    except NoSuchItem:
        return Submission.says("Not reassigned", not_involved())
    except (TypeError, ValueError):
        log.warning("reassign modal submitted without a valid item id")
        return Submission.says("Not reassigned", error_text())
    return Submission(clear=True)


def offer(deps: Deps, person: Person, view: dict[str, Any]) -> Submission:
    """An offer: the trainer, and for a state contact the days it commits (and, past what is left of their
    allocation, their confirmation). The engine decides; its refusals about days land on their fields."""
    raw = selected(view, Block.CANDIDATE)
    try:
        candidate_id = as_id(raw) if raw is not None else None
    except ValueError:
        candidate_id = None
    if candidate_id is None:
        return Submission(errors={Block.CANDIDATE: "Please pick the trainer you offer."})
    fields: dict[str, Any] = {"candidate_id": candidate_id}
    raw_days = text(view, Block.DAYS)
    if raw_days:
        try:
            fields["days"] = float(raw_days)
        except ValueError:
            return Submission(errors={Block.DAYS: "Please give the days as a number, for example 2 or 1.5."})
    fields["confirm_over"] = "confirm" in selected_many(view, Block.OVER)
    blocks = set((view.get("state") or {}).get("values") or {}) | {b.get("block_id") for b in view.get("blocks") or []}
    try:
        Service(deps).act(person, item_id=as_id(metadata(view).get("item_id")), kind=EventKind.OFFERED, **fields)
    except Refused as exc:
        block = OFFER_REFUSALS.get(exc.code)
        if block is not None and block in blocks:
            return Submission(errors={block: exc.message})
        return Submission.says("Not done", exc.message)
    except NoSuchItem:
        return Submission.says("Not done", not_involved())
    except (TypeError, ValueError):
        log.warning("offer modal submitted without a valid item id")
        return Submission.says("Not done", error_text())
    return Submission(clear=True)


def convert(deps: Deps, person: Person, view: dict[str, Any]) -> Submission:
    """*This is a training request*: the expertise it needs; the engine makes it one at the first stage."""
    topics = tuple(selected_many(view, Block.TOPICS))
    if not topics:
        return Submission(errors={Block.TOPICS: "Please choose the expertise the training needs."})
    return _act(deps, person, view, EventKind.CONVERTED, topics=topics)


def item_modal(deps: Deps, event: EventKind, state: ItemState, ctx: RenderContext, person: Person) -> dict | None:
    """The modal a card's button opens; an offer that commits a state contact's allocation shows what is left."""
    allocation = None
    if event is EventKind.OFFERED:
        contact = committing_contact(ctx.directory, state, person.id, person.id)
        if contact is None and Role.ADMIN in ctx.directory.roles_of(person.id):
            contact = next((a.person_id for a in state.asked if a.stage == state.tier
                            and ctx.directory.network_role(a.person_id, Role.STATE_CONTACT)), None)
        if contact is not None and ctx.protocol.training is not None:
            with deps.session() as session:
                left = ledger_service.remaining_for(session, ctx.directory, ctx.protocol, contact, deps.now())
            allocation = {
                "contact": ctx.directory.people[contact].label if contact in ctx.directory.people else "",
                "label": ctx.protocol.training.allocation.label,
                "left": f"{left:g}",
                "allocated": f"{allocation_days(ctx.directory, ctx.protocol.training, contact):g}",
                "year": ctx.protocol.school_year_label(deps.now().astimezone(ctx.protocol.timezone).date()),
            }
    return action_modal(event, state, ctx, person, allocation)


def _act(deps: Deps, person: Person, view: dict[str, Any], kind: EventKind, **fields: Any) -> Submission:
    try:
        Service(deps).act(person, item_id=as_id(metadata(view).get("item_id")), kind=kind, **fields)
    except Refused as exc:
        return Submission.says("Not done", exc.message)
    except NoSuchItem:
        return Submission.says("Not done", not_involved())
    except (TypeError, ValueError):
        log.warning("modal %s submitted without a valid item id", view.get("callback_id"))
        return Submission.says("Not done", error_text())
    return Submission(clear=True)


def clickable(deps: Deps, directory: Directory, person: Person, raw_item_id: Any,
              event: EventKind) -> tuple[ItemState, RenderContext] | str:
    """The item a card's button is about and how to render it, if this person may do `event` now; else why not."""
    try:
        item_id = as_id(raw_item_id)
    except (TypeError, ValueError):
        log.warning("button %s without an item id", event.value)
        return error_text()
    try:
        state = Service(deps).read(item_id)
    except NoSuchItem:
        return not_involved()
    protocol = deps.protocols.get(state.protocol_version)
    reason = why_not(state, person.id, event, directory, protocol)
    if reason == NOT_INVOLVED:
        return not_involved()
    if reason is not None:
        return render_text(
            "messages/not_yours.md.j2", reason=reason, action=VERBS.get(event, "do that to"), item_id=state.id,
            status=state.status.value, owner=_holder_words(directory, protocol, state),
            is_admin=Role.ADMIN in directory.roles_of(person.id),
        ).strip()
    return state, render_ctx(deps, directory, protocol)


def _holder_words(directory: Directory, protocol, state: ItemState) -> str:
    """Who has the item, for a refusal: a mention, or the tier it is offered to while nobody has taken it."""
    if state.owner_id is not None or not state.holders:
        return mention(directory, state.owner_id)
    return f"the {in_sentence(owner_role(directory, protocol, state))} tier (nobody has taken it yet)"


def act_now(deps: Deps, person: Person, item_id: int, event: EventKind, **fields: Any) -> str | None:
    """An action taken straight from a button (withdraw, pick a candidate). Returns the refusal, if any."""
    try:
        Service(deps).act(person, item_id=item_id, kind=event, **fields)
    except Refused as exc:
        return exc.message
    except NoSuchItem:
        return not_involved()
    return None


def pick(deps: Deps, person: Person, value: str) -> str | None:
    """The owner picked a ranked candidate ("item_id:person_id"). Returns the refusal, if any."""
    try:
        item_id, candidate_id = (as_id(x) for x in value.split(":", 1))
    except ValueError:
        log.warning("pick without item:candidate value")
        return error_text()
    return act_now(deps, person, item_id, EventKind.MATCHED, candidate_id=candidate_id)


def forward(deps: Deps, directory: Directory, person: Person, body: dict[str, Any]) -> dict | str:
    """*Send to facilitator* on a message a district person sent: the modal asking "a question or a training
    request?" (a question preselected, so it is one click), or what the member is told. A message too long to
    carry through the modal goes on at once as a question or request; its card can make it a training request."""
    message = body.get("message") or {}
    author = message.get("user")
    clicker = person.slack_id
    requester = _requester(directory, author, clicker)
    if isinstance(requester, str):
        return requester
    source = {"channel": (body.get("channel") or {}).get("id"), "ts": message.get("ts"),
              "permalink": permalink(body), "forwarded_by": clicker}
    text_of_message = message.get("text") or ""
    meta = json.dumps({**source, "requester": author, "text": text_of_message})
    if deps.protocols.current.training is not None and len(meta) <= MAX_METADATA:
        return forward_modal(render_ctx(deps, directory), author=requester, text=text_of_message, metadata=meta)
    return _forward(deps, directory, person, requester, ItemKind.DISTRICT, text_of_message, source, ())


def forward_submitted(deps: Deps, directory: Directory, person: Person, view: dict[str, Any]) -> Submission:
    """The shortcut's modal was sent: pass the message on as the kind chosen."""
    meta = metadata(view)
    requester = _requester(directory, meta.get("requester"), person.slack_id)
    if isinstance(requester, str):
        return Submission.says("Not sent", requester)
    kind = ItemKind.TRAINING if selected(view, Block.KIND) == ItemKind.TRAINING.value else ItemKind.DISTRICT
    source = {k: meta.get(k) for k in ("channel", "ts", "permalink", "forwarded_by")}
    text_of_message = str(meta.get("text") or "")
    topics = tuple(selected_many(view, Block.TOPICS)) if kind is ItemKind.TRAINING else ()
    return Submission.says("Sent", _forward(deps, directory, person, requester, kind, text_of_message, source,
                                            topics))


def _requester(directory: Directory, author: str | None, clicker: str | None) -> Person | str:
    """The district person whose message is passed on, or why it cannot be (a sentence)."""
    if not author or author == clicker:
        return _reply("forward_not_district", reason="own" if author == clicker else "bot")
    requester = directory.by_slack_id(author)
    if requester is None or not requester.active or not directory.districts_of_staff(requester.id):
        return _reply("forward_not_district", reason="not_staff", author=f"<@{author}>")
    return requester


def _forward(deps: Deps, directory: Directory, person: Person, requester: Person, kind: ItemKind, said: str,
             source: dict[str, Any], topics: tuple[str, ...]) -> str:
    try:
        state, created = Service(deps).forward(person, requester=requester, kind=kind, text=said, source=source,
                                               topics=topics)
    except Refused as exc:
        return exc.message
    ctx = render_ctx(deps, directory, deps.protocols.get(state.protocol_version))
    return _with_item("messages/forwarded.md.j2", state, ctx, created=created)


def permalink(body: dict[str, Any]) -> str | None:
    domain = (body.get("team") or {}).get("domain")
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    if not (domain and channel and ts):
        return None
    return f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _reply(template: str, **kw: Any) -> str:
    return render_text(f"messages/{template}.md.j2", **kw).strip()


def _with_item(template: str, state: ItemState, ctx: RenderContext, **kw: Any) -> str:
    return render_text(template, **common_context(state, ctx), who=lambda p: mention(ctx.directory, p),
                       when=lambda v: slack_date(v, ctx.timezone),
                       label=lambda r: ctx.protocol.label(Role(r)), **kw).strip()
