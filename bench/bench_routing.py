"""Routing decisions per second for the pure engine, with baselines measured in the same run.

    python bench/bench_routing.py [--decisions 20000] [--repeat 5] [--protocol FILE]

The organisation is one state's size ("Missouri Implementation Zones", 2020): 150 districts, 12 teams of 5
(60 providers), 9 regional centers, 2 leads, 4 management team members, 3 state contacts. The workload is a
mix of what a day brings: new questions, district and training requests, passed deadlines, reminders,
escalations and answers. Each (state, event) pair is prepared first; the timed loop only calls `decide`.
Baselines, per decision:

- lookups: the directory lookups a decision needs (the asker's roles, the team's facilitator, the leads, the
  owner), as bare calls: what any routing code must pay before deciding anything;
- json: the item state's JSON round trip (to_dict, dumps, loads, from_dict): what the shell pays to store and
  load the item around each decision.

Figures are printed, never asserted: one run, one machine. Target: over 20,000 decisions/s on one core.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing import Directory, Event, EventKind, ItemKind, ItemState, Refused, decide, load_protocol  # noqa: E402
from routing.directory import District, Membership, NetworkRole, Person, Role, Team  # noqa: E402

CENTERS = [f"Center {i} RPDC" for i in range(1, 10)]
EXPERTISE = ["Data", "Leadership", "Assessment", "Technology", "Special Education", "Academics"]
START = datetime(2024, 4, 8, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def build_directory(rng: random.Random) -> Directory:
    people: list[Person] = []
    memberships: list[Membership] = []
    roles: list[NetworkRole] = []

    def person(away: bool = False) -> int:
        pid = len(people) + 1
        people.append(
            Person(
                pid,
                f"Person {pid}",
                f"p{pid}@example.org",
                f"U{pid:05d}",
                away_until=date(2024, 4, 20) if away else None,
            )
        )
        return pid

    teams = [Team(100 + t, f"Team {t + 1}", zone=["Early", "Developing"][t % 2]) for t in range(12)]
    for team in teams:
        for position in range(5):
            memberships.append(
                Membership(
                    person(away=rng.random() < 0.05),
                    team.id,
                    Role.FACILITATOR if position == 0 else Role.MEMBER,
                    frozenset(rng.sample(EXPERTISE, 2)),
                    round(rng.uniform(0.2, 1.0), 1),
                    round(rng.uniform(0.0, 0.6), 1),
                    rng.choice(CENTERS),
                    round(rng.uniform(0.4, 1.0), 1),
                )
            )
    districts = [
        District(
            1000 + d,
            f"District {d}",
            teams[d % len(teams)].id,
            center=rng.choice(CENTERS),
            staff=tuple(person() for _ in range(rng.randint(1, 2))),
        )
        for d in range(150)
    ]
    for role, count in ((Role.LEAD, 2), (Role.MANAGEMENT, 4), (Role.STATE_CONTACT, 3), (Role.ADMIN, 1)):
        for _ in range(count):
            expertise = frozenset(rng.sample(EXPERTISE, 3)) if role is Role.STATE_CONTACT else frozenset()
            roles.append(NetworkRole(person(), role, expertise, 0.5))
    return Directory.build(
        people=people, teams=teams, districts=districts, memberships=memberships, network_roles=roles
    )


def workload(directory: Directory, protocol, n: int, rng: random.Random) -> list[tuple[ItemState | None, Event]]:
    """n (state, event) pairs the engine accepts, in a realistic mix."""
    members = [m.person_id for m in directory.memberships]
    staff = [p for d in directory.districts.values() for p in d.staff]
    open_items: list[ItemState] = []
    pairs: list[tuple[ItemState | None, Event]] = []
    while len(pairs) < n:
        roll = rng.random()
        at = START + timedelta(minutes=rng.randint(0, 60 * 24 * 5))
        if roll < 0.5 or not open_items:
            kind, asker = rng.choice(
                [
                    (ItemKind.QUESTION, rng.choice(members)),
                    (ItemKind.DISTRICT, rng.choice(staff)),
                    (ItemKind.TRAINING, rng.choice(staff)),
                    (ItemKind.QUESTION, rng.choice(staff)),
                ]
            )
            topics = tuple(rng.sample(EXPERTISE, 2)) if kind is ItemKind.TRAINING else ()
            state, event = None, Event(EventKind.ASKED, asker, at, item_kind=kind, text="help", topics=topics)
        else:
            state = rng.choice(open_items)
            kind = rng.choice(
                [
                    EventKind.DEADLINE_PASSED,
                    EventKind.DEADLINE_PASSED,
                    EventKind.REMINDER_DUE,
                    EventKind.ESCALATED,
                    EventKind.ANSWERED,
                ]
            )
            due = {EventKind.DEADLINE_PASSED: state.deadline_at, EventKind.REMINDER_DUE: state.remind_at}.get(kind)
            actor = None if kind in (EventKind.DEADLINE_PASSED, EventKind.REMINDER_DUE) else state.owner_id
            event = Event(kind, actor, due or at, text="answer")
        try:
            decision = decide(state, event, directory, protocol)
        except Refused:
            continue
        pairs.append((state, event))
        if state is not None:
            open_items.remove(state)
        if decision.state.is_open:
            open_items.append(decision.state)
    return pairs


def best_rate(fn: Callable[[], int], repeat: int) -> float:
    """Calls per CPU-second of the fastest of `repeat` runs of fn (which returns how many calls it made).

    CPU time of this process (one thread, so one core): other work on the machine does not count against it.
    """
    rates = []
    for _ in range(repeat):
        started = time.process_time()
        count = fn()
        rates.append(count / (time.process_time() - started))
    return max(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--protocol", default=None, help="protocol file (default: the shipped one)")
    args = parser.parse_args(argv)

    rng = random.Random(2024)
    protocol = load_protocol(args.protocol)
    directory = build_directory(rng)
    pairs = workload(directory, protocol, args.decisions, rng)
    mix = statistics.multimode([e.kind for _, e in pairs])
    kinds = {k: sum(1 for _, e in pairs if e.kind is k) for k in EventKind}
    states = [decide(s, e, directory, protocol).state for s, e in pairs]
    # The prepared workload is 20,000 items held at once, which a server never does: keep the garbage collector
    # from re-scanning it in every timed run (gen-2 collections would bill its size to whatever call triggers them).
    gc.collect()
    gc.freeze()

    def engine() -> int:
        for state, event in pairs:
            decide(state, event, directory, protocol)
        return len(pairs)

    def lookups() -> int:
        lead = Role.LEAD
        for state, event in pairs:
            asker = state.asker_id if state else event.actor_id
            directory.roles_of(asker)
            team = state.team_id if state else next((m.team_id for m in directory.memberships_of(asker)), None)
            if team is not None:
                directory.facilitators_of(team)
            directory.holders(lead)
            directory.person(state.owner_id if state else asker)
        return len(pairs)

    def json_round_trip() -> int:
        for state in states:
            ItemState.from_dict(json.loads(json.dumps(state.to_dict())))
        return len(states)

    decide_rate = best_rate(engine, args.repeat)
    lookup_rate = best_rate(lookups, args.repeat)
    json_rate = best_rate(json_round_trip, args.repeat)

    print(
        f"protocol {protocol.version}; {len(directory.people)} people, {len(directory.teams)} teams, "
        f"{len(directory.districts)} districts; {len(pairs)} decisions, best of {args.repeat}, one core"
    )
    print("mix: " + ", ".join(f"{k.value} {v}" for k, v in kinds.items() if v) + f" (most: {mix[0].value})")
    print(f"{'engine decide()':<34}{decide_rate:>12,.0f} /s {1e6 / decide_rate:>8.1f} us")
    print(
        f"{'baseline: directory lookups':<34}{lookup_rate:>12,.0f} /s {1e6 / lookup_rate:>8.1f} us"
        f"   decide = {lookup_rate / decide_rate:.1f}x the lookups"
    )
    print(
        f"{'baseline: state JSON round trip':<34}{json_rate:>12,.0f} /s {1e6 / json_rate:>8.1f} us"
        f"   decide = {json_rate / decide_rate:.1f}x the round trip"
    )
    print(f"target 20,000 decisions/s: {'met' if decide_rate > 20_000 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
