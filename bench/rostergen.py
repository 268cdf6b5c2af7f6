"""A deterministic, fictional roster in the documented shape, as roster YAML (the form `cstbot roster import` reads).

    python bench/rostergen.py us > /tmp/us.yaml      # or: state, large; --districts N for a reduced copy

Sizes (DESIGN.md "Scale path"; issue 16):

| size  | teams | districts | people | network roles (leads, management, state contacts, admins) |
|-------|-------|-----------|--------|------------------------------------------------------------|
| state |     6 |        25 |     45 | 1, 1, 1, 1                                                 |
| large |    60 |     1,500 |  4,176 | 6, 4, 10, 2                                                |
| us    |   870 |    13,000 | 96,859 | 58, 20, 100, 5                                             |

Every team has one facilitator and members (state: 1-2, large: 3-5, us: 4-6); every district belongs to a team of
its state (except one in 997, which has none and is reported as a warning), and the remaining people are district
staff, spread evenly so the people count is exact. One person in 250 has no Slack id, one in 300 is away. Names,
emails and Slack ids are invented (``*.example`` domains). The same arguments always give the same text.

Imported by bench/bench_scale.py and by tests/store/test_roster_scale.py (a reduced copy, to compare importers).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, replace

EXPERTISE = (
    "Facilitator", "General Education", "Leadership", "Assessment", "Data", "Technology", "Special Education",
    "Early Childhood", "Social-Behavioral", "School Culture", "Academics", "Communication", "Accountability/MSIP",
    "Systems Change",
)  # routing.vocabulary.EXPERTISE_AREAS, repeated so this module imports nothing from the product
ZONES = ("Early", "Developing", "Initial implementation", "Full implementation", "New")
REGIONS = ("East", "West")
STATES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada",
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio", "Oklahoma",
    "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah",
    "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
)
FIRST = (
    "Avery", "Bruno", "Carmen", "Dmitri", "Esther", "Felix", "Gwen", "Hector", "Imani", "Jonas", "Kiona", "Lucia",
    "Marcus", "Nadia", "Oren", "Priya", "Quentin", "Rosa", "Samir", "Tamsin", "Uma", "Victor", "Wren", "Xavier",
    "Yolanda", "Zora", "Abel", "Beatrix", "Caleb", "Delia", "Emeka", "Farah", "Gideon", "Hana", "Ilse", "Joaquin",
)
LAST = (
    "Lindqvist", "Okafor", "Delacroix", "Haldane", "Nakamura", "Oyelaran", "Abernathy", "Villanueva", "Castellanos",
    "Whitfield", "Redfeather", "Ferreira", "Tobin", "Petrov", "Blackwood", "Raman", "Marsh", "Delgado", "Haddad",
    "Greer", "Whitcombe", "Ashdown", "Calloway", "Lund", "Price", "Kimathi", "Norquist", "Solano", "Strand",
)
TOWNS = (
    "Alder Creek", "Birchfield", "Cedar Bluff", "Dunmore", "Elm Hollow", "Fairhaven", "Glenrock", "Harrow",
    "Ironwood", "Juniper Flats", "Kettle Falls", "Larkspur", "Millbrook", "Northgate", "Oakridge", "Pine Valley",
    "Quarry Hill", "Redstone", "Silverlake", "Thornbury", "Upton", "Verona Springs", "Willow Bend", "Yarrow",
)
CENTERS = ("Northgate", "Lakeshore", "Bluffside", "Westmoor", "Stonebridge", "Prairie Hill", "Riverbend", "Summit")


@dataclass(frozen=True)
class Shape:
    teams: int
    districts: int
    people: int
    members: tuple[int, ...]  # members of team i: members[i % len(members)]
    leads: int
    management: int
    state_contacts: int
    admins: int
    states: int  # teams and districts are spread over this many states (names only)


SHAPES = {
    "state": Shape(6, 25, 45, (2, 2, 2, 2, 1, 1), 1, 1, 1, 1, 1),
    "large": Shape(60, 1_500, 4_176, (3, 4, 5), 6, 4, 10, 2, 1),
    "us": Shape(870, 13_000, 96_859, (4, 5, 6), 58, 20, 100, 5, 50),
}


def shape(size: str, *, districts: int | None = None) -> Shape:
    """The documented shape of `size`; with `districts`, the same shape scaled to that many districts."""
    base = SHAPES[size]
    if districts is None or districts == base.districts:
        return base
    f = districts / base.districts

    def scaled(n: int) -> int:
        return max(1, round(n * f))

    return replace(
        base,
        teams=scaled(base.teams),
        districts=districts,
        people=scaled(base.people),
        leads=scaled(base.leads),
        management=scaled(base.management),
        state_contacts=scaled(base.state_contacts),
        admins=scaled(base.admins),
        states=min(base.states, scaled(base.teams)),
    )


class _Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.people: list[str] = []
        self.count = 0

    def person(self, domain: str) -> tuple[str, str]:
        """A new person's line; returns (email, slack_id or "")."""
        n = self.count = self.count + 1
        first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
        email = f"{first}.{last}.{n}@{domain}".lower()
        slack = "" if n % 250 == 0 else f"U{n:08d}"
        fields = [f"email: {email}", f"name: {first} {last}"]
        if slack:
            fields.append(f"slack_id: {slack}")
        if n % 300 == 0:
            fields.append(f"away_until: 2027-0{1 + n % 9}-{10 + n % 18}")
        self.people.append("  - {" + ", ".join(fields) + "}")
        return email, slack

    def provider(self, email: str, *, member: bool) -> str:
        rng = self.rng
        areas = rng.sample(EXPERTISE, rng.randint(1, 3))
        fte = rng.choice((0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0))
        fields = [f"person: {email}", f"expertise: [{', '.join(areas)}]", f"fte: {fte:g}"]
        if member and rng.random() < 0.5:
            fields.append(f"fte_available: {rng.choice((0.0, 0.1, 0.2)):g}")
        fields.append(f"home_center: {rng.choice(CENTERS)} RPDC")
        if member and rng.random() < 0.4:
            fields.append(f"fit: {rng.choice((0.5, 0.7, 0.8, 0.9)):g}")
        return "{" + ", ".join(fields) + "}"


