"""Each person's Slack time zone (users.info `tz`), which their working hours are read on (`bot.delivery.hours`).

Someone never asked is looked up on the job's next run (every 10 minutes, `NEW_PER_RUN` at a time); at night
(00:00-05:00 in the protocol's zone) everyone asked more than `REFRESH_AFTER` ago is asked again, `STALE_PER_RUN`
per run (about 3,000 a night: users.info is a Tier 4 method, 100+ calls a minute). Until Slack has answered, a
person's hours are read in the protocol's zone. A 429 or an unreachable Slack ends the run; the rest waits for the
next one. A changed zone bumps the directory version, so routing and every process see it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from store import people
from store.directory import bump_directory_version

log = logging.getLogger(__name__)

NEW_PER_RUN = 200
STALE_PER_RUN = 100
REFRESH_AFTER = timedelta(hours=20)
NIGHT_HOURS = range(0, 5)


@dataclass
class TimezoneStats:
    asked: int = 0
    changed: int = 0
    stopped: str = ""  # why the run ended early


def refresh_timezones(deps: Deps, now: datetime) -> TimezoneStats:
    night = now.astimezone(deps.protocols.current.timezone).hour in NIGHT_HOURS
    with deps.session() as session:
        todo = people.needing_tz(session=session, checked_before=None, limit=NEW_PER_RUN)
        if night and len(todo) < NEW_PER_RUN:
            todo += [p for p in people.needing_tz(session=session, checked_before=now - REFRESH_AFTER,
                                                  limit=STALE_PER_RUN) if p not in todo]
    stats = TimezoneStats()
    for person_id, slack_id in todo:
        try:
            user = deps.client.users_info(user=slack_id).get("user") or {}
            tz = user.get("tz") if isinstance(user.get("tz"), str) else None
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.get("error") == "ratelimited":
                stats.stopped = "rate limited"
                break
            tz = None  # user_not_found, account_inactive...: asked; their hours stay the protocol's
            log.info("users.info for person %s: %s", person_id, exc.response.get("error"))
        except Exception as exc:  # Slack unreachable: try again next run
            stats.stopped = type(exc).__name__
            break
        with deps.session(write=True) as session:
            if people.set_tz(session=session, person_id=person_id, tz=tz, now=deps.now()):
                stats.changed += 1
        stats.asked += 1
    if stats.changed:
        with deps.session(write=True) as session:
            bump_directory_version(session=session)
    if stats.stopped:
        log.warning("time zones: stopped after %d of %d (%s); the rest on the next run", stats.asked, len(todo),
                    stats.stopped)
    return stats
