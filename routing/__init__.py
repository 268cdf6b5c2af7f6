"""The routing engine: the communication protocol as data, decided by pure code (no I/O, no clock).

Public API (everything else in the package is internal):

- protocol: `Protocol`, `ProtocolBook`, `load_protocol`, `parse_protocol` (and its parts: `Chain`, `Tier`,
  `Training`, `Stage`, `StageMode`, `InteractionType`, `NotCoaching`, `Reporting`)
- model: `ItemKind`, `Status`, `ItemState`, `EventKind`, `Event`, `Notice`, `NOTICE_CONTEXT`, `COMMON_CONTEXT`,
  `Notify`, `SetDeadline`, `ClearDeadline`, `Audit`, `AuditKind`, `Decision`, `Effect`
- engine: `decide(state, event, directory, protocol) -> Decision`
- matching: `rank_candidates`, `Candidate`, `Profile`
- explain: `explain(directory, protocol, *, asker_id, kind, now, ...) -> Explanation`, `find_person`, `owner_role`
- actions: who may act on an item now (`available_actions`, `why_not`, `involved`, `offerable`, and for a state
  contact's offer `committing_contact`, `allocation_days`)
- allocation: the state contacts' allocation ledger (`ledger`, `Ledger`, `Commitment`)
- network: who in the whole network lists an expertise (`who_lists`, `teams_listing`, `Elsewhere`)
- calendar: `add_business_days`, `is_business_day`, `business_days_after_month_end`, `BusinessCalendar`
- errors: `Refused`, `ProtocolError`
"""

from routing.calendar import (
    BusinessCalendar,
    HolidayCalendar,
    add_business_days,
    business_days_after_month_end,
    is_business_day,
)
from routing.directory import Directory
from routing.engine import decide
from routing.errors import ProtocolError, Refused
from routing.explain import Explanation, Step, explain, find_person
from routing.matching import Candidate, Profile, rank_candidates
from routing.model import (
    COMMON_CONTEXT,
    NOTICE_CONTEXT,
    Audit,
    AuditKind,
    ClearDeadline,
    Decision,
    Effect,
    Event,
    EventKind,
    ItemKind,
    ItemState,
    Notice,
    Notify,
    SetDeadline,
    Status,
)
from routing.protocol import (
    Chain,
    InteractionType,
    NotCoaching,
    Protocol,
    ProtocolBook,
    Reporting,
    Stage,
    StageMode,
    Tier,
    Training,
)
from routing.protocol_file import load_protocol, parse_protocol

__all__ = [
    "COMMON_CONTEXT",
    "NOTICE_CONTEXT",
    "Audit",
    "AuditKind",
    "BusinessCalendar",
    "Candidate",
    "Chain",
    "ClearDeadline",
    "Decision",
    "Directory",
    "Effect",
    "Event",
    "EventKind",
    "Explanation",
    "HolidayCalendar",
    "InteractionType",
    "ItemKind",
    "ItemState",
    "NotCoaching",
    "Notice",
    "Notify",
    "Profile",
    "Protocol",
    "ProtocolBook",
    "ProtocolError",
    "Refused",
    "Reporting",
    "SetDeadline",
    "Stage",
    "StageMode",
    "Status",
    "Step",
    "Tier",
    "Training",
    "add_business_days",
    "business_days_after_month_end",
    "decide",
    "explain",
    "find_person",
    "is_business_day",
    "load_protocol",
    "parse_protocol",
    "rank_candidates",
]
