"""`cstbot roster import FILE` and `cstbot roster show`: load the roster file, print the directory."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

import store.models  # noqa: F401  (registers every table)
from bot.cli.progress import ProgressBar
from bot.settings import Settings, load_settings
from routing.directory import Directory, Person, Role
from routing.errors import CstbotError
from store.db import make_engine
from store.directory import load_channels, load_directory
from templates import render_text

if TYPE_CHECKING:
    from store.roster import Lookup


# Slack errors after which every further lookup would fail the same way.
FATAL_SLACK_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "ekm_access_denied",
        "not_allowed_token_type",
        "team_access_not_granted",
    }
)


def register(sub: argparse._SubParsersAction) -> None:
    roster = sub.add_parser("roster", help="import and show the roster (people, teams, districts, roles)")
    rsub = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    imp = rsub.add_parser(
        "import",
        help="make the directory match a roster file (YAML, XLSX, or a directory of CSV sheets)",
        description="Add, update and deactivate people, teams, districts, roles and channels to match FILE. "
        "A file with any problem changes nothing; every problem is listed. People without a Slack id are "
        "looked up by email when SLACK_BOT_TOKEN is set.",
    )
    imp.add_argument("file", metavar="FILE", help="roster.yaml, roster.xlsx, or a directory of CSV sheets")
    imp.add_argument("--dry-run", action="store_true", help="validate and list what would change; write nothing")
    imp.set_defaults(func=import_command)
    trial = rsub.add_parser(
        "try",
        help="try cstbot in a real workspace alone: play a person of each role of the example roster",
        description="Import the example roster and bind one person per role (district staff, CST member, CST "
        "facilitator, lead facilitator, management, state trainer-match contact, admin: one team, one district) "
        "to your Slack account, so you can ask, receive, escalate, answer, log and submit as each of them. Every "
        "message says which role it is for. --undo removes exactly what it did.",
    )
    who = trial.add_mutually_exclusive_group(required=True)
    who.add_argument("--me", metavar="SLACK_ID", help="your Slack member id (profile, ⋮ menu, Copy member ID)")
    who.add_argument("--undo", action="store_true", help="remove the binding and what the trial imported")
    trial.add_argument("--as", dest="roles", metavar="ROLES",
                       help="comma-separated: district,member,facilitator,lead,management,state,admin (default: all)")
    trial.add_argument("--roster", type=Path, metavar="FILE", help="roster file (default: examples/roster.yaml)")
    trial.set_defaults(func=try_command)
    export = rsub.add_parser(
        "export",
        help="write the roster the database holds, as a file `roster import` reads",
        description="Write the active people, teams, districts, roles, channels and audiences in the shapes "
        "`roster import` reads: YAML (standard output without --output), a directory of CSV sheets, or an XLSX "
        "workbook. Importing the export changes nothing; edit it and import it to make those edits.",
    )
    export.add_argument("--format", choices=("yaml", "csv", "xlsx"),
                        help="default: from --output's name (.xlsx, .yaml/.yml, else a CSV directory), else yaml")
    export.add_argument("--output", type=Path, metavar="PATH",
                        help="the file (yaml, xlsx) or directory (csv) to write; yaml may go to standard output")
    export.set_defaults(func=export_command)
    show = rsub.add_parser(
        "show",
        help="print the directory as the bot sees it",
        description="Print the directory: teams with their facilitator and members, districts with their staff, "
        "the network's roles and channels. --team and --district narrow it to one team or one district "
        "(names match ignoring case and punctuation).",
    )
    show.add_argument("--all", action="store_true", help="include deactivated rows")
    show.add_argument("--team", metavar="NAME", help="only this team: its facilitator, members and districts")
    show.add_argument("--district", metavar="NAME", help="only this district: its staff, and its team")
    show.set_defaults(func=show_command)


def import_command(args: argparse.Namespace) -> int:
    from store.roster import import_roster, read_roster
    from store.roster.sync import STEPS

    settings = load_settings()
    with ProgressBar(STEPS) as progress:  # on a terminal only: a big roster takes a while
        roster = read_roster(args.file, progress=progress)  # a bad file fails before the database is touched
        engine = open_engine(settings.database_url)
        try:
            report = import_roster(
                roster, engine=engine, lookup=slack_lookup(settings), dry_run=args.dry_run, progress=progress
            )
        finally:
            engine.dispose()
    # A real import lists its edits (additions are only counted); a dry run lists everything it would do.
    listed = [c for c in report.changes if report.dry_run or c.action != "added"]
    print(
        render_text(
            "cli/roster_import.txt.j2",
            report=report,
            listed=listed,
            signs=SIGNS,
            lookup_configured=_has_token(settings),
        )
    )
    return 0


def export_command(args: argparse.Namespace) -> int:
    from store.roster import export

    form = export.format_of(args.output, args.format)
    if args.output is None and form != "yaml":
        raise CstbotError(f"--format {form} writes {'a directory' if form == 'csv' else 'a file'}: "
                          f"give it with --output PATH")
    if args.output is not None and form == "csv" and args.output.exists() and not args.output.is_dir():
        raise CstbotError(f"{args.output} is a file: --format csv writes a directory of sheets")
    settings = load_settings()
    engine = open_engine(settings.database_url)
    try:
        with Session(engine) as session:
            roster = export.roster_from_db(session=session)
    finally:
        engine.dispose()
    if not roster.organization:
        raise CstbotError("the database holds no roster yet: import one with `cstbot roster import FILE`")
    header = render_text("cli/roster_export_header.txt.j2", organization=roster.organization).splitlines()
    if args.output is None:
        print(export.yaml_text(roster, header=header), end="")
        return 0
    try:
        written = export.write(roster, form, args.output, header=header)
    except OSError as exc:
        raise CstbotError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(render_text("cli/roster_export.txt.j2", roster=roster, form=form, output=args.output, written=written))
    return 0


SIGNS = {"added": "+", "updated": "~", "reactivated": "^", "deactivated": "-"}


def show_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = open_engine(settings.database_url)
    try:
        with Session(engine) as session:
            directory = load_directory(session=session)
            channels = load_channels(session=session, include_inactive=args.all)
            view = roster_view(
                directory,
                [{"purpose": c.purpose, "channel_id": c.channel_id, "active": c.active} for c in channels],
                include_inactive=args.all,
                team=args.team,
                district=args.district,
            )
    finally:
        engine.dispose()
    print(render_text("cli/roster_show.txt.j2", **view))
    return 0


def try_command(args: argparse.Namespace) -> int:
    """`roster try --me SLACK_ID [--as ROLES]` / `roster try --undo`: see store.roster.trial."""
    from datetime import datetime

    from bot.demo.scenario import find_example_roster
    from routing.protocol_file import load_protocol
    from store.roster import read_roster
    from store.roster.trial import parse_roles, start_trial, undo_trial

    settings = load_settings()
    if args.undo:
        engine = open_engine(settings.database_url)
        try:
            report = undo_trial(engine=engine)
        finally:
            engine.dispose()
        print(render_text("cli/roster_try_undo.txt.j2", report=report).rstrip())
        return 0
    roles = parse_roles(args.roles)
    path = args.roster or find_example_roster()
    if path is None:
        raise CstbotError("no examples/roster.yaml here: run it from the checkout, or pass --roster FILE")
    protocol = load_protocol(settings.cstbot_protocol)
    roster = read_roster(path)
    engine = open_engine(settings.database_url)
    try:
        report = start_trial(roster, engine=engine, slack_id=args.me, roles=roles,
                             today=datetime.now(protocol.timezone).date())
    finally:
        engine.dispose()
    print(render_text("cli/roster_try.txt.j2", report=report, label=protocol.label, source=path).rstrip())
    return 0


# --- database --------------------------------------------------------------------------------------------


def open_engine(url: str) -> Engine:
    """An engine on a database that holds the schema, or a one-line error saying what to do."""
    hint = "run `cstbot db upgrade` first"
    parsed = make_url(url)
    file_db = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if file_db and not Path(parsed.database).exists():  # do not leave an empty database file behind
        raise CstbotError(f"no database at {parsed.database}: {hint}")
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise CstbotError(f"cannot open the database {parsed.render_as_string(hide_password=True)}: {reason}") from None
    missing = [t for t in SQLModel.metadata.tables if t not in tables]  # every table the code uses
    if missing:
        engine.dispose()
        raise CstbotError(f"the database has no cstbot schema (missing table {missing[0]}): {hint}")
    return engine


# --- Slack lookup ----------------------------------------------------------------------------------------


def _has_token(settings: Settings) -> bool:
    token = settings.slack_bot_token
    return token is not None and bool(token.get_secret_value())


def slack_lookup(settings: Settings) -> Lookup | None:
    """email -> Slack user id through users.lookupByEmail, or None when no bot token is configured."""
    if not _has_token(settings):
        return None
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    from store.roster import LookupFailed

    client = WebClient(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))

    def lookup(email: str) -> str | None:
        try:
            response = client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error == "users_not_found":
                return None
            raise LookupFailed(error or str(exc), fatal=error in FATAL_SLACK_ERRORS) from exc
        except OSError as exc:  # connection refused, DNS, TLS: the same for every call
            raise LookupFailed(f"cannot reach Slack: {exc}", fatal=True) from exc
        user = response.get("user") or {}
        return user.get("id")

    return lookup


# --- show ------------------------------------------------------------------------------------------------


def _person(d: Directory, person_id: int) -> dict[str, Any]:
    p = d.person(person_id) or Person(id=person_id, name=f"person {person_id}", active=False)
    return {
        "name": p.name,
        "email": p.email,
        "slack_id": p.slack_id,
        "away_until": p.away_until.isoformat() if p.away_until else None,
        "active": p.active,
    }


def _fte(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def roster_view(
    directory: Directory,
    channels: list[dict[str, Any]],
    *,
    include_inactive: bool,
    team: str | None = None,
    district: str | None = None,
) -> dict[str, Any]:
    """The template's context: plain dicts and lists, inactive rows dropped unless `include_inactive`; only one
    team and/or one district (found by name) when `team` / `district` are given.

    Memberships and districts are grouped by team in one pass (every US state's roster: ~220,000 rows walked,
    once), not looked up team by team."""
    d = directory

    def shown(active: bool) -> bool:
        return include_inactive or active

    def membership(m) -> dict[str, Any]:
        return {
            "person": _person(d, m.person_id),
            "expertise": sorted(m.expertise),
            "fte": _fte(m.fte),
            "fte_available": _fte(m.fte_available),
            "home_center": m.home_center,
            "fit": _fte(m.fit),
            "active": m.active,
        }

    def district_row(x) -> dict[str, Any]:
        return {
            "name": x.name,
            "zone": x.zone,
            "region": x.region,
            "center": x.center,
            "active": x.active,
            "staff": [_person(d, pid) for pid in x.staff if shown(d.people[pid].active if pid in d.people else False)],
        }

    only_team = _find(d.teams.values(), team, "team", include_inactive) if team else None
    only_district = _find(d.districts.values(), district, "district", include_inactive) if district else None
    if only_team and only_district and only_district.team_id != only_team.id:
        raise CstbotError(f"district {only_district.name!r} is not on team {only_team.name!r}")
    if only_district is not None and only_team is None:
        home = d.teams.get(only_district.team_id) if only_district.team_id is not None else None
        only_team = home if home is not None and shown(home.active) else None
    shown_teams = [t for t in d.teams.values() if shown(t.active) and (only_team is None or t is only_team)]
    if only_district is not None:
        shown_districts = [only_district]
    else:
        shown_districts = [x for x in d.districts.values() if shown(x.active)]

    members_of: dict[int, list] = {}
    for m in d.memberships:
        if shown(m.active):
            members_of.setdefault(m.team_id, []).append(m)
    districts_of: dict[int | None, list] = {}
    for x in shown_districts:
        districts_of.setdefault(x.team_id, []).append(x)

    teams = [
        {
            "name": t.name,
            "zone": t.zone,
            "region": t.region,
            "active": t.active,
            "facilitators": [membership(m) for m in members_of.get(t.id, ()) if m.role == Role.FACILITATOR],
            "members": [membership(m) for m in members_of.get(t.id, ()) if m.role == Role.MEMBER],
            "districts": [district_row(x) for x in districts_of.get(t.id, ())],
        }
        for t in shown_teams
    ]
    unassigned = []
    if only_team is None:
        known_teams = {t.id for t in d.teams.values() if shown(t.active)}
        unassigned = [district_row(x) for x in shown_districts if x.team_id not in known_teams]

    filtered = team is not None or district is not None

    def holders(role: Role) -> list[dict[str, Any]]:
        if filtered:
            return []
        return [
            {
                **_person(d, r.person_id),
                "role_active": r.active,
                "expertise": sorted(r.expertise),
                "fte": _fte(r.fte),
                "fte_available": _fte(r.fte_available),
                "home_center": r.home_center,
                "trainers": [_person(d, t) for t in r.trainers],
            }
            for r in d.network_roles
            if r.role == role and shown(r.active)
        ]

    directors = [] if filtered else [
        {**_person(d, a.person_id), "role_active": a.active, "center": a.center}
        for a in d.audiences
        if a.audience == "rpdc_directors" and shown(a.active)
    ]

    if filtered:  # the people the view shows
        listed = [p for t in teams for group in ("facilitators", "members") for p in (m["person"] for m in t[group])]
        listed += [s for t in teams for x in t["districts"] for s in x["staff"]]
        listed += [s for x in unassigned for s in x["staff"]]
        people = list({(p["name"], p["email"], p["slack_id"]): p for p in listed}.values())
        no_slack = [p for p in people if not p["slack_id"]]
    else:
        people = [p for p in d.people.values() if shown(p.active)]
        no_slack = [_person(d, p.id) for p in people if not p.slack_id]
    return {
        "organization": d.organization,
        "include_inactive": include_inactive,
        "filtered": filtered,
        "only_team": only_team.name if team and only_team else None,
        "only_district": only_district.name if only_district else None,
        "teams": teams,
        "unassigned": unassigned,
        "district_count": sum(len(t["districts"]) for t in teams) + len(unassigned),
        "leads": holders(Role.LEAD),
        "management": holders(Role.MANAGEMENT),
        "state_contacts": holders(Role.STATE_CONTACT),
        "admins": holders(Role.ADMIN),
        "support": holders(Role.SUPPORT),
        "directors": directors,
        "channels": [] if filtered else channels,
        "no_slack": no_slack,
        "people_count": len(people),
    }


def _find(rows, name: str, kind: str, include_inactive: bool):
    """The team or district called `name` (ignoring case, spacing and punctuation), or a one-line error naming
    the closest one. An inactive one is shown only with --all."""
    from store.roster.validate import name_key

    wanted = name_key(name)
    rows = list(rows)
    matches = sorted((r for r in rows if name_key(r.name) == wanted), key=lambda r: not r.active)
    if matches and (matches[0].active or include_inactive):
        return matches[0]
    if matches:
        raise CstbotError(f"{kind} {matches[0].name!r} is no longer in the roster (inactive): add --all to show it")
    names = {name_key(r.name): r.name for r in rows if r.active or include_inactive}
    close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
    if close:
        raise CstbotError(f"unknown {kind} {name!r}: did you mean {names[close[0]]!r}?")
    raise CstbotError(f"unknown {kind} {name!r}: no {kind} has a name like it (`cstbot roster show` lists them)")
