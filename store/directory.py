"""Build the pure `routing.directory.Directory` from the database.

Inactive rows come along flagged `active=False`: the Directory decides what to skip, and an item that
points at someone who has since left still resolves to a name. Eleven queries, however large the roster. While
`cstbot roster try` is on, the people it bound carry the evaluator's Slack id (`TRIAL_KEY`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from enum import StrEnum
from functools import cache

from sqlalchemy import Select, select
from sqlmodel import Session

from routing.directory import AudienceMember, Directory, District, Membership, NetworkRole, Person, Role, Team
from store import models
from store.memory import LONG_LIVED_ROWS, gc_paused, keep_out_of_collections

log = logging.getLogger(__name__)

ORGANIZATION_KEY = "organization"  # Meta key holding the organization's name
VERSION_KEY = "directory_version"  # Meta key changed by every roster import that changes something
# Meta key of `cstbot roster try`: one Slack account bound to a person of each role (store.roster.trial).
TRIAL_KEY = "roster_try"


class ChannelPurpose(StrEnum):
    """What the bot posts to a channel. A new purpose is one line here (the roster validates against it)."""

    SUMMARIES = "summaries"  # monthly coaching-log summaries (DESE, RPDC directors, area supervisors, CSTs)
    MINUTES = "minutes"  # management team meeting minutes, shared with the facilitators
    UPDATES = "updates"  # the lead facilitators' monthly CST update to the management team
    ALERTS = "alerts"  # operational problems for the bot's admins (failed deliveries, import reports)
    # The summaries' audiences' own channels (roster `audiences.channels`; routing.protocol.AUDIENCE_KEYS)
    LEARNING_SERVICES = "learning_services"
    RPDC_DIRECTORS = "rpdc_directors"
    AREA_SUPERVISORS = "area_supervisors"


@cache
def _queries() -> dict[str, Select]:
    """The statements, built once (building a statement costs about as much as running it on SQLite)."""
    person, team, member, district, staff, role, meta, channel = (
        model.__table__.c  # type: ignore[attr-defined]
        for model in (
            models.Person,
            models.Team,
            models.TeamMembership,
            models.District,
            models.DistrictStaff,
            models.PersonRole,
            models.Meta,
            models.Channel,
        )
    )
    return {
        "people": select(
            person.id, person.name, person.email, person.slack_id, person.active, person.away_until,
            person.quiet_until, person.tz,
        ).order_by(person.id),
        "teams": select(team.id, team.name, team.zone, team.region, team.active).order_by(team.id),
        "memberships": select(
            member.person_id,
            member.team_id,
            member.role,
            member.expertise,
            member.fte,
            member.fte_available,
            member.home_center,
            member.fit,
            member.active,
        ).order_by(member.id),
        "districts": select(
            district.id,
            district.name,
            district.team_id,
            district.zone,
            district.region,
            district.center,
            district.active,
        ).order_by(district.id),
        "staff": select(staff.district_id, staff.person_id).where(staff.active.is_(True)).order_by(staff.id),
        "roles": select(role.person_id, role.role, role.expertise, role.fte, role.home_center, role.active).order_by(
            role.role, role.position, role.id
        ),
        "meta": select(meta.key, meta.value).where(meta.key.in_((ORGANIZATION_KEY, TRIAL_KEY))),
        "summaries": select(channel.channel_id)
        .where(channel.purpose == ChannelPurpose.SUMMARIES.value, channel.active.is_(True))
        .order_by(channel.id),
        **_network_queries(),
    }


def _network_queries() -> dict[str, Select]:
    """The support team, each state contact's trainers and the audiences."""
    support, trainer, audience = (
        model.__table__.c  # type: ignore[attr-defined]
        for model in (models.SupportMember, models.ContactTrainer, models.AudienceMember)
    )
    return {
        "support": select(
            support.person_id,
            support.expertise,
            support.fte,
            support.fte_available,
            support.home_center,
            support.active,
        ).order_by(support.position, support.id),
        "trainers": select(trainer.contact_id, trainer.trainer_id)
        .where(trainer.active.is_(True))
        .order_by(trainer.contact_id, trainer.position, trainer.id),
        "audiences": select(audience.audience, audience.person_id, audience.center, audience.active, audience.region,
                            audience.zone, audience.districts).order_by(
            audience.audience, audience.position, audience.id
        ),
    }


