"""*Quiet until* on the Home tab: a person away (holiday, leave) says until when. Routing treats them as away until
then (the vacancy rules: the protocol's next person takes new requests), and pushes to them wait for the working
morning after it (`bot.delivery.hours`). Stored on the person (`store.people`), never touched by a roster import.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.deps import Deps
from bot.ids import Block, Callback
from bot.slack import forms
from bot.slack.replies import Submission
from routing.directory import Person
from store import people
from templates import render_json

MAX_AHEAD = timedelta(days=366)  # a year of leave at most: a typo in the year is caught


def current(deps: Deps, session, person: Person) -> date | None:
    """The person's own "quiet until", if it is not over yet."""
    until = people.quiet_until(session=session, person_id=person.id)
    today = deps.now().astimezone(deps.protocols.current.timezone).date()
    return until if until is not None and until >= today else None


def view(deps: Deps, person: Person) -> dict[str, Any]:
    with deps.session() as session:
        until = current(deps, session, person)
    return render_json("modals/quiet.json.j2", callback_id=Callback.QUIET.value, block_id=Block.QUIET_UNTIL.value,
                       until=until.isoformat() if until else None, words=deps.protocols.current.words(),
                       acting=person.id)


def submit(deps: Deps, person: Person, submitted: dict[str, Any]) -> Submission:
    raw = forms.picked_date(submitted, Block.QUIET_UNTIL.value)
    now = deps.now()
    today = now.astimezone(deps.protocols.current.timezone).date()
    try:
        until = date.fromisoformat(raw) if raw else None
    except ValueError:
        return Submission(errors={Block.QUIET_UNTIL.value: "That is not a date: pick one from the calendar."})
    if until is not None and until < today:
        return Submission(errors={Block.QUIET_UNTIL.value: "That day is over: pick today or a later day, or leave "
                                                            "it empty to be back now."})
    if until is not None and until > today + MAX_AHEAD:
        return Submission(errors={Block.QUIET_UNTIL.value: "That is more than a year away: check the year, or ask "
                                                            "an admin to mark you away in the roster."})
    with deps.session(write=True) as session:
        if not people.set_quiet_until(session=session, person_id=person.id, until=until, now=now):
            return Submission(errors={Block.QUIET_UNTIL.value: "You are not in the roster any more, so this was not "
                                                                "saved. Ask an admin."})
    return Submission(clear=True)
