import json

import pytest
from geopy.exc import GeocoderServiceError as GeopyServiceError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from geomap.exceptions import GeocoderServiceError
from geomap.geocoders import CachedGeocoder, GazetteerGeocoder, get_geocoder


def test_gazetteer_geocoder_behaves_like_geopy(gazetteer):
    geocoder = get_geocoder(None, gazetteer=gazetteer)
    assert isinstance(geocoder, Geocoder)
    agadez = geocoder.geocode("Agadez")
    assert agadez.address == "Agadez" and agadez.raw["country"] == "NE"
    assert abs(agadez.latitude - 16.97) < 0.1 and abs(agadez.longitude - 7.99) < 0.1
    assert geocoder.geocode("Nowhere-at-all-123") is None


def test_gazetteer_geocoder_country_filter_and_all(gazetteer):
    geocoder = GazetteerGeocoder(gazetteer)
    everywhere = geocoder.geocode("Paris", exactly_one=False)
    assert len(everywhere) > 5 and everywhere[0].raw["country"] == "FR"
    texas = geocoder.geocode("Paris", country_codes="us", exactly_one=False)
    assert texas and all(loc.raw["country"] == "US" for loc in texas)


def test_unknown_service_names_the_choices():
    with pytest.raises(GeocoderServiceError, match="'nosuchservice' is unknown.*nominatim"):
        get_geocoder("nosuchservice")


class FakeService(Geocoder):
    """Stands in for an online geocoder: counts calls, can be told to fail."""

    def __init__(self, fail=False):
        super().__init__()
        self.calls, self.fail = [], fail

    def geocode(self, query, exactly_one=True, **kwargs):
        self.calls.append(query)
        if self.fail:
            raise GeopyServiceError("service down")
        if query == "Atlantis":
            return None
        return Location(f"{query}, Online", (1.5, 2.5), {})


@pytest.fixture
def no_sleep(monkeypatch):
    """A fake clock for geopy's RateLimiter: sleeping advances it instead of waiting."""
    now, slept = [1000.0], []

    def sleep(self, seconds):
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(RateLimiter, "_clock", lambda self: now[0])
    monkeypatch.setattr(RateLimiter, "_sleep", sleep)
    return slept


def test_cached_geocoder_asks_once_and_persists(tmp_path, gazetteer, no_sleep):
    service = FakeService()
    path = tmp_path / "cache.json"
    cached = CachedGeocoder(service, path, fallback=GazetteerGeocoder(gazetteer))
    assert cached.geocode("Agadez").address == "Agadez, Online"
    assert cached.geocode("  agadez ").point.latitude == 1.5
    assert cached.geocode("Atlantis") is None and cached.geocode("Atlantis") is None
    assert service.calls == ["Agadez", "Atlantis"]
    assert json.loads(path.read_text()) == {
        "agadez": ["Agadez, Online", 1.5, 2.5],
        "atlantis": None,
    }
    again = CachedGeocoder(FakeService(), path, fallback=GazetteerGeocoder(gazetteer))
    assert again.geocode("Agadez").address == "Agadez, Online"
    assert again.service.calls == []


def test_rate_limiter_spaces_calls_without_really_sleeping(tmp_path, gazetteer, no_sleep):
    cached = CachedGeocoder(
        FakeService(),
        tmp_path / "c.json",
        fallback=GazetteerGeocoder(gazetteer),
        min_delay_seconds=2.0,
    )
    cached.geocode("One")
    cached.geocode("Two")
    assert no_sleep == [2.0]


def test_failing_service_falls_back_to_gazetteer(tmp_path, gazetteer, no_sleep, caplog):
    cached = CachedGeocoder(
        FakeService(fail=True), tmp_path / "c.json", fallback=GazetteerGeocoder(gazetteer)
    )
    location = cached.geocode("Niamey")
    assert location.address == "Niamey" and location.raw["country"] == "NE"
    assert "using the gazetteer" in caplog.text
    assert not (tmp_path / "c.json").exists()  # failures are not cached
