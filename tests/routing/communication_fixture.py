"""A hand-made month of items and their audit trail (March 2026, America/Chicago, business hours 08:00-17:00),
for the communication report: the same rows feed `routing.communication` directly and the database (tests/reports).

People: 1 Ann Facil (Team A), 2 Bob Facil (Team B), 3 Lee Lead, 4 Meg Manager, 5 Mo Member, 6 Nia Member,
7 Dee District, 9 Ada Admin. Teams: 10 Team A, 11 Team B. Every time below is local (CDT, UTC-5 after March 8).

The expected figures (EXPECTED_*) are worked out by hand in the comments beside each item.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from routing.communication import EventRow, ItemRow

TZ = ZoneInfo("America/Chicago")
PEOPLE = {1: "Ann Facil", 2: "Bob Facil", 3: "Lee Lead", 4: "Meg Manager", 5: "Mo Member", 6: "Nia Member",
          7: "Dee District", 9: "Ada Admin"}
TEAMS = {10: "Team A", 11: "Team B"}
FAC, LEAD, MGMT = "facilitator", "lead", "management"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    return at(3, day, hour, minute)


# (id, kind now, team, asker, created, [(event kind, actor, at, tier, item_kind[, report])])
ITEMS = [
    # question, A: answered at the facilitator in 3.0 h (Mon 09:00-12:00), deadline Wed 09:00: in time
    (1, "question", 10, 5, mar(16, 9), [
        ("created", 5, mar(16, 9), None, "question"),
        ("assigned", 5, mar(16, 9), FAC, None),
        ("answered", 1, mar(16, 12), None, None),
    ]),
    # question, A: escalated by hand after 3.0 h (Tue 16-17, Wed 8-10); the lead answers 8.0 h later
    # (Wed 10-17, Thu 8-9), deadline Fri 10:00: in time
    (2, "question", 10, 5, mar(17, 16), [
        ("created", 5, mar(17, 16), None, "question"),
        ("assigned", 5, mar(17, 16), FAC, None),
        ("escalated", 1, mar(18, 10), LEAD, None),
        ("answered", 3, mar(19, 9), None, None),
    ]),
    # question, B: nobody acts, the sweep moves it on at the deadline (Mon 15:00); the lead answers 22.0 h later
    # (Mon 2, Tue 9, Wed 9, Thu 2) past its deadline (Wed 15:00)
    (3, "question", 11, 6, mar(19, 15), [
        ("created", 6, mar(19, 15), None, "question"),
        ("assigned", 6, mar(19, 15), FAC, None),
        ("escalated", None, mar(23, 15), LEAD, None),
        ("reminded", None, mar(25, 11), None, None),  # not read
        ("answered", 3, mar(26, 10), None, None),
    ]),
    # district request, A, passed on by Mo: answered in 2.0 h (Fri 16:30-17:00, Mon 8:00-9:30), deadline Mon 16:30
    (4, "district", 10, 7, mar(20, 16, 30), [
        ("created", 5, mar(20, 16, 30), None, "district"),
        ("assigned", 5, mar(20, 16, 30), FAC, None),
        ("redirected", 5, mar(20, 16, 30), None, None),
        ("answered", 1, mar(23, 9, 30), None, None),
    ]),
    # district request, B, passed on by Mo, withdrawn: ended otherwise, no action
    (5, "district", 11, 7, mar(23, 10), [
        ("created", 5, mar(23, 10), None, "district"),
        ("assigned", 5, mar(23, 10), FAC, None),
        ("redirected", 5, mar(23, 10), None, None),
        ("withdrawn", 7, mar(23, 11), None, None),
    ]),
    # district request, B, passed on by Nia: still open
    (6, "district", 11, 7, mar(24, 9), [
        ("created", 6, mar(24, 9), None, "district"),
        ("assigned", 6, mar(24, 9), FAC, None),
        ("redirected", 6, mar(24, 9), None, None),
    ]),
    # question from the lead, no team: offered to the management team, taken after 5.0 h, answered Fri (deadline
    # 5 business days: Wed April 1 08:00): in time
    (7, "question", None, 3, mar(25, 8), [
        ("created", 3, mar(25, 8), None, "question"),
        ("assigned", 3, mar(25, 8), MGMT, None),
        ("taken", 4, mar(25, 13), None, None),
        ("answered", 4, mar(27, 9), None, None),
    ]),
    # training request, A: own team passed by hand, matched at other teams Thu 09:00: 27 business hours = 3.0 days
    (8, "training", 10, 5, mar(16, 9), [
        ("created", 5, mar(16, 9), None, "training"),
        ("assigned", 5, mar(16, 9), None, None),
        ("stage", 5, mar(16, 9), "own_team", None),
        ("escalated", 1, mar(17, 9), "own_team", None),
        ("stage", 1, mar(17, 9), "other_teams", None),
        ("stage", None, mar(18, 9), "other_teams", None),  # widened: the same stage, not a new one
        ("matched", 2, mar(19, 9), None, None),
    ]),
    # question, B, made a training request after 4.0 h (ends its facilitator visit); own team and other teams time
    # out, matched at the state stage Wed 25 14:00: from Mon 16 14:00, 3 + 6 x 9 + 6 = 63 h = 7.0 days
    (9, "training", 11, 6, mar(16, 10), [
        ("created", 6, mar(16, 10), None, "question"),
        ("assigned", 6, mar(16, 10), FAC, None),
        ("converted", 2, mar(16, 14), None, None),
        ("stage", 2, mar(16, 14), "own_team", None),
        ("escalated", None, mar(19, 14), "own_team", None),
        ("stage", None, mar(19, 14), "other_teams", None),
        ("escalated", None, mar(24, 14), "other_teams", None),
        ("stage", None, mar(24, 14), "state", None),
        ("matched", 9, mar(25, 14), None, None),
    ]),
    # training request, A: still open at its first stage
    (10, "training", 10, 5, mar(27, 10), [
        ("created", 5, mar(27, 10), None, "training"),
        ("stage", 5, mar(27, 10), "own_team", None),
    ]),
    # training request, B: no stage had anyone
    (12, "training", 11, 6, mar(30, 9), [
        ("created", 6, mar(30, 9), None, "training"),
        ("unmatched", 6, mar(30, 9), None, None),
    ]),
    # question, A: reassigned by an admin after 2.0 h (first action), answered Tue 08:30 (deadline Wed 08:00)
    (13, "question", 10, 5, mar(30, 8), [
        ("created", 5, mar(30, 8), None, "question"),
        ("assigned", 5, mar(30, 8), FAC, None),
        ("reassigned", 9, mar(30, 10), None, None),
        ("answered", 1, mar(31, 8, 30), None, None),
    ]),
    # compliance: Team A's February log still missing opens an item at the lead (tier visit: lead), closed by
    # itself when Ann submits (ended otherwise, nobody acted at the tier)
    (30, "compliance", 10, 1, mar(9, 8), [
        ("created", None, mar(9, 8), None, "compliance", "coaching_log"),
        ("assigned", None, mar(9, 8), LEAD, None),
        ("resolved", 1, mar(9, 15), None, "compliance", "coaching_log"),
    ]),
    # compliance: Lee's February update missing: the management team is offered it, Meg takes it after 2.0 h and
    # closes it with a note 2 h later (deadline 5 business days: in time)
    (31, "compliance", None, 3, mar(11, 8), [
        ("created", None, mar(11, 8), None, "compliance", "lead_update"),
        ("assigned", None, mar(11, 8), MGMT, None),
        ("taken", 4, mar(11, 10), None, None),
        ("answered", 4, mar(11, 12), None, None),
    ]),
    # outside the month: asked in February and in April (their rows must not count)
    (20, "question", 10, 5, at(2, 27, 9), [
        ("created", 5, at(2, 27, 9), None, "question"),
        ("assigned", 5, at(2, 27, 9), FAC, None),
        ("answered", 1, mar(2, 9), None, None),
    ]),
    (21, "district", 11, 7, at(4, 1, 9), [
        ("created", 6, at(4, 1, 9), None, "district"),
        ("assigned", 6, at(4, 1, 9), FAC, None),
        ("redirected", 6, at(4, 1, 9), None, None),
    ]),
]
MARCH = (datetime(2026, 3, 1, tzinfo=TZ), datetime(2026, 4, 1, tzinfo=TZ))


def rows(low: datetime = MARCH[0], high: datetime = MARCH[1]) -> tuple[list[ItemRow], list[EventRow]]:
    """The plain rows of the items asked in [low, high), events in item, time order (as the store reads them)."""
    items, events = [], []
    for item_id, kind, team, _asker, created, trail in ITEMS:
        if not low <= created < high:
            continue
        items.append(ItemRow(item_id, kind, team, created))
        events += [EventRow(item_id, *row) for row in trail if row[0] != "reminded"]
    return items, events


# (chain, tier): received, answered, by hand, by deadline, ended otherwise, open, median h, p90 h, within share
EXPECTED_TIERS = {
    ("question", FAC): (5, 2, 1, 1, 1, 0, 3.0, 4.0, 0.5),
    ("question", LEAD): (2, 2, 0, 0, 0, 0, 15.0, 22.0, 0.5),
    ("question", MGMT): (1, 1, 0, 0, 0, 0, 5.0, 5.0, 1.0),
    ("compliance", FAC): (0, 0, 0, 0, 0, 0, None, None, None),
    ("compliance", LEAD): (1, 0, 0, 0, 1, 0, None, None, None),
    ("compliance", MGMT): (1, 1, 0, 0, 0, 0, 2.0, 2.0, 1.0),
    ("update", FAC): (0, 0, 0, 0, 0, 0, None, None, None),
    ("update", LEAD): (0, 0, 0, 0, 0, 0, None, None, None),
    ("update", MGMT): (0, 0, 0, 0, 0, 0, None, None, None),
    ("district", FAC): (3, 1, 0, 0, 1, 1, 2.0, 2.0, 1.0),
    ("district", LEAD): (0, 0, 0, 0, 0, 0, None, None, None),
    ("district", MGMT): (0, 0, 0, 0, 0, 0, None, None, None),
}
EXPECTED_TEAMS = {
    "Team A": (6, 4, 1, 0, 1, 0, 3.0, 8.0, 0.8),
    "Team B": (5, 1, 0, 1, 2, 1, 13.0, 22.0, 0.0),
    "No team": (2, 2, 0, 0, 0, 0, 3.5, 5.0, 1.0),
}
# hours [2, 2, 2, 3, 3, 4, 5, 8, 22]; answered in time 6 of 9 settled (7 answered, 1 by hand, 1 by deadline)
EXPECTED_TOTAL = (13, 7, 1, 1, 3, 1, 3.0, 22.0, 6 / 9)
EXPECTED_REDIRECTS = [("Mo Member", 2), ("Nia Member", 1)]
# stage: reached, matched, passed by hand, moved on by a deadline
EXPECTED_STAGES = {"own_team": (3, 0, 1, 1), "other_teams": (2, 1, 0, 1), "state": (1, 1, 0, 0), "rpdc": (0, 0, 0, 0)}
# requests, matched, unmatched, withdrawn, open, median business days to a match
EXPECTED_TRAINING = (4, 2, 1, 0, 1, 5.0)
EXPECTED_ITEMS = 14
# report: opened, closed by the report coming in, answered with a note, withdrawn, still open
EXPECTED_MISSING = {"coaching_log": (1, 1, 0, 0, 0), "lead_update": (1, 0, 1, 0, 0)}


def figures(line) -> tuple:
    return (line.received, line.answered, line.escalated_by_hand, line.moved_on_by_deadline, line.ended_otherwise,
            line.open, line.median_hours, line.p90_hours, line.within_deadline_share)
