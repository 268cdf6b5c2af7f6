"""One Slack account, several roster people: who is acting, when `cstbot roster try` has bound one account to a
person of each role (store.roster.trial).

The middleware asks `acting_person` once per request, only for such an account. The answer comes from the request
itself, most explicit first:

1. a view opened for one of them says so (`"as"` in its private_metadata: the Home tab, the ask and log modals),
   and the Home tab's *Viewing as* menu names one;
2. a click or submission about an item: the one the protocol lets take that action (its owner, a person asked for a
   trainer, its asker; an admin's powers last), as `routing.actions.who_may` decides;
3. the coaching log of a team: the one on that team (its facilitator first);
4. otherwise the kind of request decides by a table of role preferences (`/cst ask` asks as district staff, `/cst
   log` logs as the facilitator...).
"""

from __future__ import annotations

from typing import Any

from bot.coaching_log.service import parse_team_month
from bot.deps import Deps
from bot.ids import Action, Callback
from bot.items.cards import BUTTONS
from bot.items.flows import NOTE_SUBMISSIONS
from bot.items.service import NoSuchItem, Service
from bot.slack.format import roles_text
from bot.slack.forms import as_id, metadata
from routing.actions import who_may
from routing.directory import Directory, Person, Role
from routing.model import EventKind
from routing.protocol import Protocol

# What a click or a submission does to an item: action or callback id -> engine event.
ITEM_ACTIONS: dict[str, EventKind] = {action.value: event for event, (action, _, _) in BUTTONS.items()}
ITEM_ACTIONS[Action.PICK.value] = EventKind.MATCHED
ITEM_SUBMISSIONS: dict[str, EventKind] = {c.value: spec[3] for c, spec in NOTE_SUBMISSIONS.items()}
ITEM_SUBMISSIONS.update({Callback.REASSIGN.value: EventKind.REASSIGNED, Callback.OFFER.value: EventKind.OFFERED})
# The coaching log's team-scoped requests (their value or metadata names the team).
TEAM_ACTIONS = frozenset({Action.LOG_REVIEW.value, Action.LOG_REOPEN.value, Action.LOG_ENTRY_MENU.value})
TEAM_SUBMISSIONS = frozenset({Callback.LOG_SUBMIT.value, Callback.LOG_REOPEN.value})

ASKING = (Role.DISTRICT_STAFF, Role.MEMBER, Role.FACILITATOR, Role.LEAD, Role.MANAGEMENT, Role.ADMIN)
LOGGING = (Role.FACILITATOR, Role.MEMBER)
OWNING = (Role.FACILITATOR, Role.LEAD, Role.MEMBER, Role.DISTRICT_STAFF, Role.STATE_CONTACT, Role.MANAGEMENT,
          Role.ADMIN)
SHARING = (Role.MANAGEMENT, Role.LEAD, Role.STATE_CONTACT)
# Which role a request without a more precise answer is made in, most preferred first. A new feature whose
# command belongs to one role adds a line here (e.g. a lead's `/cst update`: (Role.LEAD,)).
PREFERENCES: dict[str, tuple[Role, ...]] = {
    "ask": ASKING,
    "train": ASKING,
    "log": LOGGING,
    Action.HOME_ASK.value: ASKING,
    Action.HOME_TRAIN.value: ASKING,
    Action.HOME_LOG.value: LOGGING,
    Callback.ASK.value: ASKING,
    Callback.TRAIN.value: ASKING,
    Callback.LOG.value: LOGGING,
    Callback.SEND_TO_FACILITATOR.value: (Role.MEMBER, Role.FACILITATOR),
    # The monthly loop: the lead's CST update, the management team's acknowledgement and minutes, the
    # facilitators' Got it and Share with my team.
    "update": (Role.LEAD,),
    Action.UPDATE_OPEN.value: (Role.LEAD,),
    Callback.UPDATE.value: (Role.LEAD,),
    Action.UPDATE_ACK.value: (Role.MANAGEMENT,),
    "minutes": (Role.MANAGEMENT,),
    Action.MINUTES_OPEN.value: (Role.MANAGEMENT,),
    Callback.MINUTES.value: (Role.MANAGEMENT,),
    Action.MINUTES_ACK.value: (Role.FACILITATOR,),
    Action.MINUTES_SHARE.value: (Role.FACILITATOR,),
    Callback.MINUTES_SHARE.value: (Role.FACILITATOR,),
    # `/cst share`: the management team, then the leads, then the state contacts.
    "share": SHARING,
    Action.SHARE_OPEN.value: SHARING,
    Callback.SHARE.value: SHARING,
}