def load_directory(*, session: Session) -> Directory:
    """The whole directory, inactive rows included (flagged).

    It runs on every request, so it reads only the needed columns with prebuilt Core statements: about four
    times faster than loading ORM objects (0.6 ms for the example roster on SQLite)."""
    conn = session.connection()
    q = _queries()
    people = conn.execute(q["people"]).all()
    teams = conn.execute(q["teams"]).all()
    memberships = conn.execute(q["memberships"]).all()
    districts = conn.execute(q["districts"]).all()
    staff_rows = conn.execute(q["staff"]).all()
    roles = conn.execute(q["roles"]).all()
    facts = dict(conn.execute(q["meta"]).all())
    organization = facts.get(ORGANIZATION_KEY)
    summaries = conn.execute(q["summaries"]).scalars().all()
    played = trial_players(facts.get(TRIAL_KEY))
    support = conn.execute(q["support"]).all()
    trainers: dict[int, list[int]] = defaultdict(list)
    for contact_id, trainer_id in conn.execute(q["trainers"]).all():
        trainers[contact_id].append(trainer_id)
    audiences = conn.execute(q["audiences"]).all()

    staff: dict[int, list[int]] = defaultdict(list)
    for district_id, person_id in staff_rows:
        staff[district_id].append(person_id)

    return Directory.build(
        people=(
            Person(id=r.id, name=r.name, email=r.email, slack_id=played.get(r.id, r.slack_id), active=r.active,
                   away_until=_later(r.away_until, r.quiet_until), tz=r.tz)
            for r in people
        ),
        teams=(Team(id=r.id, name=r.name, zone=r.zone, region=r.region, active=r.active) for r in teams),
        districts=(
            District(
                id=r.id,
                name=r.name,
                team_id=r.team_id,
                zone=r.zone,
                region=r.region,
                center=r.center,
                staff=tuple(staff.get(r.id, ())),
                active=r.active,
            )
            for r in districts
        ),
        memberships=(
            Membership(
                person_id=r.person_id,
                team_id=r.team_id,
                role=Role(r.role),
                expertise=frozenset(r.expertise),
                fte=r.fte,
                fte_available=r.fte_available,
                home_center=r.home_center,
                fit=r.fit,
                active=r.active,
            )
            for r in memberships
        ),
        network_roles=(
            *(
                NetworkRole(
                    person_id=r.person_id,
                    role=Role(r.role),
                    expertise=frozenset(r.expertise),
                    fte=r.fte,
                    home_center=r.home_center,
                    active=r.active,
                    trainers=tuple(trainers.get(r.person_id, ())) if r.role == Role.STATE_CONTACT else (),
                )
                for r in roles
            ),
            *(
                NetworkRole(
                    person_id=r.person_id,
                    role=Role.SUPPORT,
                    expertise=frozenset(r.expertise),
                    fte=r.fte,
                    home_center=r.home_center,
                    active=r.active,
                    fte_available=r.fte_available,
                )
                for r in support
            ),
        ),
        organization=organization or "",
        summary_channels=tuple(summaries),
        audiences=(
            AudienceMember(audience=r.audience, person_id=r.person_id, center=r.center, active=r.active,
                           region=r.region, zone=r.zone, districts=tuple(r.districts or ()))
            for r in audiences
        ),
    )


def _later(a, b):
    """The roster's `away_until` and the person's own "quiet until" (Home tab): away until the later one."""
    return max(a, b) if a is not None and b is not None else a or b


def trial_players(raw: str | None) -> dict[int, str]:
    """person id -> the Slack account that plays them, from the `roster try` record (none: {})."""
    if not raw:
        return {}
    record = json.loads(raw)
    return {int(pid): record["slack_id"] for pid in record.get("people", {}).values()}


def load_channels(*, session: Session, include_inactive: bool = False) -> list[models.Channel]:
    """Every channel the bot posts to, by purpose then roster order."""
    query = select(models.Channel).order_by(models.Channel.purpose, models.Channel.id)
    if not include_inactive:
        query = query.where(models.Channel.active == True)  # noqa: E712
    return list(session.scalars(query).all())


def bump_directory_version(*, session: Session) -> str:
    """Mark the directory as changed, in the caller's transaction: caches everywhere reload it."""
    version = uuid.uuid4().hex
    row = session.get(models.Meta, VERSION_KEY)
    if row is None:
        session.add(models.Meta(key=VERSION_KEY, value=version))
    else:
        row.value = version
        session.add(row)
    return version


