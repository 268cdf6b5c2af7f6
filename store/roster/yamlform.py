"""Read the YAML roster into raw records, keeping the line of every value.

The file is composed (not loaded) so every value keeps its line; scalars are taken as their text
(`name: No` stays "No", `slack_id: 012` stays "012") and typed later by the validator, exactly like a
sheet cell. Duplicate keys, which a YAML loader silently overwrites, are reported.

The long sections (people, teams, districts, the role lists) are streamed: each entry is composed, turned into
a record and dropped, so the file's node tree (about 25 times the file's size as PyYAML nodes: 400 MB for every US
state's roster) never exists whole. Events come from libyaml's C parser when PyYAML has it; they are composed
here into light nodes (tuples: what the reader uses of a node, its kind, text or items, line and whether YAML
reads it as null), following `yaml.composer`: anchors, aliases and the single-document rule behave as YAML's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from routing.vocabulary import suggest
from store.roster.model import Cell, Loc, Problem, RawRoster, Record

try:  # libyaml's parser (PyYAML built with it): about five times faster than the pure-Python one
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Parser = yaml.SafeLoader  # type: ignore[misc,assignment]

NULL_TAG = "tag:yaml.org,2002:null"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})  # plain scalars YAML 1.1 reads as null (yaml.resolver)

# A composed node: (kind, value, line, null). SCALAR: value is its text, null whether YAML reads it as null;
# SEQUENCE: value is the list of items; MAPPING: value is the list of (key, value) pairs. line is 1-based.
Node = tuple[int, Any, int, bool]
SCALAR, SEQUENCE, MAPPING = 0, 1, 2


class _Composer:
    """`yaml.composer.Composer`'s rules over parser events, building light nodes (one entry at a time when
    streaming). Only whether a scalar is null is resolved: every other value is kept as its text."""

    def __init__(self, text: str) -> None:
        self.parser = _Parser(text)
        self.get = self.parser.get_event
        self.anchors: dict[str, tuple[Node, Any]] = {}  # anchor -> (node, mark of its first occurrence)

    def node(self, event: Any) -> Node:
        """The node that starts with `event` (already read), composed whole."""
        kind = type(event)
        if kind is AliasEvent:
            found = self.anchors.get(event.anchor)
            if found is None:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            return found[0]
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            raise ComposerError(f"found duplicate anchor {anchor!r}; first occurrence", self.anchors[anchor][1],
                                "second occurrence", event.start_mark)
        line = event.start_mark.line + 1
        if kind is ScalarEvent:
            tag = event.tag
            null = event.implicit[0] and event.value in _NULLS if tag is None or tag == "!" else tag == NULL_TAG
            node: Node = (SCALAR, event.value, line, null)
            if anchor is not None:
                self.anchors[anchor] = (node, event.start_mark)
            return node
        items: list = []
        node = (MAPPING if kind is MappingStartEvent else SEQUENCE, items, line, False)
        if anchor is not None:
            self.anchors[anchor] = (node, event.start_mark)
        get, compose = self.get, self.node
        if kind is MappingStartEvent:
            while type(key := get()) is not MappingEndEvent:
                items.append((compose(key), compose(get())))
        else:
            while type(item := get()) is not SequenceEndEvent:
                items.append(compose(item))
        return node

    def items(self) -> Iterator[Node]:
        """The entries of the sequence whose start event was just read, composed one at a time."""
        while type(event := self.get()) is not SequenceEndEvent:
            yield self.node(event)

    def peek(self) -> Any:
        return self.parser.peek_event()


ROLE_SECTIONS = {
    "leads": "lead",
    "management_team": "management",
    "state_contacts": "state_contact",
    "admins": "admin",
    "support_team": "support",
}
SECTIONS = ("organization", "people", "teams", "districts", *ROLE_SECTIONS, "channels", "audiences")
STREAMED = frozenset({"people", "teams", "districts", *ROLE_SECTIONS})  # list sections read entry by entry
PERSON_KEYS = ("email", "name", "slack_id", "away_until")
TEAM_KEYS = ("name", "zone", "region", "facilitator", "members")
MEMBER_KEYS = ("person", "expertise", "fte", "fte_available", "home_center", "fit")
DISTRICT_KEYS = ("name", "team", "zone", "region", "center", "staff")
ROLE_KEYS = ("person", "expertise", "fte", "home_center")
SECTION_KEYS = {  # the role sections whose entries have more than ROLE_KEYS
    "state_contacts": (*ROLE_KEYS, "trainers"),
    "support_team": ("person", "expertise", "fte", "fte_available", "home_center"),
}
# An entry of an audience (`audiences.rpdc_directors: [{person, center}]`, `area_supervisors: [{person, region}]`).
AUDIENCE_KEYS = ("person", "center", "region", "zone", "districts")


class _Reader:
    def __init__(self, source: str) -> None:
        self.raw = RawRoster(source=source, form="yaml")
        self._locs: dict[int, Loc] = {}  # one Loc per line, shared by the line's cells (a person is one line)
        self._sections: dict[str, Node] = {}  # section name -> its key node (the first occurrence)

    def loc(self, node: Node) -> Loc:
        line = node[2]
        found = self._locs.get(line)
        if found is None:
            found = self._locs[line] = Loc(self.raw.source, form="yaml", line=line)
        return found

    def error(self, node: Node, message: str) -> None:
        self.raw.problems.append(Problem(self.loc(node), message))

    def cell(self, node: Node) -> Cell:
        kind = node[0]
        if kind == SCALAR:
            return Cell(None if node[3] else node[1], self.loc(node))
        if kind == SEQUENCE:
            return Cell([self.cell(item) for item in node[1]], self.loc(node))
        return Cell({k: self.cell(v) for k, (_, v) in self.mapping(node, "value").items()}, self.loc(node))

    def mapping(self, node: Node, what: str, keys: tuple[str, ...] | None = None) -> dict[str, tuple[Node, Node]]:
        """A mapping's entries by key text; unknown and duplicate keys are reported and dropped."""
        out: dict[str, tuple[Node, Node]] = {}
        if node[0] != MAPPING:
            self.error(node, f"{what} must be a mapping (key: value)")
            return out
        for key_node, value_node in node[1]:
            if key_node[0] != SCALAR:
                self.error(key_node, f"a key in {what} must be a name")
                continue
            key = key_node[1]
            if key in out:
                self.error(key_node, f"duplicate key {key!r} in {what} (also at line {out[key][0][2]})")
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
        if node[0] == SCALAR and node[3]:
            return []
        if node[0] != SEQUENCE:
            self.error(node, f"{what} must be a list")
            return []
        return list(node[1])

    def record(self, node: Node, what: str, keys: tuple[str, ...], **extra: Cell) -> Record | None:
        """A record from a mapping; None (reported) for anything else."""
        if node[0] != MAPPING:
            self.error(node, f"{what} must be a mapping (key: value)")
            return None
        rec = Record(self.loc(node), dict(extra))
        for key, (_, value) in self.mapping(node, what, keys).items():
            rec.cells[key] = self.cell(value)
        return rec

    def ref_record(
        self, node: Node, what: str, keys: tuple[str, ...] | None = None, **extra: Cell
    ) -> Record | None:
        """A person given by reference alone (`- a@b.example`) or as a mapping with `person:` and details."""
        if node[0] == SCALAR:
            return Record(self.loc(node), {"person": self.cell(node), **extra})
        return self.record(node, what, keys or (MEMBER_KEYS if "team" in extra else ROLE_KEYS), **extra)

    def add(self, sheet: str, record: Record | None) -> None:
        if record is not None:
            self.raw.records[sheet].append(record)

    # --- sections ---------------------------------------------------------------------------------------
    def read(self, text: str) -> RawRoster:
        try:
            self._read(_Composer(text))
        except yaml.YAMLError as exc:
            # As if the file had been composed whole first: a syntax error is the only problem reported.
            self.raw = RawRoster(source=self.raw.source, form="yaml")
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

    def _read(self, yml: _Composer) -> None:
        """The document, section by section, in file order; what `yaml.compose` would check, checked too."""
        yml.get()  # stream start
        event = yml.get()
        if type(event) is StreamEndEvent:
            self.raw.problems.append(Problem(self.raw.loc, "the file is empty"))
            return
        root_event = yml.get()  # after the document start
        if type(root_event) is not MappingStartEvent or root_event.anchor is not None:
            root = yml.node(root_event)
            self._end_document(yml, root_event.start_mark)
            if root[0] != MAPPING:
                self.error(root, "the top level must be a mapping: organization:, people:, teams:, districts:, ...")
                return
            for key_node, value in root[1]:
                self._section(yml, key_node, value)
            return
        while type(event := yml.get()) is not MappingEndEvent:
            self._section(yml, yml.node(event), None)
        self._end_document(yml, root_event.start_mark)

    def _end_document(self, yml: _Composer, root_mark: Any) -> None:
        yml.get()  # document end
        event = yml.get()
        if type(event) is not StreamEndEvent:
            raise ComposerError(
                "expected a single document in the stream", root_mark, "but found another document", event.start_mark
            )

    def _section(self, yml: _Composer, key_node: Node, value: Node | None) -> None:
        """One top-level entry: `value` when already composed, else read next from `yml`, a list section one
        entry at a time (an anchored list is composed whole, so its anchor can be referred to)."""
        key = self._section_key(key_node)
        if value is None:
            event = yml.peek()
            if key in STREAMED and type(event) is SequenceStartEvent and event.anchor is None:
                yml.get()
                self._section_items(key, key_node, yml.items())
                return
            value = yml.node(yml.get())
        if key is not None:
            self._section_items(key, key_node, self.sequence(value, key) if key in STREAMED else value)

    def _section_key(self, key_node: Node) -> str | None:
        """The section's name, or None (reported) for a key that is not a name, a duplicate or unknown."""
        if key_node[0] != SCALAR:
            self.error(key_node, "a key in the roster must be a name")
            return None
        key = key_node[1]
        if key in self._sections:
            first = self._sections[key]
            self.error(key_node, f"duplicate key {key!r} in the roster (also at line {first[2]})")
            return None
        if key not in SECTIONS:
            hint = suggest(key, SECTIONS)
            self.error(
                key_node,
                f"unknown key {key!r} in the roster: "
                + (f"did you mean {hint!r}?" if hint else f"use {', '.join(SECTIONS)}"),
            )
            return None
        self._sections[key] = key_node
        return key

    def _section_items(self, key: str, key_node: Node, value) -> None:
        if key == "organization":
            self.raw.organization = self.cell(value)
        elif key == "people":
            for node in value:
                self.add("people", self.record(node, "a person", PERSON_KEYS))
        elif key == "teams":
            for node in value:
                self.team(node)
        elif key == "districts":
            for node in value:
                self.add("districts", self.record(node, "a district", DISTRICT_KEYS))
        elif key in ROLE_SECTIONS:
            role = Cell(ROLE_SECTIONS[key], self.loc(key_node))
            for node in value:
                self.add("roles", self.ref_record(node, f"an entry of {key}", SECTION_KEYS.get(key), role=role))
        elif key == "channels":
            self.channels(value)
        elif key == "audiences":
            self.audiences(value)

    def team(self, node: Node) -> None:
        if node[0] != MAPPING:
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
            if fac[0] == SCALAR and fac[3]:
                pass  # `facilitator:` left empty: reported as a team with no facilitator
            elif fac[0] == SEQUENCE:
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
            single = value[0] == SCALAR and not value[3]
            ids = [value] if single else self.sequence(value, f"channels.{purpose}")
            for item in ids:
                self.raw.records["channels"].append(
                    Record(self.loc(item), {"purpose": Cell(purpose, self.loc(key_node)), "channel": self.cell(item)})
                )

    def audiences(self, node: Node) -> None:
        """`audiences: {rpdc_directors: [{person, center}], ...}`: one record per entry, its audience in a cell;
        `audiences.channels: {learning_services: [C...]}`: channel records whose purpose is the audience."""
        for audience, (key_node, value) in self.mapping(node, "audiences").items():
            if audience == "channels":
                self.channels(value)
                continue
            name = Cell(audience, self.loc(key_node))
            for item in self.sequence(value, f"audiences.{audience}"):
                what = f"an entry of audiences.{audience}"
                self.add("audiences", self.ref_record(item, what, AUDIENCE_KEYS, audience=name))


def read_yaml(text: str, *, source: str = "<roster>") -> RawRoster:
    return _Reader(source).read(text)
