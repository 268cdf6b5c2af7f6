"""Protocol files: both shipped files load; a bad file is refused with every problem and its path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from routing import vocabulary
from routing.directory import Role
from routing.errors import ConfigError, ProtocolError
from routing.model import ItemKind
from routing.protocol import ProtocolBook, ResolverName, StageMode
from routing.protocol_file import load_protocol, parse_protocol
from tests.routing.helpers import PROTOCOL_FILES

DEFAULT_TEXT = load_protocol().text


def mutate(change) -> str:
    """The shipped file with `change(data)` applied, as YAML text."""
    data = yaml.safe_load(DEFAULT_TEXT)
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "test.yaml")
    return caught.value.problems


# --- the shipped files ---------------------------------------------------------------------------------------


def test_the_default_is_the_missouri_protocol():
    protocol = load_protocol()
    assert protocol.version == "missouri-cst-2017.3"
    assert protocol.timezone.key == "America/Chicago"
    question = protocol.chains[ItemKind.QUESTION]
    assert [t.name for t in question.tiers] == ["facilitator", "lead", "management"]
    assert question.entry == {
        Role.MEMBER: "facilitator",
        Role.DISTRICT_STAFF: "facilitator",
        Role.FACILITATOR: "lead",
        Role.LEAD: "management",
        Role.SUPPORT: "lead",  # the support team has no facilitator of its own
    }
    district = protocol.chains[ItemKind.DISTRICT]
    assert [t.name for t in district.tiers] == ["facilitator", "lead", "management"]  # continues up the question chain
    assert district.tiers[1] is question.tiers[1]
    training = protocol.training
    assert [(s.name, s.mode) for s in training.stages] == [
        ("own_team", StageMode.PICK),
        ("other_teams", StageMode.OFFERS),
        ("state", StageMode.OFFERS),
    ]
    assert training.last_resort is not None and training.last_resort.mode is StageMode.REFERRAL
    assert "RPDC" in training.last_resort.label
    assert training.last_resort.notify == "rpdc_directors"
    assert training.owners[0].name is ResolverName.TEAM_FACILITATOR
    assert (training.allocation.label, training.allocation.days_per_fte) == ("Collaborative Work FTE", 220)
    assert protocol.audience("rpdc_directors").singular == "RPDC director"
    assert protocol.audience("learning_services").label == "DESE Learning Services"
    assert protocol.activity_log == "DESE activity log system"
    assert protocol.label(Role.SUPPORT) == "CST support team member"


def test_the_words_a_protocol_leaves_out_have_neutral_defaults():
    protocol = load_protocol(PROTOCOL_FILES["linked-teams"])
    text = protocol.text.replace("  support: State trainer\n", "")
    text = text[: text.index("audiences:")] + text[text.index("chains:"):]
    bare = parse_protocol(text, "bare.yaml")
    assert bare.label(Role.SUPPORT) == "Support team member"
    assert bare.audience("rpdc_directors").label == "Regional center directors"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("notify: rpdc_directors", "notify: rpdc_director",
         "training.last_resort.notify: unknown audience 'rpdc_director': did you mean 'rpdc_directors'?"),
        ("days_per_fte: 220", "days_per_fte: 0", "training.allocation.days_per_fte: must be a number >= 1, got 0"),
        ("  learning_services: DESE Learning Services", "  learning_service: DESE Learning Services",
         "audiences.learning_service: unknown key 'learning_service': did you mean 'learning_services'?"),
        ("  rpdc_directors: {label: RPDC directors, singular: RPDC director}", "  rpdc_directors: {singular: x}",
         "audiences.rpdc_directors.label: missing"),
    ],
)
def test_the_new_keys_are_validated(old, new, problem):
    text = load_protocol().text
    assert text.count(old) == 1
    assert problem in problems_of(text.replace(old, new))


def test_missouri_interaction_types_and_training_message():
    protocol = load_protocol()
    assert [t.key for t in protocol.interaction_types] == [
        "planning",
        "strategizing",
        "discussing_data",
        "sharing",
        "feedback",
        "demonstrating",
        "unsure",
    ]
    assert protocol.interaction("unsure").requires_description
    assert not protocol.interaction("planning").requires_description
    training = protocol.not_coaching_activity("Training")
    assert training is not None and "DESE activity log" in training.message
    assert protocol.not_coaching_activity("planning") is None


def test_missouri_topics_default_to_the_shared_vocabularies():
    protocol = load_protocol()
    assert protocol.standards == vocabulary.STANDARDS
    assert protocol.expertise == vocabulary.EXPERTISE_AREAS
    assert protocol.topics.count("Data") == 1  # a standard and an expertise area: listed once
    assert protocol.canonical_topic("social/behavioral") == "Social-Behavioral"
    assert protocol.canonical_topic("Knitting") is None


def test_missouri_reporting_cadence():
    protocol = load_protocol()
    tz = protocol.timezone
    assert protocol.log_due_at("2024-05").astimezone(tz).date() == date(2024, 6, 7)  # 5 business days after May
    assert protocol.log_reminder_at("2024-05").astimezone(tz).date() == date(2024, 6, 5)
    assert protocol.lead_update_due_at("2024-05").astimezone(tz).date() == date(2024, 6, 14)
    assert protocol.reporting.summary_share_with == "teams"  # the summary reaches every CST member


def test_the_summary_may_be_shared_with_facilitators_only():
    changed = parse_protocol(mutate(lambda d: d["reporting"].update(summary={"share_with": "facilitators"})), "t.yaml")
    assert changed.reporting.summary_share_with == "facilitators"
    unset = parse_protocol(mutate(lambda d: d["reporting"].pop("summary")), "t.yaml")
    assert unset.reporting.summary_share_with == "teams"  # the default


@pytest.mark.parametrize("name", list(PROTOCOL_FILES))
def test_every_shipped_file_loads_with_labels_and_deadlines(name):
    protocol = load_protocol(PROTOCOL_FILES[name])
    assert len(protocol.version) <= 50
    for chain in protocol.chains.values():
        assert chain.tiers and all(t.deadline_days >= 1 and t.label for t in chain.tiers)
        assert len({t.name for t in chain.tiers}) == len(chain.tiers)
    assert protocol.training.sequence and all(s.deadline_days >= 1 for s in protocol.training.sequence)


def test_linked_teams_is_a_different_structure_on_the_same_engine():
    protocol = load_protocol(PROTOCOL_FILES["linked-teams"])
    assert [t.label for t in protocol.chains[ItemKind.QUESTION].tiers] == [
        "Lead regional trainer",
        "State Implementation Team",
        "State Leadership Team",
    ]
    assert protocol.label(Role.LEAD) == "State Implementation Team"
    assert protocol.training.last_resort is None
    assert "Observation rubric" in protocol.expertise
    assert protocol.calendar.holidays.subdivision == "MS"
    assert ItemKind.UPDATE in protocol.chains and Role.MEMBER not in protocol.chains[ItemKind.UPDATE].entry


# --- bad files -----------------------------------------------------------------------------------------------


def test_unknown_role_with_suggestion_and_path():
    text = mutate(lambda d: d["chains"]["question"]["tiers"][1].update(role="leed"))
    assert "chains.question.tiers[1].role: unknown role 'leed': did you mean 'lead'?" in problems_of(text)


def test_every_problem_is_listed_at_once():
    def break_it(d):
        d["chains"]["question"]["tiers"][1]["role"] = "leed"
        del d["chains"]["question"]["tiers"][2]["deadline_days"]
        d["chains"]["update"]["entry"]["membr"] = "facilitator"
        d["training"]["stages"][0]["resolver"] = "team_membrs"
        d["timezone"] = "America/Chicgo"

    problems = problems_of(mutate(break_it))
    assert len(problems) == 5
    assert any(p.startswith("chains.question.tiers[2].deadline_days: missing") for p in problems)
    assert "chains.update.entry.membr: unknown role 'membr': did you mean 'member'?" in problems
    assert "training.stages[0].resolver: unknown resolver 'team_membrs': did you mean 'team_members'?" in problems
    assert any(p.startswith("timezone: unknown time zone") for p in problems)


def test_the_error_message_lists_the_source_and_every_problem():
    with pytest.raises(ConfigError) as caught:
        parse_protocol(mutate(lambda d: d["chains"]["question"]["tiers"][0].update(deadline_days=0)), "mine.yaml")
    message = str(caught.value)
    assert message.startswith("mine.yaml: 1 problem in the protocol file:")
    assert "chains.question.tiers[0].deadline_days: must be a whole number >= 1" in message


def test_a_chain_that_cycles():
    def loop(d):
        d["chains"]["question"]["then"] = {"chain": "district", "tier": "facilitator"}

    problems = problems_of(mutate(loop))
    assert any("the chain cycles: " in p and "question" in p and "district" in p for p in problems)


def test_a_tier_that_appears_twice():
    def twice(d):
        d["chains"]["question"]["tiers"].append(dict(d["chains"]["question"]["tiers"][1]))

    assert (
        "chains.question: tier 'lead' appears twice: a chain must not revisit a tier (it would cycle)"
        in problems_of(mutate(twice))
    )


def test_unknown_keys_tiers_and_chains_are_named():
    def typos(d):
        d["chains"]["district"]["then"] = {"chain": "questions", "tier": "lead"}
        d["chains"]["question"]["entry"]["member"] = "facilitatr"
        d["chains"]["question"]["tiers"][0]["deadline_dayz"] = 2
        d["chanes"] = {}

    problems = problems_of(mutate(typos))
    assert "chains.district.then.chain: unknown chain 'questions': did you mean 'question'?" in problems
    assert "chains.question.entry.member: unknown tier 'facilitatr': did you mean 'facilitator'?" in problems
    assert (
        "chains.question.tiers[0].deadline_dayz: unknown key 'deadline_dayz': did you mean 'deadline_days'?" in problems
    )
    assert "chanes: unknown key 'chanes': did you mean 'chains'?" in problems


def test_a_role_name_used_as_a_resolver_gets_a_hint():
    text = mutate(lambda d: d["training"]["owner"].update(resolvers=["lead"]))
    assert "training.owner.resolvers[0]: unknown resolver 'lead': write {role: lead} for holders of that role" in (
        problems_of(text)
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(version=1.0), "version: must be a non-empty string, got 1.0 (quote it)"),
        (lambda d: d.update(version="v" * 51), "version: must be at most 50 characters"),
        (lambda d: d["calendar"].update(subdivision="XX"), "calendar: unknown holiday calendar US/XX"),
        (lambda d: d["calendar"]["business_hours"].update(start="18:00"), "calendar.business_hours: start"),
        (lambda d: d["calendar"].update(closed=["soon"]), "calendar.closed[0]: must be a date"),
        (lambda d: d["training"]["stages"][0].update(mode="auction"), "training.stages[0].mode: unknown mode"),
        (
            lambda d: d["interactions"]["types"].append({"key": "planning", "label": "x"}),
            "interactions: key 'planning'",
        ),
        (lambda d: d["topics"].update(expertise=["Data", "data"]), "topics.expertise[1]: 'data' is listed twice"),
        (
            lambda d: d["matching"].update(weights={"expertise": 0, "fte": 0, "location": 0, "fit": 0}),
            "matching.weights",
        ),
        (lambda d: d["labels"].update(facilitatr="X"), "labels.facilitatr: unknown key 'facilitatr'"),
        (lambda d: d.pop("reporting"), "reporting: missing"),
        (lambda d: d["reporting"].update(summary={"share_with": "facilitator"}),
         "reporting.summary.share_with: unknown value 'facilitator': did you mean 'facilitators'?"),
        (lambda d: d["reporting"].update(summary={"send_to": "teams"}), "reporting.summary.send_to: unknown key"),
        (lambda d: d["chains"]["question"].update(entry={}), "chains.question.entry: must map at least one"),
    ],
)
def test_each_kind_of_mistake(change, expected):
    assert any(p.startswith(expected) for p in problems_of(mutate(change))), expected


def test_yaml_syntax_errors_name_the_line():
    problems = problems_of("version: 'x'\nchains: [\n")
    assert len(problems) == 1 and problems[0].startswith("line ") and "not valid YAML" in problems[0]


def test_an_empty_or_missing_file():
    assert problems_of("") == ("the file is empty",)
    with pytest.raises(ProtocolError, match="cannot read the file"):
        load_protocol(Path("/nonexistent/protocol.yaml"))


def test_topics_can_be_replaced():
    protocol = parse_protocol(mutate(lambda d: d["topics"].update(expertise=["Reading", "Math"])), "t.yaml")
    assert protocol.expertise == ("Reading", "Math")
    assert protocol.standards == vocabulary.STANDARDS


def test_sexagesimal_business_hours_are_understood():
    # YAML 1.1 reads an unquoted 8:00 as 480 (minutes): accept it rather than fail obscurely.
    text = DEFAULT_TEXT.replace(
        'business_hours: {start: "08:00", end: "17:00"}', "business_hours: {start: 8:00, end: 17:00}"
    )
    assert parse_protocol(text, "t.yaml").calendar.day_start.hour == 8


# --- the protocol book ---------------------------------------------------------------------------------------


def test_protocol_book_keeps_old_versions():
    current = load_protocol()
    old = parse_protocol(mutate(lambda d: d.update(version="missouri-cst-2016.9")), "<snapshot>")
    book = ProtocolBook(current, [old])
    assert book.current is current
    assert book.get("missouri-cst-2016.9") is old
    assert set(book.versions) == {"missouri-cst-2016.9", current.version}
    with pytest.raises(ProtocolError, match="unknown protocol version 'nope'"):
        book.get("nope")


def test_changing_the_file_without_a_new_version_is_refused():
    stored = load_protocol()
    edited = parse_protocol(DEFAULT_TEXT.replace("deadline_days: 1\n", "deadline_days: 2\n", 1), "routing/x.yaml")
    assert edited.version == stored.version and edited.digest != stored.digest
    with pytest.raises(ProtocolError, match="change `version` whenever you change the protocol"):
        ProtocolBook(edited, [stored])
    assert ProtocolBook(stored, [parse_protocol(DEFAULT_TEXT, "<snapshot>")]).get(stored.version) is stored


@pytest.mark.parametrize(
    ("start", "day", "first", "last", "label"),
    [
        ('"07-01"', date(2026, 12, 1), date(2026, 7, 1), date(2027, 6, 30), "2026-27"),
        ('"07-01"', date(2026, 6, 30), date(2025, 7, 1), date(2026, 6, 30), "2025-26"),
        ('"07-01"', date(2026, 7, 1), date(2026, 7, 1), date(2027, 6, 30), "2026-27"),
        ('"08-15"', date(2026, 8, 14), date(2025, 8, 15), date(2026, 8, 14), "2025-26"),
        ('"01-01"', date(2026, 3, 3), date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ],
)
def test_school_year_from_the_calendar(start, day, first, last, label):
    text = DEFAULT_TEXT.replace('school_year_start: "07-01"', f"school_year_start: {start}")
    protocol = parse_protocol(text, "test.yaml")
    assert protocol.school_year(day) == (first, last)
    assert protocol.school_year_label(day) == label


@pytest.mark.parametrize("bad", ['"13-01"', '"02-30"', '"July"', "7"])
def test_a_bad_school_year_start_is_named(bad):
    text = DEFAULT_TEXT.replace('school_year_start: "07-01"', f"school_year_start: {bad}")
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text, "test.yaml")
    assert "calendar.school_year_start: must be a month and day" in str(info.value)
