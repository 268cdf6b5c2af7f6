"""The roster importer at scale: the set-based importer writes exactly what the old one-ORM-object-per-row importer
wrote (tests/store/legacy_import.py), on the all-US generator's shape reduced to 1,000 districts, through a first
import, an import that changes a bit of everything, and a re-import of the original (reactivations)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bench.rostergen import generate
from routing.directory import Role
from store.db import make_engine, scratch_schema
from store.directory import VERSION_KEY
from store.roster import Roster, parse_yaml, sync_roster
from store.roster.model import ChannelSpec, DistrictSpec, PersonSpec, RoleSpec
from tests.conftest import PG_URL
from tests.store import legacy_import
from tests.store.roster_helpers import dump

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def us_reduced() -> Roster:
    """The all-US shape at 1,000 districts: 67 teams, ~7,450 people."""
    return parse_yaml(generate("us", districts=1_000), source="us-1000.yaml")


@pytest.fixture
def reference(db_url, tmp_path) -> Iterator[Engine]:
    """A second empty database of the same kind as `engine`, for the old importer."""
    if db_url.startswith("sqlite"):
        url_cm = None
        url = f"sqlite:///{tmp_path / 'reference.db'}"
    else:
        url_cm = scratch_schema(PG_URL, "ref")
        url = url_cm.__enter__()
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()
        if url_cm is not None:
            url_cm.__exit__(None, None, None)


def _changed(roster: Roster) -> Roster:
    """A bit of everything a re-import meets: people leave, arrive, change name, email or Slack id (two swap
    theirs), a team is renamed (its memberships and districts follow), districts go and change team, providers
    change expertise and FTE, a lead leaves and the others swap order, a channel goes and another comes."""
    people = list(roster.people)
    staff = {k for d in roster.districts for k in d.staff}
    providers = {m.person for m in roster.memberships}
    staff_people = [p for p in people if p.key in staff and p.slack_id]
    a, b = staff_people[3], staff_people[4]
    swapped = {a.key: dataclasses.replace(a, slack_id=b.slack_id), b.key: dataclasses.replace(b, slack_id=a.slack_id)}
    renamed = {staff_people[5].key: dataclasses.replace(staff_people[5], name="Renamed Person")}
    moved_email = staff_people[6]
    new_email = dataclasses.replace(moved_email, email="moved.address@elsewhere.example")
    arrivals = [PersonSpec(name=f"New Person {i}", email=f"new.person.{i}@arrivals.example", slack_id=None)
                for i in range(3)]
    arrivals.append(PersonSpec(name="New With Slack", email="new.slack@arrivals.example", slack_id="UNEWSLACK1"))

    dropped_districts = {d.name for d in roster.districts[10:20]}
    leaving = {k for d in roster.districts if d.name in dropped_districts for k in d.staff}
    team0, team1 = roster.teams[0], roster.teams[1]
    new_team0 = dataclasses.replace(team0, name=team0.name + " (renamed)", zone="New")

    def person(p: PersonSpec) -> PersonSpec:
        p = swapped.get(p.key) or renamed.get(p.key) or p
        return new_email if p.key == moved_email.key else p

    new_people = [person(p) for p in people if p.key not in leaving] + arrivals
    key_of = {moved_email.key: new_email.key}

    def ref(key: str) -> str:
        return key_of.get(key, key)

    memberships = []
    for i, m in enumerate(roster.memberships):
        team = new_team0.name if m.team == team0.name else m.team
        m = dataclasses.replace(m, team=team, person=ref(m.person))
        if i % 7 == 0 and m.role is Role.MEMBER:
            m = dataclasses.replace(m, expertise=("Data",), fte=0.3, fit=None, fte_available=0.1)
        if i % 11 == 5 and m.role is Role.MEMBER:
            continue  # leaves the team (stays a person)
        memberships.append(m)
    districts = []
    for i, d in enumerate(roster.districts):
        if d.name in dropped_districts:
            continue
        team = new_team0.name if d.team == team0.name else d.team
        if i % 50 == 7:
            team = team1.name
        staff_keys = tuple(ref(k) for k in d.staff)
        if i % 40 == 3:
            staff_keys = staff_keys[1:] + (arrivals[i % 3].key,) if staff_keys else staff_keys
        center = d.center if i % 9 else "Summit RPDC"
        districts.append(dataclasses.replace(d, team=team, staff=staff_keys, center=center))
    arrivals_staffed = {k for d in districts for k in d.staff}
    arrivals.append(PersonSpec(name="Extra Staff", email="extra.staff@arrivals.example", slack_id="UEXTRA0001"))
    new_people.append(arrivals[-1])
    districts[0] = dataclasses.replace(districts[0], staff=districts[0].staff + (arrivals[-1].key, arrivals[3].key))
    districts.append(DistrictSpec(name="Brand New R-1", team=team1.name, zone="New", staff=(arrivals[0].key,)))
    assert arrivals_staffed
    leads = [r for r in roster.roles if r.role is Role.LEAD]
    others = [r for r in roster.roles if r.role is not Role.LEAD]
    new_leads = [dataclasses.replace(r, position=i) for i, r in enumerate(reversed(leads[1:]))]
    roles = [*new_leads, *others[1:], RoleSpec(role=Role.ADMIN, person=ref(staff_people[7].key), position=99)]
    channels = [*roster.channels[1:], ChannelSpec(purpose="alerts", channel_id="C0ALERTS01")]
    assert not providers & leaving
    return dataclasses.replace(
        roster,
        organization=roster.organization + " (2027)",
        people=tuple(new_people),
        teams=(new_team0, *roster.teams[1:]),
        memberships=tuple(memberships),
        districts=tuple(districts),
        roles=tuple(roles),
        channels=tuple(channels),
    )


def _lookups(roster: Roster) -> tuple[dict[str, str], dict[str, str]]:
    """Slack lookups for some of the people without a Slack id: found, found but someone else's, not found."""
    missing = [p for p in roster.people if not p.slack_id and p.email]
    taken = next(p.slack_id for p in roster.people if p.slack_id)
    found = {p.email: f"ULOOKUP{i:04d}" for i, p in enumerate(missing[::2])}
    if len(missing) > 1:
        found[missing[1].email] = taken
    notes = {p.email: "not found in Slack by email" for p in missing if p.email not in found}
    return found, notes


