"""Helpers for the store tests: a small roster with known line numbers, and full table dumps.

Imported as `tests.store.roster_helpers`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from store import models
from store.roster import ImportReport, Roster, RosterError, import_roster, parse_yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# Line numbers matter: the error tests refer to them.
BASE = """\
organization: Test Network
people:
  - {email: fac@a.example, name: Fa Cilitator, slack_id: UFAC00001}
  - {email: mem@a.example, name: Mem Ber, slack_id: UMEM00001}
  - {email: mem2@a.example, name: Mem Two}
  - {email: staff@d.example, name: Staff Person, slack_id: USTF00001}
  - {email: lead@s.example, name: Lead Person, slack_id: ULEAD0001}
  - {email: cw@s.example, name: State Contact, slack_id: USTC00001}
teams:
  - name: Team A
    zone: Developing
    region: East
    facilitator: fac@a.example
    members:
      - {person: mem@a.example, expertise: [Leadership, Data], fte: 0.5, home_center: North Center}
      - {person: mem2@a.example, expertise: [special education], fte: 0.25, fit: 0.5}
districts:
  - {name: District One, team: Team A, zone: Developing, region: East, center: North Center, staff: [staff@d.example]}
leads: [lead@s.example]
state_contacts:
  - {person: cw@s.example, expertise: [Special Education], fte: 1.0}
admins: [ULEAD0001]
channels:
  summaries: [C0SUMMARY1]
"""

ROSTER_TABLES = (
    models.Meta,
    models.Person,
    models.Team,
    models.TeamMembership,
    models.District,
    models.DistrictStaff,
    models.PersonRole,
    models.Channel,
)


def edit(text: str, *replacements: tuple[str, str]) -> str:
    """Apply exact replacements, failing loudly when one does not apply (a test typo, not a pass)."""
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def problems(text: str) -> list[str]:
    """Every problem the validator reports for YAML text, as 'roster.yaml:LINE: message'."""
    with pytest.raises(RosterError) as info:
        parse_yaml(text, source="roster.yaml")
    return [str(p) for p in info.value.problems]


def load(text: str) -> Roster:
    return parse_yaml(text, source="roster.yaml")


def run_import(engine: Engine, text: str, **kw: Any) -> ImportReport:
    return import_roster(load(text), engine=engine, **kw)


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every roster table, every column (timestamps included), in primary-key order."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for model in ROSTER_TABLES:
            table = model.__table__
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out
