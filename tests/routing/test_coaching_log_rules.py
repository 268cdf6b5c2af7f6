"""The coaching log's rules: what an entry must be, and the FERPA screen (patterns from the protocol)."""

from __future__ import annotations

from datetime import date

import pytest

from routing.coaching_log import Context, Entry, Field, month_label, month_of, validate, working_day_minutes
from routing.errors import ProtocolError
from routing.protocol_file import load_protocol, parse_protocol

PROTOCOL = load_protocol()
CTX = Context(
    today=date(2026, 11, 16),
    district_ids=frozenset({1, 2}),
    member_ids=frozenset({10, 11}),
    locked_months=frozenset({"2026-10"}),
)
GOOD = Entry(
    district_id=1,
    occurred_on=date(2026, 11, 13),
    duration_minutes=60,
    interaction_type="planning",
    participants="Principal",
    members_present=(10,),
    topics=("Data", "Leadership"),
)


def entry(**changes) -> Entry:
    return Entry(**{**GOOD.__dict__, **changes})


def test_a_good_entry_passes():
    assert validate(GOOD, PROTOCOL, CTX) == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"district_id": None}, Field.DISTRICT, "pick the district"),
        ({"district_id": 3}, Field.DISTRICT, "not one of your team's"),
        ({"occurred_on": None}, Field.DATE, "date of the interaction"),
        ({"occurred_on": date(2026, 11, 17)}, Field.DATE, "in the future"),
        ({"occurred_on": date(2026, 10, 30)}, Field.DATE, "October 2026 is already submitted"),
        ({"duration_minutes": None}, Field.DURATION, "duration in minutes"),
        ({"duration_minutes": 0}, Field.DURATION, "more than zero"),
        ({"duration_minutes": -5}, Field.DURATION, "more than zero"),
        ({"duration_minutes": 541}, Field.DURATION, "longer than a working day (9 h)"),
        ({"interaction_type": None}, Field.TYPE, "type of interaction"),
        ({"interaction_type": "training"}, Field.TYPE, "DESE activity log"),
        ({"interaction_type": "Training"}, Field.TYPE, "DESE activity log"),
        ({"interaction_type": "lecturing"}, Field.TYPE, "listed types"),
        ({"interaction_type": "unsure"}, Field.DESCRIPTION, "Describe what happened"),
        ({"interaction_type": "unsure", "description": "   "}, Field.DESCRIPTION, "Describe what happened"),
        ({"members_present": (99,)}, Field.MEMBERS, "the support team can be listed"),
        ({"topics": ("Basket weaving",)}, Field.TOPICS, "Unknown topic"),
        ({"comments": "x" * 3001}, Field.COMMENTS, "3,001 characters"),
        ({"participants": "x" * 501}, Field.PARTICIPANTS, "under 500"),
        ({"comments": "Reviewed student ID 4412345"}, Field.COMMENTS, "a student ID number"),
        ({"resources": "MOSIS 1234567890 list"}, Field.RESOURCES, "a student ID number"),
        ({"participants": "Parent of student Jamie Fox"}, Field.PARTICIPANTS, "a student's full name"),
        ({"description": "DOB 04/12/2014", "interaction_type": "unsure"}, Field.DESCRIPTION, "a date of birth"),
    ],
)
def test_each_rule_names_its_field(changes, field, words):
    errors = validate(entry(**changes), PROTOCOL, CTX)
    assert field in errors and words in errors[field], errors


def test_unsure_with_a_description_passes_and_the_working_day_is_the_protocols():
    assert validate(entry(interaction_type="unsure", description="Sat in on a PLC"), PROTOCOL, CTX) == {}
    assert validate(entry(duration_minutes=540), PROTOCOL, CTX) == {}
    assert working_day_minutes(PROTOCOL) == 540  # 08:00-17:00 in the shipped file


@pytest.mark.parametrize(
    "text",
    ["Student Data Team meeting", "Met on 3/14/2026", "12 students attended", "Room 1204", "Planning for 2026-27"],
)
def test_ordinary_text_is_not_mistaken_for_student_data(text):
    assert validate(entry(comments=text), PROTOCOL, CTX) == {}


def test_the_person_can_confirm_no_student_data():
    flagged = entry(comments="Planned Student Fair Night")
    assert Field.COMMENTS in validate(flagged, PROTOCOL, CTX)
    assert validate(entry(comments="Planned Student Fair Night", no_student_data=True), PROTOCOL, CTX) == {}


def _with_student_data(block: str) -> str:
    text = PROTOCOL.text
    anchor = "  not_coaching:"
    assert anchor in text
    return text.replace(anchor, block + anchor, 1).replace(PROTOCOL.version, "test-1")


def test_the_patterns_come_from_the_protocol_file():
    custom = parse_protocol(
        _with_student_data("  student_data:\n    - {name: locker, pattern: 'locker \\d+', what: a locker number}\n"),
        "custom.yaml",
    )
    assert [p.name for p in custom.student_data] == ["locker"]
    errors = validate(entry(comments="locker 12 and student ID 4412345"), custom, CTX)
    assert "a locker number" in errors[Field.COMMENTS]
    none = parse_protocol(_with_student_data("  student_data: []\n"), "none.yaml")
    assert validate(entry(comments="student ID 4412345"), none, CTX) == {}


def test_a_bad_pattern_is_a_protocol_error():
    with pytest.raises(ProtocolError) as info:
        parse_protocol(_with_student_data("  student_data:\n    - {name: x, pattern: '([', what: y}\n"), "bad.yaml")
    assert "interactions.student_data[0].pattern: not a valid regular expression" in str(info.value)


def test_months():
    assert month_of(date(2026, 1, 31)) == "2026-01"
    assert month_label("2026-11") == "November 2026"


def test_the_support_team_may_be_listed_present_on_any_teams_log():
    from routing.coaching_log import context_for
    from tests.routing.helpers import BEA, FAY, MO, NIA, OTTO, SUP, org

    directory = org()
    for person, team_people in ((MO, {FAY, MO, NIA}), (OTTO, {OTTO, BEA})):
        ctx = context_for(directory, person, today=date(2024, 4, 8), locked_months=frozenset())
        assert ctx.member_ids == frozenset(team_people | {SUP})
    # Someone on no team lists nobody, the support team included.
    assert context_for(directory, SUP, today=date(2024, 4, 8), locked_months=frozenset()).member_ids == frozenset()
