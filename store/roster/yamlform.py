"""Read the YAML roster into raw records, keeping the line of every value.

The file is composed (not loaded) so every node keeps its marks; scalars are taken as their text
(`name: No` stays "No", `slack_id: 012` stays "012") and typed later by the validator, exactly like a
sheet cell. Duplicate keys, which a YAML loader silently overwrites, are reported.

The long sections (people, teams, districts, the role lists) are streamed: each entry is composed, turned into
a record and dropped, so the file's node tree (about 25 times the file's size in memory: 400 MB for every US
state's roster) never exists whole. Events come from libyaml's C parser when PyYAML has it (`yaml.CSafeLoader`),
composed by PyYAML's own composer, so anchors, aliases and every error message stay YAML's.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml
from yaml.composer import Composer
from yaml.events import MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from routing.vocabulary import suggest
from store.roster.model import Cell, Loc, Problem, RawRoster, Record

NULL_TAG = "tag:yaml.org,2002:null"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})  # plain scalars YAML 1.1 reads as null (yaml.resolver)

try:  # libyaml's parser (PyYAML built with it): about five times faster than the pure-Python one
    from yaml._yaml import CParser

    class _Loader(CParser, Composer, Resolver):  # type: ignore[misc]
        """Events from the C parser, composed one node at a time by PyYAML's composer."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            Resolver.__init__(self)

        def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
            """Only whether a scalar is null matters here (every other value is kept as its text): YAML's own
            rule for that, without trying every other implicit type (a sixth of the read)."""
            if kind is ScalarNode:
                return NULL_TAG if implicit[0] and value in _NULLS else "tag:yaml.org,2002:str"
            return Resolver.resolve(self, kind, value, implicit)

        def descend_resolver(self, current_node: Node | None, current_index: object) -> None:
            pass  # path resolvers: none are registered

        def ascend_resolver(self) -> None:
            pass

except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader  # type: ignore[misc,assignment]


ROLE_SECTIONS = {"leads": "lead", "management_team": "management", "state_contacts": "state_contact", "admins": "admin"}
SECTIONS = ("organization", "people", "teams", "districts", *ROLE_SECTIONS, "channels")
STREAMED = frozenset({"people", "teams", "districts", *ROLE_SECTIONS})  # list sections read entry by entry
PERSON_KEYS = ("email", "name", "slack_id", "away_until")
TEAM_KEYS = ("name", "zone", "region", "facilitator", "members")
MEMBER_KEYS = ("person", "expertise", "fte", "fte_available", "home_center", "fit")
DISTRICT_KEYS = ("name", "team", "zone", "region", "center", "staff")
ROLE_KEYS = ("person", "expertise", "fte", "home_center")


class _Reader:
    def __init__(self, source: str) -> None:
        self.raw = RawRoster(source=source, form="yaml")
        self._locs: dict[int, Loc] = {}  # one Loc per line, shared by the line's cells (a person is one line)
        self._sections: dict[str, Node] = {}  # section name -> its key node (the first occurrence)

    def loc(self, node: Node) -> Loc:
        line = node.start_mark.line + 1
        found = self._locs.get(line)
        if found is None:
            found = self._locs[line] = Loc(self.raw.source, form="yaml", line=line)
        return found

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
            self._read(_Loader(text))
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

    def _read(self, loader: _Loader) -> None:
        """The document, section by section, in file order; what `yaml.compose` would check, checked too."""
        loader.get_event()  # stream start
        if loader.check_event(StreamEndEvent):
            self.raw.problems.append(Problem(self.raw.loc, "the file is empty"))
            return
        loader.get_event()  # document start
        if not loader.check_event(MappingStartEvent) or loader.peek_event().anchor is not None:
            root = loader.compose_node(None, None)
            self._end_document(loader, root.start_mark)
            if not isinstance(root, MappingNode):
                self.error(root, "the top level must be a mapping: organization:, people:, teams:, districts:, ...")
                return
            for key_node, value in root.value:
                self._section(key_node, lambda value=value: value, loader=None)
            return
        start = loader.get_event()
        while not loader.check_event(MappingEndEvent):
            key_node = loader.compose_node(None, None)
            self._section(key_node, lambda: loader.compose_node(None, None), loader=loader)
        loader.get_event()
        self._end_document(loader, start.start_mark)

    def _end_document(self, loader: _Loader, root_mark) -> None:
        loader.get_event()  # document end
        if not loader.check_event(StreamEndEvent):
            event = loader.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream", root_mark, "but found another document", event.start_mark
            )
        loader.get_event()

    def _section(self, key_node: Node, value: Callable[[], Node], *, loader: _Loader | None) -> None:
        """One top-level entry. `value` composes its value; with a `loader`, a list section is streamed instead,
        one entry at a time (an anchored list is composed whole, so its anchor can be referred to)."""
        key = self._section_key(key_node)
        streamable = (
            loader is not None
            and key in STREAMED
            and loader.check_event(SequenceStartEvent)
            and loader.peek_event().anchor is None
        )
        if not streamable:
            node = value()
            if key is not None:
                self._section_items(key, key_node, self.sequence(node, key) if key in STREAMED else node)
            return
        loader.get_event()
        self._section_items(key, key_node, _items(loader))

    def _section_key(self, key_node: Node) -> str | None:
        """The section's name, or None (reported) for a key that is not a name, a duplicate or unknown."""
        if not isinstance(key_node, ScalarNode):
            self.error(key_node, "a key in the roster must be a name")
            return None
        key = key_node.value
        if key in self._sections:
            first = self._sections[key]
            self.error(key_node, f"duplicate key {key!r} in the roster (also at line {first.start_mark.line + 1})")
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
                self.add("roles", self.ref_record(node, f"an entry of {key}", role=role))
        elif key == "channels":
            self.channels(value)

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


def _items(loader: _Loader):
    """The entries of the list whose start event was just read, composed one at a time."""
    while not loader.check_event(SequenceEndEvent):
        yield loader.compose_node(None, None)
    loader.get_event()


def read_yaml(text: str, *, source: str = "<roster>") -> RawRoster:
    return _Reader(source).read(text)
