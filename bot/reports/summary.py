"""The monthly summary's delivery: to every audience, the summaries channels and the CSTs, through the outbox.

Seed 003: the logs "will be compiled into MMD summaries for DESE Learning Services, RPDC Directors, and Area
Supervisors", and "Written data summaries shared with [them] will also be shared with CSTs". Who gets it is
`routing.audiences.readers`: the summaries channels, each audience's channels, the audiences' members by DM (an
RPDC director's and an area supervisor's copy opens with their own districts), every facilitator, every team
member (the protocol's `reporting.summary.share_with: teams`, the default) and the support team.

A sending is an *edition* (`summary_edition`, unique per month and revision): revision 0 once the logs are due,
one more each business morning after a late log arrived (a team submitting, or submitting again after a reopen,
a month whose summary went out), sent to the same readers and saying what changed. In the edition's transaction
each reader gets two outbox rows in one lane (the message, then the workbook and chart as one `files.upload`),
written with one INSERT; the files are stored once (`outbox_blob`). The dispatcher sends them: a Slack outage
delays them and never loses or doubles them. Delivery keys are unique per month, revision and reader
(`summary:2026-03:r0:U123` and `...:files`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.delivery import hours as working_hours
from bot.delivery.dispatcher import files_upload_payload
from bot.reports.chart import summary_chart
from bot.reports.workbook import summary_xlsx
from routing.audiences import Reader, Scope, readers
from routing.directory import Directory
from routing.protocol import AUDIENCE_KEYS, Protocol
from store import editions
from store import outbox as outbox_repo
from store.db import session_scope
from store.directory import ChannelPurpose, load_channels
from store.summary import Summary, compile_summary, scoped
from templates import render_text

MESSAGE_BUDGET = 3_000  # a readable message (and one section's worth); past it, totals only + the workbook
LIST_LIMITS = (25, 10)  # team names listed per log status in the short form, tried in turn
QUEUED, ALREADY, FAILED = "queued", "already sent", "failed"


@dataclass(frozen=True)
class Outcome:
    recipient: Reader
    status: str  # queued | already sent | failed
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAILED


@dataclass(frozen=True)
class Edition:
    month: str
    revision: int
    changes: tuple[str, ...]
    outcomes: list[Outcome]


def render_message(summary: Summary, *, team_ids: Sequence[int] = (), scopes: Sequence[Scope] = (),
                   changes: Sequence[str] = (), budget: int = MESSAGE_BUDGET) -> str:
    """The mrkdwn message: what changed (a revision), the reader's own districts (a scope), then the whole state,
    every team listed when it fits in `budget`, else totals and pointers to the files."""
    mine = [s for s in summary.submissions if s.team_id in set(team_ids)]
    areas = [scoped(summary, s.label, s.district_ids, s.team_ids) for s in scopes]
    context = {"s": summary, "mine": mine, "areas": areas, "changes": list(changes), "attached": True}
    text = render_text("reports/summary.md.j2", detail=True, list_limit=LIST_LIMITS[0], **context).strip()
    for limit in LIST_LIMITS:
        if len(text) <= budget:
            break
        text = render_text("reports/summary.md.j2", detail=False, list_limit=limit, **context).strip()
    return text


def attachments(summary: Summary) -> list[tuple[str, str, bytes]]:
    """The workbook and the chart: (filename, title, content)."""
    stem = f"coaching-summary-{summary.month}"
    with tempfile.TemporaryDirectory(prefix="cstbot-summary-") as tmp:
        xlsx = summary_xlsx(summary, Path(tmp) / f"{stem}.xlsx")
        png = summary_chart(summary, Path(tmp) / f"{stem}.png")
        return [
            (f"{stem}.xlsx", f"Coaching interaction summary, {summary.month_label} (workbook)", xlsx.read_bytes()),
            (f"{stem}.png", f"Coaching interactions by type per team, {summary.month_label}", png.read_bytes()),
        ]


def figures_of(summary: Summary) -> dict[str, Any]:
    """What each team's log counted in this edition (a later revision says what changed)."""
    by_team = {t.team_id: t for t in summary.teams}
    out: dict[str, Any] = {}
    for s in summary.submissions:
        line = by_team.get(s.team_id)
        out[str(s.team_id)] = {
            "team": s.team,
            "submitted_at": s.submitted_at.isoformat() if s.submitted_at and s.status != "missing" else None,
            "n": line.tally.total if line else 0,
            "minutes": line.tally.total_minutes if line else 0,
        }
    return out


def late_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """'Team X's log arrived: +12 interactions, +6.5 hours', one line per team whose log was submitted (again)
    since `before`, in the order of `after` (natural team name order)."""
    lines = []
    for team_id, now in after.items():
        then = before.get(team_id) or {"submitted_at": None, "n": 0, "minutes": 0}
        if now["submitted_at"] is None or now["submitted_at"] == then["submitted_at"]:
            continue
        what = "arrived" if then["submitted_at"] is None else "was submitted again"
        n, hours = now["n"] - then["n"], (now["minutes"] - then["minutes"]) / 60
        lines.append(f"{now['team']}'s log {what}: {n:+d} interaction{'' if abs(n) == 1 else 's'}, "
                     f"{hours:+.1f} hours")
    return lines


def _reader_json(r: Reader) -> dict[str, Any]:
    return {"key": r.key, "label": r.label, "kinds": list(r.kinds), "person_id": r.person_id,
            "team_ids": list(r.team_ids),
            "scopes": [{"label": s.label, "district_ids": list(s.district_ids), "team_ids": list(s.team_ids)}
                       for s in r.scopes]}


