import pytest

from orderhub.core.geo import distance_km, haversine_km
from orderhub.core.model import GeoPoint


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ("paris", "london", 344),
        ("paris", "lyon", 392),
        ("paris", "berlin", 878),
        ("madrid", "berlin", 1869),
        ("lille", "marseille", 835),
    ],
)
def test_great_circle_distances_between_real_cities(places, a, b, km):
    assert haversine_km(places[a], places[b]) == pytest.approx(km, abs=3)
    assert haversine_km(places[b], places[a]) == pytest.approx(haversine_km(places[a], places[b]))


def test_antipodes_and_same_point():
    assert haversine_km(GeoPoint(lat=0, lon=0), GeoPoint(lat=0, lon=180)) == pytest.approx(
        20015, abs=1
    )
    assert haversine_km(GeoPoint(lat=10, lon=20), GeoPoint(lat=10, lon=20)) == 0


def test_unknown_point_gives_no_distance(places):
    assert distance_km(places["paris"], None) is None
    assert distance_km(None, places["paris"]) is None