class DirectoryCache:
    """The Directory of this process, loaded once per roster version.

    Loading the directory is most of a request's database work (about a second for every US state's roster), so:

    - Its version (one indexed read) is checked at most every `recheck_seconds`; in between, requests use the
      cached directory without touching the database, so a roster import reaches a running process within that
      many seconds.
    - Single flight: on a cold cache one thread loads; the threads that meet it meanwhile wait for that load
      instead of each loading their own copy.
    - When the version changes, one background thread loads the new directory while requests keep being answered
      from the previous one; the new one replaces it when complete (with its index built). `wait_for_reload`
      lets a request that needs the new version (someone just added) wait for it.

    A database with no version yet (never imported since this code) is loaded every time, uncached.
    """

    def __init__(self, recheck_seconds: float = 2.0) -> None:
        self._cond = threading.Condition()
        self._version: str | None = None
        self._directory: Directory | None = None
        self._checked_at = float("-inf")
        self._loading = False  # a load (cold or background) is under way
        self._generation = 0  # forget() starts a new one: a load begun before it is not installed
        self.recheck_seconds = recheck_seconds
        self.loads = 0  # directories this cache loaded (tests and benchmarks read it)
        self.waiting = 0  # threads waiting for a cold load right now

    def get(self, *, session: Session) -> Directory:
        with self._cond:
            if self._directory is not None and time.monotonic() - self._checked_at < self.recheck_seconds:
                return self._directory
        version = _read_version(session)
        if version is None:
            return _load(session)
        with self._cond:
            if self._directory is not None:
                self._checked_at = time.monotonic()
                if version != self._version and not self._loading:
                    self._reload_in_background(session)
                return self._directory  # this version, or the previous one while the new one loads
            while self._loading:  # cold, and another thread is loading: wait for its directory
                self.waiting += 1
                self._cond.notify_all()  # (lets a test see who is waiting)
                try:
                    self._cond.wait()
                finally:
                    self.waiting -= 1
                if self._directory is not None:
                    return self._directory
            self._loading = True  # this thread loads (first, or after a failed load)
            generation = self._generation
        try:
            directory = _load(session)
        except BaseException:
            self._failed(generation)  # a waiter tries in its turn
            raise
        self._install(version, directory, generation)
        return directory

    def _reload_in_background(self, session: Session) -> None:
        """Start loading the new version (called holding the lock)."""
        bind = session.get_bind()
        engine = getattr(bind, "engine", bind)
        self._loading = True
        thread = threading.Thread(
            target=self._background, args=(engine, self._generation), name="directory-reload", daemon=True
        )
        thread.start()

    def _background(self, engine, generation: int) -> None:
        try:
            with Session(engine) as session:
                version = _read_version(session)  # read first: the data read next is at least this new
                directory = _load(session)
        except Exception as exc:  # the previous directory keeps serving; the next check tries again
            log.warning("could not reload the directory in the background (%s); keeping the previous one",
                        type(exc).__name__)
            self._failed(generation)
            return
        self._install(version, directory, generation)

    def _install(self, version: str | None, directory: Directory, generation: int) -> None:
        with self._cond:
            if generation != self._generation:  # forget() was called meanwhile: this load may predate a change
                return
            self._loading = False
            if version is not None:
                self._version, self._directory, self._checked_at = version, directory, time.monotonic()
                self.loads += 1
            self._cond.notify_all()

    def _failed(self, generation: int) -> None:
        with self._cond:
            if generation == self._generation:
                self._loading = False
                self._cond.notify_all()

    @property
    def reloading(self) -> bool:
        """A newer version is being loaded while the previous one serves."""
        with self._cond:
            return self._loading and self._directory is not None

    def wait_for_reload(self, timeout: float) -> Directory | None:
        """Wait (at most `timeout` seconds) for a background reload to finish; the directory then current."""
        with self._cond:
            self._cond.wait_for(lambda: not self._loading, timeout=timeout)
            return self._directory

    def warm(self, engine) -> None:
        """Load the directory now (a server process starting), so no request waits for it: every US state's
        roster takes a second or more, on a Slack budget of three. A failure is logged; the first request loads."""
        try:
            with Session(engine) as session:
                self.get(session=session)
        except Exception as exc:  # the database may not be up yet: requests will load it
            log.warning("could not load the directory at start (%s); the first request will", type(exc).__name__)

    def forget(self) -> None:
        """Reload on the next request (after this process changed the roster itself)."""
        with self._cond:
            self._directory, self._version, self._checked_at = None, None, float("-inf")
            self._generation += 1
            self._loading = False
            self._cond.notify_all()


def _read_version(session: Session) -> str | None:
    table = models.Meta.__table__  # type: ignore[attr-defined]
    return session.connection().execute(select(table.c.value).where(table.c.key == VERSION_KEY)).scalar()


def _load(session: Session) -> Directory:
    """The directory with its index built (the index is what requests read), the collector paused meanwhile; a
    big one is then kept out of the collector's way for as long as it lives."""
    with gc_paused():
        directory = load_directory(session=session)
        directory.index  # noqa: B018 - built now, by the loader, not by the first request to need it
    rows = len(directory.people) + len(directory.districts) + len(directory.memberships) + len(directory.network_roles)
    if rows >= LONG_LIVED_ROWS:
        keep_out_of_collections()
    return directory