def generate(size: str = "state", *, districts: int | None = None, seed: int = 16) -> str:
    """The roster as YAML text."""
    s = shape(size, districts=districts)
    w = _Writer(seed)
    rng = w.rng
    q = json.dumps  # a JSON string is a valid YAML double-quoted scalar

    states = STATES[: s.states] if s.states > 1 else ("Riverland",)
    teams: list[str] = []
    team_names: list[str] = []
    team_state: list[int] = []
    team_zone: list[tuple[str, str]] = []
    for t in range(s.teams):
        st = t * len(states) // s.teams
        name = f"{states[st]} Team {t + 1}"
        zone, region = ZONES[t % len(ZONES)], REGIONS[(t // len(ZONES)) % 2]
        domain = f"{CENTERS[t % len(CENTERS)].lower().replace(' ', '')}-rpdc.example"
        fac, _ = w.person(domain)
        lines = [f"  - name: {q(name)}", f"    zone: {zone}", f"    region: {region}",
                 f"    facilitator: {w.provider(fac, member=False)}", "    members:"]
        for _ in range(s.members[t % len(s.members)]):
            email, _ = w.person(domain)
            lines.append(f"      - {w.provider(email, member=True)}")
        teams.append("\n".join(lines))
        team_names.append(name)
        team_state.append(st)
        team_zone.append((zone, region))

    roles: dict[str, list[str]] = {"leads": [], "management_team": [], "state_contacts": [], "admins": []}
    for key, count in (("leads", s.leads), ("management_team", s.management), ("state_contacts", s.state_contacts),
                       ("admins", s.admins)):
        for _ in range(count):
            email, slack = w.person("state-agency.example")
            if key == "state_contacts":
                areas = rng.sample(EXPERTISE, rng.randint(1, 3))
                roles[key].append(f"  - {{person: {email}, expertise: [{', '.join(areas)}], "
                                  f"fte: {rng.choice((0.5, 1.0)):g}}}")
            else:
                roles[key].append(f"  - {slack or email}" if key == "admins" else f"  - {email}")

    staff_total = s.people - w.count
    if staff_total < 0:
        raise ValueError(f"{size}: {s.people} people is fewer than the teams and roles need ({w.count})")
    base, extra = divmod(staff_total, s.districts)
    district_lines = []
    for d in range(s.districts):
        t = d * s.teams // s.districts
        town = TOWNS[d % len(TOWNS)]
        name = f"{town} R-{d + 1} ({states[team_state[t]]})"
        zone, region = team_zone[t]
        staff = [w.person(f"{town.lower().replace(' ', '')}{d + 1}.example")[0] for _ in range(base + (d < extra))]
        fields = [f"name: {q(name)}"]
        if d % 997 != 996:
            fields.append(f"team: {q(team_names[t])}")
        fields += [f"zone: {zone}", f"region: {region}", f"center: {CENTERS[t % len(CENTERS)]} RPDC",
                   f"staff: [{', '.join(staff)}]"]
        district_lines.append("  - {" + ", ".join(fields) + "}")

    out = [f"# Generated by bench/rostergen.py: size {size}, {s.districts} districts, seed {seed}. Fictional.",
           "organization: United Model Districts" if s.states > 1 else "organization: Riverland Model Districts",
           "people:", *w.people, "teams:", *teams, "districts:", *district_lines]
    for key, lines in roles.items():
        out += [f"{key}:", *lines] if lines else [f"{key}: []"]
    out += ["channels:", "  summaries: [C0SUMMARY1, C0SUMMARY2]", "  minutes: C0MINUTES1", "  updates: C0UPDATES1"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SHAPES))
    parser.add_argument("--districts", type=int, help="scale the shape to this many districts")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    sys.stdout.write(generate(args.size, districts=args.districts, seed=args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
