"""A roster of any size in the documented shape, and a Directory that counts how many roster entries are walked.

`scaled_directory(k)` is k copies of a one-state network (6 teams, 25 districts): the people the tests look at
(ids below) are the same at every size. `counted(directory)` wraps its roster (people, teams, districts,
memberships, network roles) in containers that add to `WALKED` every entry an iteration visits; lookups that
answer from the index walk none.
"""

from __future__ import annotations

from dataclasses import replace

from routing.directory import Directory, District, Membership, NetworkRole, Person, Role, Team

# The people tests look up (in the first copy): a facilitator, a member, district staff, a lead, an admin,
# a state contact, and someone the roster does not have.
FACILITATOR, MEMBER, STAFF, LEAD, ADMIN, STATE, STRANGER = 1, 2, 1000, 5, 6, 7, 10**9
TEAM, DISTRICT = 1, 1


def scaled_directory(copies: int) -> Directory:
    people: list[Person] = []
    teams, districts, memberships, roles = [], [], [], []
    people += [Person(LEAD, "Lee Lead", slack_id="ULEAD"), Person(ADMIN, "Ada Admin", slack_id="UADMIN"),
               Person(STATE, "Sam State", slack_id="USTATE")]
    roles += [NetworkRole(LEAD, Role.LEAD), NetworkRole(ADMIN, Role.ADMIN),
              NetworkRole(STATE, Role.STATE_CONTACT, frozenset({"Data"}), 1.0)]
    next_id = 10
    for c in range(copies):
        for t in range(6):
            team_id = c * 6 + t + 1
            teams.append(Team(team_id, f"Team {team_id}"))
            fac = FACILITATOR if team_id == TEAM else (next_id := next_id + 1)
            people.append(Person(fac, f"Facilitator {fac}", slack_id=f"UF{fac}"))
            memberships.append(Membership(fac, team_id, Role.FACILITATOR, frozenset({"Leadership"}), 0.5))
            for _ in range(2):
                member = MEMBER if team_id == TEAM and not any(m.person_id == MEMBER for m in memberships) else None
                member = member or (next_id := next_id + 1)
                people.append(Person(member, f"Member {member}", slack_id=f"UM{member}"))
                memberships.append(Membership(member, team_id, Role.MEMBER, frozenset({"Data"}), 0.25))
        for k in range(25):
            district_id = c * 25 + k + 1
            staff_id = STAFF if district_id == DISTRICT else 100_000 + district_id
            people.append(Person(staff_id, f"Staff {staff_id}", slack_id=f"US{staff_id}"))
            districts.append(District(district_id, f"District {district_id:06d}", c * 6 + k % 6 + 1,
                                      staff=(staff_id,)))
    return Directory.build(people=people, teams=teams, districts=districts, memberships=memberships,
                           network_roles=roles, organization="Scaled")


class Walked:
    entries = 0


WALKED = Walked()


class _Tuple(tuple):
    def __iter__(self):
        WALKED.entries += len(self)
        return tuple.__iter__(self)

    def __contains__(self, item):
        WALKED.entries += len(self)
        return tuple.__contains__(self, item)


class _Map(dict):
    def __iter__(self):
        WALKED.entries += len(self)
        return dict.__iter__(self)

    def values(self):
        WALKED.entries += len(self)
        return dict.values(self)

    def items(self):
        WALKED.entries += len(self)
        return dict.items(self)

    def keys(self):
        WALKED.entries += len(self)
        return dict.keys(self)


def counted(directory: Directory) -> Directory:
    """The same directory, its roster in counting containers (its index not built yet)."""
    return replace(
        directory,
        people=_Map(directory.people),
        teams=_Map(directory.teams),
        districts=_Map({k: replace(d, staff=_Tuple(d.staff)) for k, d in directory.districts.items()}),
        memberships=_Tuple(directory.memberships),
        network_roles=_Tuple(directory.network_roles),
    )


def walked(call) -> int:
    """How many roster entries `call()` walks."""
    before = WALKED.entries
    call()
    return WALKED.entries - before
