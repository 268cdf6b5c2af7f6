"""The allocation ledger, exact on a hand-made fixture: allocated, committed and remaining per contact and trainer."""

from __future__ import annotations

from datetime import date

from routing.allocation import Commitment, ContactLine, TrainerLine, ledger, remaining
from tests.routing.helpers import MO, SAM, SUE, TIM, org, protocol_named

MISSOURI = protocol_named("missouri")  # 220 days per FTE, school year from July 1

# Sam State: 0.4 FTE (88 days), can assign Tim Trainer. Sue State: 0.4 FTE (88 days), no trainers listed.
COMMITMENTS = [
    Commitment(1, SAM, SAM, 3, False, date(2026, 6, 30)),  # the school year before: not counted in 2026-27
    Commitment(2, SAM, SAM, 2, False, date(2026, 7, 1)),  # first day of 2026-27
    Commitment(3, SAM, TIM, 4.5, False, date(2026, 11, 13)),
    Commitment(4, SAM, TIM, 80, True, date(2027, 2, 1)),  # confirmed past what remained
    Commitment(5, SAM, MO, 1, False, date(2027, 6, 30)),  # a trainer no longer listed keeps their line
    Commitment(6, SUE, SUE, 10, False, date(2027, 7, 1)),  # the next school year
]


def test_the_ledger_is_exact_for_a_school_year():
    result = ledger(org(), MISSOURI, COMMITMENTS, day=date(2026, 11, 20))
    assert (result.label, result.year_label, result.start, result.end) == (
        "Collaborative Work FTE", "2026-27", date(2026, 7, 1), date(2027, 6, 30))
    sam, sue = result.contacts
    assert sam == ContactLine(
        contact_id=SAM, name="Sam State", fte=0.4, allocated=88.0, committed=87.5, remaining=0.5, trainings=4,
        trainers=(
            TrainerLine(SAM, "Sam State", 2.0, 1, 0),
            TrainerLine(TIM, "Tim Trainer", 84.5, 2, 1),
            TrainerLine(MO, "Mo Member", 1.0, 1, 0),
        ),
        flagged=(COMMITMENTS[3],),
    )
    assert not sam.over
    assert (sue.committed, sue.remaining, sue.trainings, sue.trainers) == (0.0, 88.0, 0, ())
    assert (result.allocated, result.committed, result.remaining) == (176.0, 87.5, 88.5)
    assert result.flagged == (COMMITMENTS[3],)


def test_over_allocation_shows_as_a_negative_remainder():
    over = [*COMMITMENTS, Commitment(7, SAM, SAM, 2, True, date(2027, 3, 1))]
    sam = ledger(org(), MISSOURI, over, day=date(2027, 3, 2)).contacts[0]
    assert (sam.committed, sam.remaining, sam.over, len(sam.flagged)) == (89.5, -1.5, True, 2)
    assert remaining(org(), MISSOURI, over, SAM, day=date(2027, 3, 2)) == -1.5


def test_the_next_school_year_starts_from_the_full_allocation():
    result = ledger(org(), MISSOURI, COMMITMENTS, day=date(2027, 7, 1))
    assert result.year_label == "2027-28"
    assert [(c.name, c.committed, c.remaining) for c in result.contacts] == [
        ("Sam State", 0.0, 88.0), ("Sue State", 10.0, 78.0)]


def test_a_contact_who_left_keeps_the_days_they_committed():
    directory = org(drop=(SUE,))
    result = ledger(directory, MISSOURI, COMMITMENTS, day=date(2027, 8, 1))
    (sue,) = [c for c in result.contacts if c.contact_id == SUE]
    assert (sue.active, sue.allocated, sue.committed, sue.remaining) == (False, 0.0, 10.0, -10.0)
