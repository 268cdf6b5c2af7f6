"""Read the YAML roster into raw records, keeping the line of every value.

The file is composed (not loaded) so every node keeps its marks; scalars are taken as their text
(`name: No` stays "No", `slack_id: 012` stays "012") and typed later by the validator, exactly like a
sheet cell. Duplicate keys, which a YAML loader silently overwrites, are reported.
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from routing.vocabulary import suggest
from store.roster.model import Cell, Loc, Problem, RawRoster, Record

# The C composer (when PyYAML was built with libyaml) is faster on big rosters; the marks are the same.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NULL_TAG = "tag:yaml.org,2002:null"

ROLE_SECTIONS = {"leads": "lead", "management_team": "management", "state_contacts": "state_contact", "admins": "admin"}
SECTIONS = ("organization", "people", "teams", "districts", *ROLE_SECTIONS, "channels")
PERSON_KEYS = ("email", "name", "slack_id", "away_until")
TEAM_KEYS = ("name", "zone", "region", "facilitator", "members")
MEMBER_KEYS = ("person", "expertise", "fte", "fte_available", "home_center", "fit")
DISTRICT_KEYS = ("name", "team", "zone", "region", "center", "staff")
ROLE_KEYS = ("person", "expertise", "fte", "home_center")


class _Reader:
    def __init__(self, source: str) -> None:
        self.raw = RawRoster(source=source, form="yaml")

    def loc(self, node: Node) -> Loc:
        return Loc(self.raw.source, form="yaml", line=node.start_mark.line + 1)

    def error(self, node: Node, message: str) -> None:
        self.raw.problems.append(Problem(self.loc(node), message))

    def cell(self, node: Node) -> Cell:
        if isinstance(node, ScalarNode):
            return Cell(None if node.tag == NULL_TAG else node.value, self.loc(node))
        if isinstance(node, SequenceNode):
            return Cell([self.cell(item) for item in node.value], self.loc(node))
        return Cell({k: self.cell(v) for k, (_, v) in self.mapping(node, "value").items()}, self.loc(node))

    def mapping(self, node: Node, what: str, keys: tuple[str, ...] | None = None) -> dict[str, tuple[Node, Node]]:
        """A mapping's entries by key text; unknown and duplicate keys are reported and dropped."""
        out: dict[str, tuple[Node, Node]] = {}
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping (key: value)")
            return out
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, f"a key in {what} must be a name")
                continue
            key = key_node.value
            if key in out:
                self.error(
                    key_node, f"duplicate key {key!r} in {what} (also at line {out[key][0].start_mark.line + 1})"
                )
                continue
            if keys is not None and key not in keys:
                hint = suggest(key, keys)
                self.error(
                    key_node,
                    f"unknown key {key!r} in {what}: "
                    + (f"did you mean {hint!r}?" if hint else f"use {', '.join(keys)}"),
                )
                continue
            out[key] = (key_node, value_node)
        return out

    def sequence(self, node: Node, what: str) -> list[Node]:
        if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
            return []
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list")
            return []
        return list(node.value)

    def record(self, node: Node, what: str, keys: tuple[str, ...], **extra: Cell) -> Record | None:
        """A record from a mapping; None (reported) for anything else."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping (key: value)")
            return None
        rec = Record(self.loc(node), dict(extra))
        for key, (_, value) in self.mapping(node, what, keys).items():
            rec.cells[key] = self.cell(value)
        return rec

    def ref_record(self, node: Node, what: str, **extra: Cell) -> Record | None:
        """A person given by reference alone (`- a@b.example`) or as a mapping with `person:` and details."""
        if isinstance(node, ScalarNode):
            return Record(self.loc(node), {"person": self.cell(node), **extra})
        return self.record(node, what, MEMBER_KEYS if "team" in extra else ROLE_KEYS, **extra)

    def add(self, sheet: str, record: Record | None) -> None:
        if record is not None:
            self.raw.records[sheet].append(record)

    # --- sections ---------------------------------------------------------------------------------------
    def read(self, text: str) -> RawRoster:
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
            if context and context_mark is not None and context_mark is not mark:
                context = f"{context} (from line {context_mark.line + 1})"
            detail = ": ".join(str(p) for p in (context, getattr(exc, "problem", None)) if p)
            loc = Loc(self.raw.source, form="yaml")
            if mark is not None:
                loc = Loc(self.raw.source, form="yaml", line=mark.line + 1, column=mark.column + 1)
            self.raw.problems.append(Problem(loc, f"YAML syntax error: {detail or exc}"))
            return self.raw
        if root is None:
            self.raw.problems.append(Problem(self.raw.loc, "the file is empty"))
            return self.raw
        if not isinstance(root, MappingNode):
            self.error(root, "the top level must be a mapping: organization:, people:, teams:, districts:, ...")
            return self.raw
        sections = self.mapping(root, "the roster", SECTIONS)
        for key, (key_node, value) in sections.items():
            if key == "organization":
                self.raw.organization = self.cell(value)
            elif key == "people":
                for node in self.sequence(value, "people"):
                    self.add("people", self.record(node, "a person", PERSON_KEYS))
            elif key == "teams":
                for node in self.sequence(value, "teams"):
                    self.team(node)
            elif key == "districts":
                for node in self.sequence(value, "districts"):
                    self.add("districts", self.record(node, "a district", DISTRICT_KEYS))
            elif key in ROLE_SECTIONS:
                role = Cell(ROLE_SECTIONS[key], self.loc(key_node))
                for node in self.sequence(value, key):
                    self.add("roles", self.ref_record(node, f"an entry of {key}", role=role))
            elif key == "channels":
                self.channels(value)
        return self.raw

    def team(self, node: Node) -> None:
        if not isinstance(node, MappingNode):
            self.error(node, "a team must be a mapping (name:, facilitator:, members: ...)")
            return
        entries = self.mapping(node, "a team", TEAM_KEYS)
        team = Record(self.loc(node))
        for key in ("name", "zone", "region"):
            if key in entries:
                team.cells[key] = self.cell(entries[key][1])
        self.raw.records["teams"].append(team)
        # The members' `team` is this very cell: a rejected team's members are then not reported again.
        name = team.cells.setdefault("name", Cell(None, team.loc))
        if "facilitator" in entries:
            fac = entries["facilitator"][1]
            if isinstance(fac, ScalarNode) and fac.tag == NULL_TAG:
                pass  # `facilitator:` left empty: reported as a team with no facilitator
            elif isinstance(fac, SequenceNode):
                self.error(fac, "facilitator must be one person (a team has one facilitator)")
            else:
                self.add(
                    "members",
                    self.ref_record(fac, "the facilitator", team=name, role=Cell("facilitator", self.loc(fac))),
                )
        if "members" in entries:
            for member in self.sequence(entries["members"][1], "members"):
                self.add(
                    "members",
                    self.ref_record(member, "a team member", team=name, role=Cell("member", self.loc(member))),
                )

    def channels(self, node: Node) -> None:
        for purpose, (key_node, value) in self.mapping(node, "channels").items():
            single = isinstance(value, ScalarNode) and value.tag != NULL_TAG
            ids = [value] if single else self.sequence(value, f"channels.{purpose}")
            for item in ids:
                self.raw.records["channels"].append(
                    Record(self.loc(item), {"purpose": Cell(purpose, self.loc(key_node)), "channel": self.cell(item)})
                )


def read_yaml(text: str, *, source: str = "<roster>") -> RawRoster:
    return _Reader(source).read(text)
