"""The allocation ledger: what each state contact has committed of their allocation in a school year (pure).

CST Implementation Guide, Communication Protocol: the facilitator "will contact DESE [...] to identify a
trainer-match with allocated Collaborative Work FTE and relevant expertise". Each state contact's `fte` in the
roster is their allocation for the school year; a winning offer commits days against it (`Commit` effects, kept
as `trainer_commitment` rows). The ledger turns those rows into allocated, committed and remaining days per
contact, and committed days per trainer they named. Trainers draw on their contact's allocation: they have no
allocation of their own, so a trainer's line shows what was committed to them and what remains to their contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from routing.directory import Directory, Role
from routing.protocol import Protocol


@dataclass(frozen=True, slots=True)
class Commitment:
    """One committed offer, as stored."""

    item_id: int
    contact_id: int
    trainer_id: int
    days: float
    over_allocation: bool
    day: date  # the local date of the commitment: the school year it counts in


@dataclass(frozen=True, slots=True)
class TrainerLine:
    trainer_id: int
    name: str
    days: float  # committed to this trainer from the contact's allocation
    trainings: int
    over_allocation: int  # of which confirmed past what remained


@dataclass(frozen=True, slots=True)
class ContactLine:
    contact_id: int
    name: str
    fte: float
    allocated: float  # days
    committed: float
    remaining: float  # negative when over allocated
    trainings: int
    trainers: tuple[TrainerLine, ...]  # themselves first when they trained, then the trainers they named
    flagged: tuple[Commitment, ...]  # offers confirmed past the remaining allocation
    active: bool = True  # still a state contact in the roster

    @property
    def over(self) -> bool:
        return self.committed > self.allocated + 1e-9


@dataclass(frozen=True, slots=True)
class Ledger:
    label: str  # "Collaborative Work FTE"
    year_label: str  # "2026-27"
    start: date
    end: date
    days_per_fte: float
    contacts: tuple[ContactLine, ...]

    @property
    def allocated(self) -> float:
        return round(sum(c.allocated for c in self.contacts), 2)

    @property
    def committed(self) -> float:
        return round(sum(c.committed for c in self.contacts), 2)

    @property
    def remaining(self) -> float:
        return round(sum(c.remaining for c in self.contacts), 2)

    @property
    def flagged(self) -> tuple[Commitment, ...]:
        return tuple(f for c in self.contacts for f in c.flagged)

    def name_of(self, person_id: int) -> str:
        """A contact's or trainer's name as the ledger shows it."""
        for c in self.contacts:
            if c.contact_id == person_id:
                return c.name
            for t in c.trainers:
                if t.trainer_id == person_id:
                    return t.name
        return f"person {person_id}"


def ledger(directory: Directory, protocol: Protocol, commitments: Iterable[Commitment], *, day: date,
           as_of: date | None = None) -> Ledger:
    """The ledger of the school year `day` falls in (up to `as_of`, when given: a month's summary counts what was
    committed by the month's end). Every active state contact has a line, committed or not; a contact no longer
    in the roster who committed days that year keeps theirs (allocation 0, shown inactive)."""
    start, end = protocol.school_year(day)
    if as_of is not None:
        end = min(end, as_of)
    days_per_fte = protocol.training.allocation.days_per_fte if protocol.training else 0.0
    label = protocol.training.allocation.label if protocol.training else "allocation"
    mine: dict[int, list[Commitment]] = {}
    for c in commitments:
        if start <= c.day <= end:
            mine.setdefault(c.contact_id, []).append(c)
    contacts = [p.id for p in directory.index.holders(Role.STATE_CONTACT)]
    contacts += [pid for pid in mine if pid not in contacts]
    lines = []
    for contact_id in contacts:
        role = directory.index.network_role(contact_id, Role.STATE_CONTACT)
        fte = role.fte if role is not None else 0.0
        rows = sorted(mine.get(contact_id, ()), key=lambda c: (c.day, c.item_id))
        allocated = round(fte * days_per_fte, 2)
        committed = round(sum(c.days for c in rows), 2)
        lines.append(
            ContactLine(
                contact_id=contact_id,
                name=_name(directory, contact_id),
                fte=fte,
                allocated=allocated,
                committed=committed,
                remaining=round(allocated - committed, 2),
                trainings=len(rows),
                trainers=_trainers(directory, contact_id, rows),
                flagged=tuple(c for c in rows if c.over_allocation),
                active=role is not None,
            )
        )
    return Ledger(label, protocol.school_year_label(day), start, end, days_per_fte, tuple(lines))


def remaining(directory: Directory, protocol: Protocol, commitments: Iterable[Commitment], contact_id: int,
              *, day: date) -> float:
    """What is left of a contact's allocation in the school year `day` falls in (before a new offer)."""
    for line in ledger(directory, protocol, commitments, day=day).contacts:
        if line.contact_id == contact_id:
            return line.remaining
    return 0.0


def _trainers(directory: Directory, contact_id: int, rows: list[Commitment]) -> tuple[TrainerLine, ...]:
    role = directory.index.network_role(contact_id, Role.STATE_CONTACT)
    order = [contact_id, *(role.trainers if role else ()), *(c.trainer_id for c in rows)]
    lines = []
    for trainer_id in dict.fromkeys(order):
        theirs = [c for c in rows if c.trainer_id == trainer_id]
        if not theirs and trainer_id == contact_id:
            continue  # the contact trained nobody themselves: no line of their own
        lines.append(
            TrainerLine(
                trainer_id=trainer_id,
                name=_name(directory, trainer_id),
                days=round(sum(c.days for c in theirs), 2),
                trainings=len(theirs),
                over_allocation=sum(1 for c in theirs if c.over_allocation),
            )
        )
    return tuple(lines)


def _name(directory: Directory, person_id: int) -> str:
    person = directory.person(person_id)
    return person.label if person else f"person {person_id}"
