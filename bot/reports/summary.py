"""Posting the monthly summary to Slack: the summaries channels, and each active team's facilitator by DM.

Seed 003: the logs "will be compiled into MMD summaries for DESE Learning Services, RPDC Directors, and Area
Supervisors" (the channels with purpose `summaries`) and the summaries are shared with the CSTs (each active
team's facilitator, who passes it on to the team).

Each recipient gets one mrkdwn message (chat.postMessage) and then the workbook and the chart as files
(files_upload_v2: files.getUploadURLExternal, an upload per file, files.completeUploadExternal into the
message's channel). A DM is addressed by user id: chat.postMessage opens the app's DM with the user and answers
with its channel id (D...), which is what files.completeUploadExternal needs (it refuses user ids).

Posting is idempotent per (summary, month, recipient) through `scheduled_delivery`'s unique key
(kind="monthly_summary", period=month, recipient=channel id or Slack user id): the row is claimed before
posting (a second run, or a second process at the same moment, sees it and posts nothing) and released if
Slack refuses, so the next run tries that recipient again. `force=True` posts again regardless.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.reports.chart import summary_chart
from bot.reports.workbook import summary_xlsx
from routing.directory import Directory, Role
from store import deliveries
from store.db import session_scope
from store.summary import Summary
from store.types import utcnow
from templates import render_text

KIND = "monthly_summary"
MESSAGE_BUDGET = 3_000  # a readable message (and one section's worth); past it, totals only + the workbook
LIST_LIMITS = (25, 10)  # team names listed per log status in the short form, tried in turn
POSTED, ALREADY, FAILED = "posted", "already posted", "failed"


@dataclass(frozen=True)
class Recipient:
    key: str  # the scheduled_delivery recipient: channel id or Slack user id ("" when unreachable)
    label: str  # for the command's output
    channel: str  # chat.postMessage target: a channel id, or a user id for a DM
    team_ids: tuple[int, ...] = ()  # a facilitator's teams (their message says how their log counted)
    problem: str | None = None  # why the recipient cannot be reached


@dataclass(frozen=True)
class Outcome:
    recipient: Recipient
    status: str  # posted | already posted | failed
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAILED


@dataclass(frozen=True)
class Attachment:
    path: Path
    filename: str
    title: str


def recipients(*, directory: Directory, channels: Iterable[str]) -> list[Recipient]:
    """The summaries channels, then every active team's active facilitator (once, with all their teams), then the
    support team (on no team, their advisory resources span all teams: they get the summaries like the CSTs)."""
    found = [Recipient(key=c, label=f"channel {c}", channel=c) for c in dict.fromkeys(channels)]
    teams_of: dict[int, list[int]] = {}
    for team in directory.active_teams():
        for person in directory.index.facilitators_of(team.id):
            teams_of.setdefault(person.id, []).append(team.id)
    for person_id, team_ids in teams_of.items():
        person = directory.people[person_id]
        names = ", ".join(directory.teams[t].name for t in team_ids)
        label = f"{person.label} (facilitator of {names})"
        if not person.slack_id:
            found.append(Recipient("", label, "", tuple(team_ids), "no Slack user id in the roster"))
        else:
            found.append(Recipient(person.slack_id, label, person.slack_id, tuple(team_ids)))
    for person in directory.index.holders(Role.SUPPORT):
        if person.id in teams_of:
            continue
        label = f"{person.label} (support team)"
        if not person.slack_id:
            found.append(Recipient("", label, "", (), "no Slack user id in the roster"))
        else:
            found.append(Recipient(person.slack_id, label, person.slack_id))
    return found


def render_message(summary: Summary, *, team_ids: Sequence[int] = (), budget: int = MESSAGE_BUDGET) -> str:
    """The mrkdwn message: every team listed when it fits in `budget`, else totals and pointers to the files."""
    mine = [s for s in summary.submissions if s.team_id in set(team_ids)]
    text = render_text("reports/summary.md.j2", s=summary, detail=True, list_limit=LIST_LIMITS[0], mine=mine,
                       attached=True).strip()
    for limit in LIST_LIMITS:
        if len(text) <= budget:
            break
        text = render_text("reports/summary.md.j2", s=summary, detail=False, list_limit=limit, mine=mine,
                           attached=True).strip()
    return text


def post_summary(
    *,
    engine: Engine,
    client,
    summary: Summary,
    to: Sequence[Recipient],
    attachments: Sequence[Attachment],
    force: bool = False,
) -> list[Outcome]:
    """Post to every recipient; one failing does not stop the others. Returns one Outcome per recipient."""
    outcomes = []
    for r in to:
        if r.problem:
            outcomes.append(Outcome(r, FAILED, r.problem))
            continue
        claimed = _claim(engine, summary.month, r.key, force=force)
        if claimed is None:
            outcomes.append(Outcome(r, ALREADY))
            continue
        try:
            _send(client, summary, r, attachments)
        except AttachmentsFailed as exc:  # the message is there: keep the claim, report the missing files
            outcomes.append(Outcome(r, FAILED, f"message posted, attachments not: {_reason(exc.cause)}"))
            continue
        except Exception as exc:  # noqa: BLE001 - reported per recipient; the others still get theirs
            if claimed:
                _release(engine, summary.month, r.key)
            outcomes.append(Outcome(r, FAILED, _reason(exc)))
            continue
        outcomes.append(Outcome(r, POSTED))
    return outcomes


def _claim(engine: Engine, month: str, key: str, *, force: bool) -> bool | None:
    """True: this run claimed the delivery. False: it existed and `force` posts again. None: already posted."""
    with session_scope(engine, write=True) as session:
        claimed = deliveries.claim(session=session, kind=KIND, period=month, recipient=key, now=utcnow())
    if claimed is not None:
        return True
    return False if force else None


def _release(engine: Engine, month: str, key: str) -> None:
    with session_scope(engine, write=True) as session:
        deliveries.release(session=session, kind=KIND, period=month, recipient=key)


def _send(client, summary: Summary, r: Recipient, attachments: Sequence[Attachment]) -> None:
    text = render_message(summary, team_ids=r.team_ids)
    response = client.chat_postMessage(channel=r.channel, text=text, unfurl_links=False, unfurl_media=False)
    if not attachments:
        return
    channel_id = response.get("channel") or r.channel  # a DM's D... id: file uploads refuse user ids
    try:
        client.files_upload_v2(
            channel=channel_id,
            file_uploads=[{"file": str(a.path), "filename": a.filename, "title": a.title} for a in attachments],
            initial_comment=f"Workbook and chart for the {summary.month_label} coaching interaction summary.",
        )
    except Exception as exc:
        raise AttachmentsFailed(exc) from exc


class AttachmentsFailed(Exception):
    """The message was posted but its files were not: posting again would repeat the message."""

    def __init__(self, cause: Exception) -> None:
        self.cause = cause
        super().__init__(str(cause))


def _reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            error = response.get("error")
        except AttributeError:
            error = None
        if error:
            return str(error)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def share_summary(*, engine: Engine, client, summary: Summary, directory: Directory, channels: Sequence[str],
                  force: bool = False, now_for: Callable[[Recipient], bool] | None = None) -> list[Outcome]:
    """Post the summary with its workbook and chart to the summary channels and every team's facilitator.

    Used by `cstbot summary --post` and by the scheduler's monthly job; each recipient gets it once per month.
    `now_for`: whether a recipient may get it now (the job: a person outside their working hours gets it on a
    later run, in their working hours; channels always may).
    """
    to = [r for r in recipients(directory=directory, channels=channels) if now_for is None or now_for(r)]
    if not to:
        return []
    with tempfile.TemporaryDirectory(prefix="cstbot-summary-") as tmp:
        stem = f"coaching-summary-{summary.month}"
        attachments = [
            Attachment(summary_xlsx(summary, Path(tmp) / f"{stem}.xlsx"), f"{stem}.xlsx",
                       f"Coaching interaction summary, {summary.month_label} (workbook)"),
            Attachment(summary_chart(summary, Path(tmp) / f"{stem}.png"), f"{stem}.png",
                       f"Coaching interactions by type per team, {summary.month_label}"),
        ]
        return post_summary(engine=engine, client=client, summary=summary, to=to, attachments=attachments,
                            force=force)