def _reader(data: dict[str, Any]) -> Reader:
    return Reader(data["key"], data["label"], tuple(data["kinds"]), data.get("person_id"),
                  tuple(data.get("team_ids") or ()),
                  tuple(Scope(s["label"], tuple(s["district_ids"]), tuple(s["team_ids"])) for s in data["scopes"]))


def everyone(*, session: Session, directory: Directory, protocol: Protocol) -> list[Reader]:
    """Who the month's summary goes to now (routing.audiences.readers, from the roster's channels)."""
    by_purpose: dict[str, list[str]] = {}
    for c in load_channels(session=session):
        by_purpose.setdefault(c.purpose, []).append(c.channel_id)
    return readers(directory, summaries=tuple(by_purpose.get(ChannelPurpose.SUMMARIES.value, ())),
                   audience_channels={a: tuple(by_purpose.get(a, ())) for a in AUDIENCE_KEYS},
                   share_with=protocol.reporting.summary_share_with)


def send_edition(*, session: Session, summary: Summary, to: Sequence[Reader], revision: int,
                 changes: Sequence[str] = (), files: Sequence[tuple[str, str, bytes]], now: datetime,
                 protocol: Protocol, directory: Directory) -> Edition:
    """Record the edition and queue its messages and files, in the caller's transaction. An edition that
    exists already queues nothing (every reader: already sent). A person's message and files wait together for
    their working hours (`bot.delivery.hours`); channels are not held. Every reader is recorded at once, so a
    revision reaches the same people."""
    added = editions.add(session=session, month=summary.month, revision=revision, figures=figures_of(summary),
                         recipients=[_reader_json(r) for r in to], changes=list(changes), now=now)
    if added is None:
        return Edition(summary.month, revision, tuple(changes), [Outcome(r, ALREADY) for r in to])
    blobs = [(name, title, outbox_repo.store_blob(session=session, content=content, now=now))
             for name, title, content in files]
    comment = f"Workbook and chart for the {summary.month_label} coaching interaction summary."
    rows, outcomes = [], []
    for r in to:
        if not r.key:
            outcomes.append(Outcome(r, FAILED, "no Slack user id in the roster"))
            continue
        key = f"summary:{summary.month}:r{revision}:{r.key}"
        text = render_message(summary, team_ids=r.team_ids, scopes=r.scopes, changes=changes)
        person = directory.person(r.person_id) if r.person_id is not None else None
        held = working_hours.hold(protocol, person, now)
        rows.append({"method": "chat.postMessage", "dedupe_key": key, "lane": key, "held_until": held,
                     "payload": {"channel": r.key, "text": text, "unfurl_links": False, "unfurl_media": False}})
        if blobs:
            rows.append({"method": "files.upload", "dedupe_key": f"{key}:files", "lane": key, "held_until": held,
                         "payload": files_upload_payload(r.key, blobs, comment)})
        outcomes.append(Outcome(r, QUEUED))
    outbox_repo.enqueue_many(session=session, rows=rows, now=now)
    return Edition(summary.month, revision, tuple(changes), outcomes)


def share_summary(*, engine: Engine, protocol: Protocol, directory: Directory, month: str, now: datetime,
                  force: bool = False) -> Edition:
    """The month's summary to everyone, once (`force`: a new revision to everyone again). Used by `cstbot summary
    --post` and by the scheduler's monthly job."""
    with session_scope(engine, write=True) as session:
        last = editions.latest(session=session, month=month)
        if last is not None and not force:
            return Edition(month, last.revision, tuple(last.changes),
                           [Outcome(_reader(r), ALREADY) for r in last.recipients])
        summary = compile_summary(session=session, month=month, protocol=protocol, directory=directory)
        to = everyone(session=session, directory=directory, protocol=protocol)
        return send_edition(session=session, summary=summary, to=to, revision=0 if last is None else last.revision + 1,
                            files=attachments(summary), now=now, protocol=protocol, directory=directory)


def revise_summaries(*, engine: Engine, protocol: Protocol, directory: Directory, since: str,
                     now: datetime) -> list[Edition]:
    """A revised summary for every month from `since` whose summary went out and where a team's log was
    submitted (again) since: to the same readers, saying what changed, once per revision."""
    sent = []
    with session_scope(engine) as session:
        newest = editions.latest_per_month(session=session, since=since)
        late = [e.month for e in newest if _late(session, e)]
    for month in late:
        with session_scope(engine, write=True) as session:
            last = editions.latest(session=session, month=month)
            if last is None or not _late(session, last):  # another process sent it meanwhile
                continue
            summary = compile_summary(session=session, month=month, protocol=protocol, directory=directory)
            changes = late_changes(last.figures, figures_of(summary))
            to = [_reader(r) for r in last.recipients]
            sent.append(send_edition(session=session, summary=summary, to=to, revision=last.revision + 1,
                                     changes=changes, files=attachments(summary), now=now, protocol=protocol,
                                     directory=directory))
    return sent


def _late(session: Session, edition: Any) -> bool:
    """Whether a team's log of the edition's month was submitted after the edition counted it."""
    figures = edition.figures
    for team_id, at in editions.submitted_logs(session=session, month=edition.month).items():
        then = (figures.get(str(team_id)) or {}).get("submitted_at")
        if at is None:
            continue
        if then is None or datetime.fromisoformat(then) != at:
            return True
    return False

