from datetime import UTC, date, datetime

import pytest

from orderhub.core.model import Address, GeoPoint, Location, PickSchedule
from orderhub.core.promise import PromiseConfig, TransitZone, pick_day, promise_delivery

NEW_YORK = GeoPoint(lat=40.7128, lon=-74.0060)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def paris_wh(places):
    return Location(
        code="PAR-WH",
        name="Paris warehouse",
        address=Address(country="FR", city="Paris"),
        point=places["paris"],
        schedule=PickSchedule(cutoff="14:00", timezone="Europe/Paris", daily_capacity=100),
    )


@pytest.fixture
def to_lyon(make_address, places):
    return make_address(city="Lyon", postal_code="69002", point=places["lyon"])


def test_before_cutoff_ships_the_same_day(paris_wh, to_lyon):
    # Friday 10 May 2024, 10:00 in Paris (08:00 UTC)
    promise = promise_delivery(paris_wh, to_lyon, utc(2024, 5, 10, 8, 0))
    assert promise.ship_on == date(2024, 5, 10)
    assert promise.zone == "domestic"
    assert promise.deliver_on == date(2024, 5, 14)  # two carrier days: Mon, Tue
    assert promise.explanation == (
        "Placed at 10:00 Europe/Paris on Fri 2024-05-10, before the 14:00 cut-off: "
        "picked the same day.",
        "Ships from PAR-WH; zone domestic (391 km): 2 carrier days in transit.",
        "Estimated delivery Tue 2024-05-14.",
    )


def test_after_cutoff_waits_for_the_next_working_day_over_the_weekend(paris_wh, to_lyon):
    promise = promise_delivery(paris_wh, to_lyon, utc(2024, 5, 10, 13, 30))  # 15:30 Paris
    assert promise.ship_on == date(2024, 5, 13)
    assert promise.deliver_on == date(2024, 5, 15)
    assert promise.explanation[0] == (
        "Placed at 15:30 Europe/Paris on Fri 2024-05-10, after the 14:00 cut-off: "
        "picked on Mon 2024-05-13."
    )


def test_weekend_order_is_picked_on_monday(paris_wh, to_lyon):
    promise = promise_delivery(paris_wh, to_lyon, utc(2024, 5, 11, 9, 0))
    assert promise.ship_on == date(2024, 5, 13)
    assert "a day the location does not pick" in promise.explanation[0]


def test_the_same_instant_in_different_time_zones(paris_wh):
    instant = utc(2024, 5, 10, 12, 30)  # 14:30 in Paris, 08:30 in New York
    ny = PickSchedule(cutoff="14:00", timezone="America/New_York")
    tokyo = PickSchedule(cutoff="14:00", timezone="Asia/Tokyo")
    assert pick_day(instant, paris_wh.schedule)[0] == date(2024, 5, 13)
    assert pick_day(instant, ny)[0] == date(2024, 5, 10)
    # 21:30 UTC Friday is already 06:30 Saturday in Tokyo
    assert pick_day(utc(2024, 5, 10, 21, 30), tokyo)[0] == date(2024, 5, 13)
    assert pick_day(utc(2024, 5, 10, 21, 30), ny)[0] == date(2024, 5, 13)


def test_naive_time_is_taken_as_utc(paris_wh):
    assert pick_day(datetime(2024, 5, 10, 12, 30), paris_wh.schedule) == pick_day(
        utc(2024, 5, 10, 12, 30), paris_wh.schedule
    )


def test_full_days_push_the_pick_day(paris_wh, to_lyon):
    booked = {date(2024, 5, 10): 100, date(2024, 5, 13): 120, date(2024, 5, 14): 99}
    promise = promise_delivery(paris_wh, to_lyon, utc(2024, 5, 10, 8, 0), booked=booked)
    assert promise.ship_on == date(2024, 5, 14)
    assert promise.explanation[1:3] == (
        "Fri 2024-05-10 is fully booked (100 of 100 orders): Mon 2024-05-13.",
        "Mon 2024-05-13 is fully booked (120 of 100 orders): Tue 2024-05-14.",
    )


def test_working_days_and_holidays(paris_wh, to_lyon):
    paris_wh.schedule.working_days = [0, 1, 2, 3, 4, 5]  # Saturdays too
    whit_monday = date(2024, 5, 20)
    config = PromiseConfig(holidays=(whit_monday,))
    saturday = promise_delivery(paris_wh, to_lyon, utc(2024, 5, 18, 8, 0), config=config)
    assert saturday.ship_on == date(2024, 5, 18)
    assert saturday.deliver_on == date(2024, 5, 22)  # carriers skip Sunday and the holiday
    sunday = promise_delivery(paris_wh, to_lyon, utc(2024, 5, 19, 8, 0), config=config)
    assert sunday.ship_on == date(2024, 5, 21)


def test_distance_zones(paris_wh, make_address, places):
    london = make_address(country="GB", postal_code="SW1A 1AA", point=places["london"])
    madrid = make_address(country="ES", postal_code="28013", point=places["madrid"])
    new_york = make_address(country="US", postal_code="10001", region="NY", point=NEW_YORK)
    unknown = make_address(country="DE", postal_code="10115", point=None)
    placed = utc(2024, 5, 13, 8, 0)  # Monday morning
    zones = {
        name: promise_delivery(paris_wh, address, placed)
        for name, address in [
            ("london", london),
            ("madrid", madrid),
            ("ny", new_york),
            ("?", unknown),
        ]
    }
    assert (zones["london"].zone, zones["london"].transit_days) == ("near", 3)
    assert zones["london"].deliver_on == date(2024, 5, 16)
    assert zones["madrid"].zone == "near"  # 1,053 km
    assert (zones["ny"].zone, zones["ny"].deliver_on) == ("far", date(2024, 5, 21))
    assert zones["?"].zone == "far"
    assert zones["?"].explanation[1] == (
        "Ships from PAR-WH; zone far (distance unknown): 6 carrier days in transit."
    )


def test_custom_zones_first_match_wins(paris_wh, to_lyon, make_address, places):
    config = PromiseConfig(
        zones=(
            TransitZone(name="city", days=0, max_km=50),
            TransitZone(name="country", days=1, same_country=True),
            TransitZone(name="rest", days=4),
        )
    )
    in_paris = make_address(point=places["paris"])
    placed = utc(2024, 5, 13, 8, 0)
    assert promise_delivery(paris_wh, in_paris, placed, config=config).deliver_on == date(
        2024, 5, 13
    )
    assert promise_delivery(paris_wh, to_lyon, placed, config=config).zone == "country"
    no_catch_all = PromiseConfig(zones=(TransitZone(name="city", days=0, max_km=50),))
    with pytest.raises(ValueError, match="no transit zone matches"):
        promise_delivery(paris_wh, to_lyon, placed, config=no_catch_all)


def test_click_and_collect_has_no_transit(paris_wh):
    promise = promise_delivery(paris_wh, None, utc(2024, 5, 10, 13, 30), pickup=True)
    assert (promise.ship_on, promise.deliver_on, promise.zone) == (
        date(2024, 5, 13),
        date(2024, 5, 13),
        "pickup",
    )
    assert promise.text.endswith("Ready for collection at PAR-WH on Mon 2024-05-13.")


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (PickSchedule(timezone="Mars/Olympus"), "unknown time zone"),
        (PickSchedule(working_days=[]), "no working days"),
        (PickSchedule(cutoff="2pm"), "not a HH:MM time"),
    ],
)
def test_bad_schedules_are_explained(schedule, message):
    with pytest.raises(ValueError, match=message):
        pick_day(utc(2024, 5, 10, 8, 0), schedule)
