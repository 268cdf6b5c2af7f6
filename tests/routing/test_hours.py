"""Working hours per recipient (routing.hours) and the deadline of a request that waits for them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from routing import hours
from routing.errors import ProtocolError
from routing.protocol_file import default_protocol_text, load_protocol, parse_protocol
from tests.routing.helpers import CT, FAY, MO, ask, org

MISSOURI = load_protocol()
CAL = MISSOURI.calendar
ET = ZoneInfo("America/New_York")


def _at(*args, tz=CT) -> datetime:
    return datetime(*args, tzinfo=tz)


@pytest.mark.parametrize(("moment", "tz", "working"), [
    (_at(2024, 4, 8, 8, 0), CT, True),  # Monday 08:00 Chicago
    (_at(2024, 4, 8, 16, 59), CT, True),
    (_at(2024, 4, 8, 17, 0), CT, False),  # the end is not inside
    (_at(2024, 4, 8, 7, 59), CT, False),
    (_at(2024, 4, 8, 16, 30), ET, False),  # 16:30 Chicago is 17:30 in New York
    (_at(2024, 4, 8, 7, 30), ET, True),  # 07:30 Chicago is 08:30 in New York
    (_at(2024, 4, 6, 10, 0), CT, False),  # Saturday
    (_at(2024, 5, 8, 10, 0), CT, False),  # Truman Day (Missouri)
    (_at(2024, 5, 8, 10, 0), ET, False),  # a Missouri holiday is a day off under the Missouri protocol, everywhere
])
def test_working_hours_on_the_recipients_own_clock(moment, tz, working):
    assert hours.is_working(moment, tz, CAL) is working


def test_outside_hours_waits_for_the_next_working_morning_with_a_fixed_spread():
    friday_evening = _at(2024, 5, 3, 19, 45)
    at = hours.deliver_at(friday_evening, CT, CAL, key="person:7")
    local = at.astimezone(CT)
    assert local.date() == date(2024, 5, 6) and local.hour == 8 and local.minute < 20  # Monday, first 20 minutes
    assert at == hours.deliver_at(friday_evening + timedelta(hours=3), CT, CAL, key="person:7")  # same minute
    spreads = {hours.spread(f"person:{i}", 20) for i in range(200)}
    assert len(spreads) > 150 and max(spreads) < timedelta(minutes=20)  # not everyone at 08:00:00
    inside = _at(2024, 5, 6, 10, 0)
    assert hours.deliver_at(inside, CT, CAL, key="person:7") == inside.astimezone(UTC)
    assert hours.deliver_at(friday_evening, CT, CAL, key="person:7", at_once=True) == friday_evening


def test_the_morning_keeps_its_wall_clock_across_daylight_saving_changes():
    # Saturday 2024-03-09 evening (CST) -> Monday 2024-03-11 08:xx CDT; 2024-11-01 evening (CDT) -> 11-04 (CST)
    for evening, monday in ((_at(2024, 3, 9, 20, 0), date(2024, 3, 11)), (_at(2024, 11, 1, 18, 0), date(2024, 11, 4))):
        for tz in (CT, ET):
            local = hours.deliver_at(evening, tz, CAL, key="p", spread_minutes=0).astimezone(tz)
            assert (local.date(), local.hour, local.minute) == (monday, 8, 0)


def test_quiet_until_holds_pushes_until_the_working_morning_after():
    now = _at(2024, 4, 8, 10, 0)  # a working Monday morning
    at = hours.deliver_at(now, CT, CAL, key="p", spread_minutes=0, quiet_until=date(2024, 4, 12))
    assert at.astimezone(CT) == _at(2024, 4, 15, 8, 0)  # the Monday after a Friday
    assert hours.deliver_at(now, CT, CAL, key="p", quiet_until=date(2024, 4, 7)) == now  # over already


def test_remind_me_tomorrow_is_the_next_working_morning():
    friday = _at(2024, 5, 3, 9, 0)
    assert hours.next_working_morning(friday, CT, CAL, spread_minutes=0).astimezone(CT) == _at(2024, 5, 6, 8, 0)
    tuesday = _at(2024, 5, 7, 11, 0)  # Wednesday is Truman Day
    assert hours.next_working_morning(tuesday, ET, CAL, spread_minutes=0).astimezone(ET) == _at(2024, 5, 9, 8, 0,
                                                                                                 tz=ET)


def test_an_unknown_zone_falls_back_to_the_protocols():
    assert hours.zone(None, CT) is CT and hours.zone("Mars/Olympus", CT) is CT
    assert hours.zone("America/New_York", CT) == ET


def test_the_delivery_key_is_read_and_checked():
    data = yaml.safe_load(default_protocol_text()[0])
    assert MISSOURI.delivery == hours.Delivery(True, 20, frozenset({"urgent"}))
    assert MISSOURI.delivery.urgent("urgent") and not MISSOURI.delivery.urgent("normal")
    data["delivery"] = {"at_once": ["urgnet"], "spread_minutes": -1}
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(yaml.safe_dump(data), "test")
    text = str(caught.value)
    assert "delivery.at_once[0]" in text and "delivery.spread_minutes" in text
    del data["delivery"]
    assert parse_protocol(yaml.safe_dump(data), "test").delivery == hours.Delivery()  # the defaults


def test_a_request_that_waits_for_its_owner_counts_from_their_next_business_morning():
    # Monday 16:30 Chicago is 17:30 in New York: Fay (New York) gets the card Tuesday morning, so her two
    # business days count from Tuesday 08:00 New York (07:00 Chicago: the protocol's business day starts 08:00).
    monday_late = _at(2024, 4, 8, 16, 30)
    directory, directory_ny = org(), org(tz={FAY: "America/New_York"})
    chicago = ask(directory, MISSOURI, MO, at=monday_late).state
    new_york = ask(directory_ny, MISSOURI, MO, at=monday_late).state
    assert chicago.owner_id == new_york.owner_id == FAY
    assert chicago.deadline_at == _at(2024, 4, 10, 16, 30)  # unchanged: she is still at work in Chicago
    assert new_york.deadline_at == _at(2024, 4, 11, 8, 0)
    urgent = ask(directory_ny, MISSOURI, MO, at=monday_late, urgency="urgent").state
    assert urgent.deadline_at == _at(2024, 4, 10, 16, 30)  # delivered at once: the clock starts now

