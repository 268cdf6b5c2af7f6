"""One reminder to N people at Slack's pace: the real outbox and `cstbot worker` processes on PostgreSQL against
the Slack stand-in enforcing a rate limit with 429 + Retry-After, with injected 500s and timeouts.

    python bench/fanout.py                              # 10,000 recipients, 1 then 2 workers (~6 min)
    python bench/fanout.py --recipients 100000 --dispatchers 2
    python bench/fanout.py --rate 100 --faults 0.01 --slack-latency 0

What runs, per dispatcher count, on a database of its own (`faults_<random>`, created and dropped):

1. The schema is migrated and the e2e roster imported; `--dispatchers` `cstbot worker` processes start (each: the
   outbox dispatcher with its 8 lanes, and the scheduler) and wait idle.
2. One reminder (the reminder card, rendered once from `templates/cards/reminder.json.j2`) is queued to N
   recipients in the outbox (`store.outbox.enqueue_many`, one transaction), each a DM to its own Slack user id.
   The clock starts at that commit.
3. The stand-in (in this process) enforces on chat.postMessage a token bucket of `--rate` calls a second holding
   `--burst` (default one second's worth), answering 429 with Retry-After in whole seconds as Slack does, and
   answers `--faults` of the calls (default 1%) half with HTTP 500 (nothing posted) and half by hanging past the
   worker's 10 s client timeout while posting the message (the dispatcher must look in the DM's history before
   sending again). conversations.history is held to Slack's Tier 3 (50 a minute).
4. When the outbox has nothing pending or claimed (or `--limit` seconds passed), the messages in Slack are counted
   by the outbox row their metadata names.

Printed, each on its own line: `delivered`, `lost` (recipients without the message, failed rows included),
`duplicates` (messages beyond the first for one outbox row), `allowed rate` (the bucket's rate),
`achieved rate` (delivered / seconds from the queue's commit to the last message's arrival), `efficiency`
(delivered / the most the bucket lets through in that time: burst + rate x seconds), and `last message after`.

The rate models Slack's: chat.postMessage allows about one message a second per channel (a DM is a channel of its
own, so N DMs are not limited by that) with a workspace-wide ceiling the docs leave unstated ("several hundred
a minute"); 100/s keeps a 10,000 run to minutes. Targets (issue 13): 0 lost, 0 duplicates, efficiency >= 90%,
with 1 and with 2 workers. Nothing is asserted: the figures are printed beside the targets.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.faults import BOT_TOKEN, SECRET, Database, Proc, _stop  # noqa: E402
from bot.delivery.dispatcher import METADATA_EVENT  # noqa: E402
from bot.demo.standin import SlackStandIn  # noqa: E402
from store import outbox  # noqa: E402
from store.db import make_engine  # noqa: E402
from templates import render_json  # noqa: E402

DEFAULT_PG = os.environ.get("CSTBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLIENT_TIMEOUT = 10.0  # bot.slack.client.make_client's default, which `cstbot worker` uses
EFFICIENCY_TARGET = 0.90


def recipients(n: int) -> list[str]:
    return [f"UFAN{i:07d}" for i in range(n)]


def queue(url: str, users: list[str]) -> None:
    """One reminder to every user, as `bot.delivery.reminders` renders it, in one transaction."""
    text_ = "*Your coaching log for November is due Friday*\nIt takes about ten minutes: open it from your Home tab."
    blocks = render_json("cards/reminder.json.j2", text=text_, button=None, addressed_to="")
    rows = [outbox.new_row(method="chat.postMessage",
                           payload={"channel": u, "text": "Your coaching log for November is due Friday",
                                    "blocks": blocks},
                           dedupe_key=f"bench-fanout:{u}")
            for u in users]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for start in range(0, len(rows), 5000):
                outbox.enqueue_many(rows[start:start + 5000], session=session, now=datetime.now(UTC))
            session.commit()
    finally:
        engine.dispose()


def unsettled(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("select count(*) from outbox where status in ('pending', 'sending')"))
                       .scalar_one())
    finally:
        engine.dispose()


def outcome(url: str) -> tuple[dict[int, str], int, int]:
    """Outbox id -> recipient of every row; how many rows failed; how many were found in a DM's history."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select id, payload->>'channel', status, result->>'found_in_history' "
                                     "from outbox where method = 'chat.postMessage'")).all()
    finally:
        engine.dispose()
    return ({r[0]: r[1] for r in rows}, sum(1 for r in rows if r[2] == "failed"),
            sum(1 for r in rows if r[3] == "true"))


