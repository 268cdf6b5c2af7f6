"""The roster: who is who in the network, imported from one file into the directory tables.

Three file forms describe the same roster and are read into the same records, then validated once:

YAML (``roster.yaml``)::

    organization: Missouri Model Districts            # required
    people:                                           # everyone the roster mentions, once
      - {email: pat.fac@rpdc.example, name: Pat Facilitator, slack_id: U01FAC001, away_until: 2025-01-31}
    teams:
      - name: Cadre 1
        zone: Developing           # optional: Early, Developing, Initial implementation, Full implementation, New
        region: East               # optional: East, West
        facilitator: pat.fac@rpdc.example     # or {person: ..., expertise: [...], fte: ..., home_center: ...}
        members:
          - {person: m.one@rpdc.example, expertise: [Leadership, Data], fte: 0.5, fte_available: 0.25,
             home_center: Southeast RPDC, fit: 0.8}
          - m.two@rpdc.example                # a bare reference: no expertise, FTE 0
    districts:
      - {name: Sikeston R-6, team: Cadre 1, zone: Initial implementation, region: East,
         center: Southeast RPDC, staff: [supt@sikeston.example]}
    leads: [lead.one@dese.example]            # in order: the first lead is asked first
    management_team: [mgmt.one@dese.example]
    state_contacts:                           # fte: the allocation trainers are committed against
      - {person: cw.one@dese.example, expertise: [Special Education], fte: 1.0,
         trainers: [m.one@rpdc.example]}      # optional: whom they can assign besides themselves
    support_team:                             # on no team: a trainer candidate for every team
      - {person: sped.one@rpdc.example, expertise: [Special Education], fte: 0.5, fte_available: 0.2,
         home_center: Southeast RPDC}
    admins: [U01ADMIN1]
    channels:
      summaries: [C0SUMMARY1]                 # purposes: store.directory.ChannelPurpose
      minutes: C0MINUTES1
    audiences:                                # who the monthly summaries are for (a person may be in several)
      learning_services: [ls.one@dese.example]
      rpdc_directors:                         # also told when a training request reaches their center's RPDC
        - {person: director@southeast-rpdc.example, center: Southeast RPDC}
      area_supervisors:                       # one of region:, zone: or districts: [..]
        - {person: supervisor.east@dese.example, region: East}
      channels: {learning_services: [C0LEARNSV1]}   # an audience's own channels (purpose = the audience)

CSV: a directory (or any ``.csv`` in it) holding ``meta.csv`` (columns ``key,value``; one row
``organization,<name>``), ``people.csv`` (email, name, slack_id, away_until), ``teams.csv`` (name, zone,
region), ``members.csv`` (team, person, role = facilitator|member, expertise, fte, fte_available,
home_center, fit), ``districts.csv`` (name, team, zone, region, center, staff), ``roles.csv`` (role =
lead|management|state_contact|admin|support, person, expertise, fte, home_center, fte_available (support),
trainers (state contacts); order within a role is the order of the rows), ``channels.csv`` (purpose,
channel; an audience's channels have the audience as purpose) and ``audiences.csv`` (audience =
learning_services|rpdc_directors|area_supervisors, person, center, region, zone, districts). A list in a
cell is separated by ``;``. Headers are matched ignoring case and spacing ("Slack ID" is ``slack_id``). Every
sheet must exist, even if it has only its header (a missing sheet would otherwise deactivate everything it used
to hold),
except ``audiences``, which rosters written before it may leave out.

XLSX: one workbook with the same worksheets (names matched ignoring case), header in row 1.

Rules (a file breaking any of them is rejected whole, with every problem listed by line or sheet+row):

* A person has a name and an email or a Slack user id; emails (compared lower-case) and Slack ids are
  unique. Everyone a team, district or role refers to -- by email or by Slack id -- must be listed under
  ``people:``: the list is the one place a person is added, and a mistyped reference is an error rather
  than a new nameless person.
* Team and district names are unique, compared ignoring case, spacing and punctuation (so a district's
  ``team: cadre-1`` finds "Cadre 1"). A district without a team is allowed (a warning: its staff's
  questions have no facilitator yet).
* Expertise areas, zones and regions come from ``routing.vocabulary`` (matched ignoring case and
  punctuation, stored canonical); an unknown one is an error suggesting the closest. FTE, available FTE
  and fit are between 0 and 1, and available FTE is at most the FTE.
* Role rules, so every question has exactly one next tier: every team has exactly one facilitator;
  district staff hold no CST or network role (they are the CST's clients); a facilitator is not also a
  member of the same team; a member belongs to at most one team; a lead facilitator may facilitate a team
  but is not a plain member of one. (A facilitator may facilitate several teams, and management, state
  contacts and admins may also be team members.) The support team belongs to no team. A state contact's
  trainers and the audiences' members are people listed under ``people:``; an RPDC director's center is one
  that a district names; an area supervisor names one of a region, a zone (the vocabulary's) or districts the
  roster lists; learning services name no scope.

Importing (``import_roster``) makes the database match the file: rows are matched (people by email first,
then Slack id; teams and districts by name; memberships by team+person; staff by district+person; roles
by person+role; channels by purpose+id), updated when a value differs, added when new, and deactivated
(``active=False``, never deleted) when no longer in the file; a row that comes back is reactivated with the
same id. A person without a Slack id in the file keeps the one stored (found by an earlier lookup), else is
looked up by email when a lookup is given, else is reported as unresolved. Renaming a team or district
makes a new one (the old one is deactivated): names are their identity.
"""