def acting_person(deps: Deps, directory: Directory, people: tuple[Person, ...], body: dict[str, Any]) -> Person:
    """Which of the people one Slack account plays makes this request (see the module's docstring)."""
    by_id = {p.id: p for p in people}
    hinted = _hint(body)
    if hinted in by_id:
        return by_id[hinted]
    item = _item_request(body)
    if item is not None:
        acting = _for_item(deps, directory, by_id, *item)
        if acting is not None:
            return acting
    team_id = _team_request(body)
    if team_id is not None:
        on_team = [p for p in people if any(m.team_id == team_id for m in directory.index.memberships_of(p.id))]
        if on_team:
            return preferred(directory, on_team, LOGGING)
    return preferred(directory, people, PREFERENCES.get(_kind(body), OWNING))


def preferred(directory: Directory, people: list[Person] | tuple[Person, ...], order: tuple[Role, ...]) -> Person:
    """The first of `people` holding the first role of `order` someone holds; else the first of them."""
    for role in order:
        for person in people:
            if role in directory.index.roles_of(person.id):
                return person
    return people[0]


def label(directory: Directory, protocol: Protocol, person: Person) -> str:
    """'CST facilitator, Early East (Avery Lindqvist)': a person an account plays, for menus and modals."""
    return f"{roles_text(directory, protocol, person) or 'no role'} ({person.label})"


def played_with(directory: Directory, person: Person) -> tuple[Person, ...]:
    """Every active person the same Slack account plays (just `person` for a normal account)."""
    if not person.slack_id:
        return (person,)
    return tuple(p for p in directory.people_of_slack(person.slack_id) if p.active) or (person,)


# --- reading the request -------------------------------------------------------------------------------------


def _kind(body: dict[str, Any]) -> str:
    if body.get("command"):
        return str(body.get("text") or "").strip().split(" ", 1)[0].lower()
    actions = body.get("actions") or []
    if actions:
        return str(actions[0].get("action_id", ""))
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    return str(view.get("callback_id") or body.get("callback_id") or "")


def _hint(body: dict[str, Any]) -> int | None:
    """The person a request names explicitly: the Home tab's *Viewing as* choice, or a view opened for them."""
    for action in body.get("actions") or []:
        if action.get("action_id") == Action.HOME_AS.value:
            return _int((action.get("selected_option") or {}).get("value"))
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    return _int(metadata(view).get("as")) if view else None


def _item_request(body: dict[str, Any]) -> tuple[int, EventKind] | None:
    for action in body.get("actions") or []:
        event = ITEM_ACTIONS.get(action.get("action_id", ""))
        if event is not None:
            raw = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
            item_id = _int(str(raw).split(":", 1)[0])
            return (item_id, event) if item_id is not None else None
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    if view is not None and body.get("type") == "view_submission":
        event = ITEM_SUBMISSIONS.get(view.get("callback_id", ""))
        item_id = _int(metadata(view).get("item_id"))
        if event is not None and item_id is not None:
            return item_id, event
    return None


def _team_request(body: dict[str, Any]) -> int | None:
    for action in body.get("actions") or []:
        if action.get("action_id") in (Action.LOG_REVIEW.value, Action.LOG_REOPEN.value):
            parsed = parse_team_month(action.get("value", ""))
            return parsed[0] if parsed else None
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    actions = {a.get("action_id") for a in body.get("actions") or []}
    if view is not None and (view.get("callback_id") in TEAM_SUBMISSIONS or actions & TEAM_ACTIONS):
        return _int(metadata(view).get("team_id"))
    return None


def _for_item(deps: Deps, directory: Directory, by_id: dict[int, Person], item_id: int,
              event: EventKind) -> Person | None:
    try:
        state = Service(deps).read(item_id)
    except NoSuchItem:
        return None  # the listener says the item is gone
    chosen = who_may(state, event, by_id, directory, deps.protocols.get(state.protocol_version))
    return by_id.get(chosen) if chosen is not None else None


def _int(value: Any) -> int | None:
    try:
        return as_id(value)
    except ValueError:
        return None