def wait_ready(workers: list[Proc], limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while not all("outbox dispatcher and scheduler running" in w.log() for w in workers):
        if time.monotonic() > deadline or any(w.proc is not None and w.proc.poll() is not None for w in workers):
            raise RuntimeError("cstbot worker did not start:\n" + "\n".join(w.log()[-2000:] for w in workers))
        time.sleep(0.2)
    time.sleep(1.5)  # past the first idle poll, so no worker is in the middle of starting up


def run(args: argparse.Namespace, dispatchers: int, tmp: Path) -> dict:
    users = recipients(args.recipients)
    burst = args.burst if args.burst is not None else args.rate
    latency = args.slack_latency / 1000
    slack = SlackStandIn(latency={"chat.postMessage": latency, "conversations.history": latency,
                                  "conversations.open": latency} if latency else 0.0)
    slack.start()
    try:
        slack.rate_limit("chat.postMessage", per_second=args.rate, burst=burst)
        slack.rate_limit("conversations.history", 50)  # Slack's Tier 3
        slack.chaos("chat.postMessage", p_error=args.faults / 2, p_hang=args.faults / 2, hang=CLIENT_TIMEOUT + 2,
                    seed=13)
        with Database(args.pg, needed=dispatchers * 16 + 4) as db:
            db.prepare()
            env = {**os.environ, "DATABASE_URL": db.url, "SLACK_BOT_TOKEN": BOT_TOKEN,
                   "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.base_url, "PYTHONPATH": str(ROOT)}
            home = tmp / f"fanout-{dispatchers}"
            home.mkdir(parents=True, exist_ok=True)
            workers = [Proc(f"worker{i + 1}", ["worker"], env, home).start() for i in range(dispatchers)]
            try:
                wait_ready(workers)
                t0 = time.time()
                queue(db.url, users)
                queued = time.time() - t0
                print(f"  queued {len(users):,} rows in {queued:.1f} s; sending...", flush=True)
                deadline = time.monotonic() + args.limit
                last_report = time.monotonic()
                while (left := unsettled(db.url)) and time.monotonic() < deadline:
                    if time.monotonic() - last_report > 15:
                        print(f"  {time.time() - t0:5.0f} s: {left:,} rows to go", flush=True)
                        last_report = time.monotonic()
                    time.sleep(0.5)
                settled_after = time.time() - t0
                rows, failed, found = outcome(db.url)
            finally:
                for w in workers:
                    w.stop()
            logs = "\n".join(w.log() for w in workers)
    finally:
        slack.release_held()
        calls = slack.calls_to("chat.postMessage")
        messages = slack.messages()
        slack.stop()

    per_row: Counter = Counter()
    arrivals: list[float] = []
    for m in messages:
        meta = m.get("metadata") or {}
        if meta.get("event_type") == METADATA_EVENT:
            per_row[int(meta["event_payload"]["outbox_id"])] += 1
            arrivals.append(float(m["ts"]))
    delivered_to = {rows[i] for i in per_row if i in rows}
    delivered = len(delivered_to & set(users))
    seconds = (max(arrivals) - t0) if arrivals else float("nan")
    allowed_in_time = burst + args.rate * seconds
    faults = Counter(c.fault or str(c.status) for c in calls)
    return {
        "dispatchers": dispatchers,
        "delivered": delivered,
        "lost": len(users) - delivered,
        "duplicates": sum(n - 1 for n in per_row.values()),
        "allowed": args.rate,
        "burst": burst,
        "achieved": delivered / seconds if arrivals else 0.0,
        "efficiency": delivered / allowed_in_time if arrivals else 0.0,
        "last": seconds,
        "settled": settled_after,
        "ideal": max(len(users) - burst, 0) / args.rate,
        "failed": failed,
        "found": found,
        "calls": len(calls),
        "r429": sum(1 for c in calls if c.status == 429),
        "r500": sum(1 for c in calls if c.status == 500),
        "timeouts": faults.get("timeout", 0),
        "errors_logged": logs.count(" ERROR "),
        "left": unsettled_note(settled_after, args.limit),
    }


def unsettled_note(settled_after: float, limit: float) -> str:
    return "" if settled_after < limit else f" (NOT settled within --limit {limit:.0f} s: the rest counts as lost)"


def report(r: dict) -> None:
    ok = r["lost"] == 0 and r["duplicates"] == 0 and r["efficiency"] >= EFFICIENCY_TARGET
    print(f"\n== {r['dispatchers']} dispatcher process{'es' if r['dispatchers'] > 1 else ''} "
          f"(cstbot worker){r['left']}")
    print(f"delivered: {r['delivered']}")
    print(f"lost: {r['lost']}")
    print(f"duplicates: {r['duplicates']}")
    print(f"allowed rate: {r['allowed']:.0f}/s")
    print(f"achieved rate: {r['achieved']:.1f}/s")
    print(f"efficiency: {100 * r['efficiency']:.1f}%")
    print(f"last message after: {r['last']:.1f} s (at the allowed rate: {r['ideal']:.1f} s after the "
          f"{r['burst']:.0f}-call burst)")
    print(f"  chat.postMessage calls {r['calls']:,}: {r['r429']:,} answered 429, {r['r500']} 500, "
          f"{r['timeouts']} timeouts; {r['found']} rows found in history after a timeout (not sent again); "
          f"{r['failed']} rows failed; {r['errors_logged']} ERROR log lines")
    print(f"  targets: 0 lost, 0 duplicates, efficiency >= {EFFICIENCY_TARGET:.0%}: {'MET' if ok else 'NOT MET'}")
    if r["r429"] == 0:
        print("  no call met the rate limit: the workers never reached the allowed rate (they were the bottleneck, "
              "not Slack's limit)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--dispatchers", default="1,2", help="worker processes, one run per count (default 1,2)")
    parser.add_argument("--rate", type=float, default=100.0, help="allowed chat.postMessage calls a second")
    parser.add_argument("--burst", type=float, default=None, help="calls the bucket holds (default: --rate)")
    parser.add_argument("--faults", type=float, default=0.01, help="share of calls answered 500 or hung (1%%)")
    parser.add_argument("--slack-latency", type=float, default=0.0, metavar="MS",
                        help="the stand-in's time to answer (Slack: ~150 ms; default 0)")
    parser.add_argument("--limit", type=float, default=None, help="seconds to wait for the outbox to settle")
    parser.add_argument("--pg", default=DEFAULT_PG, metavar="URL")
    args = parser.parse_args(argv)
    if args.limit is None:
        args.limit = 3 * args.recipients / args.rate + 120
    counts = [int(x) for x in args.dispatchers.split(",") if x.strip()]
    for sig in (signal.SIGTERM, signal.SIGINT):  # stopped: the workers stop and the database is dropped
        signal.signal(sig, _stop)
    print(f"fanout: one reminder to {args.recipients:,} recipients; chat.postMessage limited to {args.rate:.0f}/s "
          f"(burst {args.burst or args.rate:.0f}); {args.faults:.1%} of calls 500 or hung past the "
          f"{CLIENT_TIMEOUT:.0f} s "
          f"client timeout; stand-in latency {args.slack_latency:.0f} ms", flush=True)
    with tempfile.TemporaryDirectory(prefix="cstbot-fanout-") as tmp:
        for n in counts:
            print(f"\nrunning with {n} dispatcher process(es)...", flush=True)
            report(run(args, n, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