from __future__ import annotations

from pathlib import Path

from routing.errors import CstbotError
from store.memory import gc_paused
from store.roster.model import Loc, Problem, RawRoster, Roster, RosterError
from store.roster.sheets import read_csv_dir, read_xlsx, write_csv, write_xlsx
from store.roster.sync import (
    Change,
    ImportReport,
    Lookup,
    LookupFailed,
    Progress,
    Unresolved,
    import_roster,
    people_to_look_up,
    sync_roster,
)
from store.roster.validate import build
from store.roster.yamlform import read_yaml

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx", ".csv": "csv"}


def read_raw(path: str | Path) -> RawRoster:
    """Read a roster file of any form without validating it. Unreadable paths raise a one-line error."""
    path = Path(path)
    if not path.exists():
        raise CstbotError(f"no such file or directory: {path}")
    form = "csv" if path.is_dir() else SUFFIXES.get(path.suffix.lower())
    if form is None:
        raise CstbotError(
            f"cannot read a roster from {path}: use a .yaml/.yml file, an .xlsx workbook, or a directory of .csv sheets"
        )
    if form == "csv":
        return read_csv_dir(path)
    if form == "xlsx":
        return read_xlsx(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CstbotError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise CstbotError(f"cannot read {path}: {exc.strerror}") from None
    return read_yaml(text, source=str(path))


def read_roster(path: str | Path, *, progress: Progress | None = None) -> Roster:
    """Read and validate a roster file. Raises RosterError listing every problem."""
    with gc_paused():  # hundreds of thousands of records and cells, none of them garbage
        if progress:
            progress("reading")
        raw = read_raw(path)
        if progress:
            progress("checking")
        return build(raw)


def parse_yaml(text: str, *, source: str = "<roster>") -> Roster:
    """Validate YAML roster text (for tests and tools)."""
    return build(read_yaml(text, source=source))


__all__ = [
    "Change",
    "ImportReport",
    "Loc",
    "Lookup",
    "LookupFailed",
    "Problem",
    "Progress",
    "Roster",
    "RosterError",
    "Unresolved",
    "build",
    "import_roster",
    "parse_yaml",
    "people_to_look_up",
    "read_raw",
    "read_roster",
    "sync_roster",
    "write_csv",
    "write_xlsx",
]