def _import(engine: Engine, roster: Roster, sync, now: datetime):
    slack_ids, notes = _lookups(roster)
    with Session(engine, expire_on_commit=False) as session:
        report = sync(roster, session=session, slack_ids=slack_ids, notes=notes, now=now)
        session.commit()
    return report


def _tables(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every roster table; the directory version (a random id per change) only as present."""
    tables = dump(engine)
    tables["meta"] = [(k, "<version>" if k == VERSION_KEY else v) for k, v in tables["meta"]]
    return tables


def test_the_set_based_importer_writes_what_the_old_one_wrote(engine, reference, us_reduced):
    original = us_reduced
    assert len(original.districts) == 1_000 and len(original.teams) == 67 and len(original.people) > 7_000
    changed = _changed(original)
    steps = [(original, T0), (changed, T0.replace(day=3)), (original, T0.replace(day=4))]
    for n, (roster, now) in enumerate(steps):
        new = _import(engine, roster, sync_roster, now)
        old = _import(reference, roster, legacy_import.sync_roster, now)
        assert new.changes == old.changes, f"step {n}: the reports differ"
        assert new.unresolved == old.unresolved and new.warnings == old.warnings
        assert _tables(engine) == _tables(reference), f"step {n}: the tables differ"
        if n == 1:  # the change really changed each kind of row, both ways
            done = {(c.kind, c.action) for c in new.changes}
            for kind in ("person", "team", "membership", "district", "district staff", "role", "channel"):
                assert (kind, "added") in done and (kind, "deactivated") in done, kind
            assert ("person", "updated") in done and ("membership", "updated") in done
        if n == 2:
            assert any(c.action == "reactivated" for c in new.changes)
    again = _import(engine, original, sync_roster, T0.replace(day=5))  # the same file again: nothing to write
    assert again.changes == [] and _tables(engine) == _tables(reference)


def test_a_generated_roster_is_deterministic_and_in_the_documented_shape():
    assert generate("state") == generate("state")
    state = parse_yaml(generate("state"))
    assert (len(state.teams), len(state.districts), len(state.people)) == (6, 25, 45)
    large = parse_yaml(generate("large"))
    assert (len(large.teams), len(large.districts), len(large.people)) == (60, 1_500, 4_176)


def _statements(engine: Engine, roster: Roster) -> int:
    """How many statements one import sends (an executemany or a COPY counts once)."""
    from sqlalchemy import event

    count = 0

    def seen(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with Session(engine, expire_on_commit=False) as session:
            sync_roster(roster, session=session, now=T0)
            session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return count


def test_an_import_sends_as_many_statements_for_1000_districts_as_for_25(engine, reference, us_reduced):
    small = parse_yaml(generate("state"), source="state.yaml")
    first = (_statements(reference, small), _statements(engine, us_reduced))
    assert first[0] == first[1] and first[0] < 40, first
    again = (_statements(reference, small), _statements(engine, us_reduced))  # nothing changed: reads only
    assert again[0] == again[1] and again[0] < first[0], again


def test_a_conflicting_bulk_insert_is_sqlalchemy_s_integrity_error(engine):
    """COPY goes around SQLAlchemy on PostgreSQL: its unique violation must still reach import_roster's handler,
    which turns it into a one-line error."""
    from sqlalchemy.exc import IntegrityError

    from store import models
    from store.roster.sync import _bulk_insert

    row = {"name": "Team A", "zone": None, "region": None, "active": True, "created_at": T0, "updated_at": T0}
    with Session(engine) as session:
        conn = session.connection()
        _bulk_insert(conn, models.Team.__table__, [row])
        with pytest.raises(IntegrityError):
            _bulk_insert(conn, models.Team.__table__, [row])


# --- the streaming YAML reader reads what yaml.compose would have ------------------------------------------------


def test_anchors_and_aliases_work_across_streamed_sections():
    from store.roster.yamlform import read_yaml

    raw = read_yaml(
        "organization: X\n"
        "people:\n  - &ada {email: ada@s.example, name: Ada}\n  - {email: bo@s.example, name: Bo}\n"
        "admins: [ada@s.example]\n"
        "leads: &leads\n  - bo@s.example\n"
        "management_team: *leads\n",
        source="r.yaml",
    )
    assert raw.problems == []
    assert [r.cells["email"].value for r in raw.records["people"]] == ["ada@s.example", "bo@s.example"]
    roles = [(r.cells["role"].value, r.cells["person"].value) for r in raw.records["roles"]]
    assert roles == [("admin", "ada@s.example"), ("lead", "bo@s.example"), ("management", "bo@s.example")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("organization: X\npeople:\n  - {email: a@s.example, name: A}\nteams: [\n",
         "r.yaml:5:1: YAML syntax error: while parsing a flow node"),
        ("organization: X\npeople: []\n---\norganization: Y\n",
         "r.yaml:3:1: YAML syntax error: expected a single document in the stream (from line 1)"),
        ("organization: X\nleads: [*nobody]\n", "r.yaml:2:9: YAML syntax error: found undefined alias 'nobody'"),
    ],
)
def test_a_syntax_error_after_streamed_entries_is_the_only_problem(text, problem):
    from store.roster.yamlform import read_yaml

    raw = read_yaml(text, source="r.yaml")
    assert [str(p)[: len(problem)] for p in raw.problems] == [problem]
    assert all(records == [] for records in raw.records.values()) and raw.organization is None
