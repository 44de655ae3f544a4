import datetime as dt

import pytest

from geomap.boundaries import (
    country_mentions,
    join_countries,
    load_countries,
    places_frame,
    point_geometry,
)
from geomap.gazetteer import Place
from geomap.geoparse import Mention

NIAMEY = Place(
    "geonames:2440485", "Niamey", "city", 13.51, 2.11, "NE", 1_300_000, 2440485, "geonames"
)
NO_COUNTRY = Place("geomap:x", "Camp X", "facility", 16.95, 8.01, None, 0, None, "geomap")
SAHEL = Place("geomap:sahel", "Sahel", "region", 14.5, 2.0, None, 0, None, "geomap")
PARIS = Place(
    "geonames:2988507", "Paris", "city", 48.85, 2.35, "FR", 2_000_000, 2988507, "geonames"
)


def mention(place, role="literal", sentence="s.", article="a", date=dt.date(2023, 9, 8)):
    return Mention(article, date, 0, 1, place.name, place, role, sentence, 0.9, "only candidate")


def test_point_geometry_is_lon_lat():
    point = point_geometry(13.5, 2.1)
    assert (point.x, point.y) == (2.1, 13.5)


def test_countries_have_codes_names_and_valid_polygons():
    countries = load_countries()
    assert countries.crs.to_epsg() == 4326
    assert {"iso_a2", "iso_a3", "name"} <= set(countries.columns)
    niger = countries.set_index("iso_a2").loc["NE"]
    assert niger.iso_a3 == "NER" and niger.geometry.is_valid
    assert niger.geometry.contains(point_geometry(13.51, 2.11))


def test_places_frame_groups_mentions_and_roles():
    frame = places_frame(
        [
            mention(NIAMEY, sentence="One."),
            mention(NIAMEY, sentence="One."),
            mention(NIAMEY, "associative", sentence="Two."),
            mention(PARIS, "associative"),
            mention(PARIS, "adjectival"),
            mention(SAHEL, "adjectival"),
        ]
    ).set_index("name")
    assert set(frame.index) == {"Niamey", "Paris"}  # adjectival-only Sahel is left out
    assert frame.loc["Niamey", "mentions"] == 3 and frame.loc["Niamey", "role"] == "literal"
    assert frame.loc["Paris", "role"] == "associative" and frame.loc["Paris", "mentions"] == 1
    assert frame.loc["Niamey", "quotes"] == (
        ("2023-09-08", "a", "One."),
        ("2023-09-08", "a", "Two."),
    )


def test_join_fills_missing_country_but_not_for_regions():
    joined = join_countries(
        places_frame([mention(NO_COUNTRY), mention(SAHEL)]), load_countries()
    ).set_index("name")
    assert joined.loc["Camp X", "country"] == "NE"
    assert joined.loc["Sahel", "country"] is None


@pytest.mark.parametrize("extra", [[], [mention(PARIS, "associative")]])
def test_country_mentions_touched_and_neighbours(extra):
    places = places_frame([mention(NIAMEY), mention(NIAMEY), *extra])
    shaded = country_mentions(places, load_countries(), {"NE": ("ML", "BF"), "FR": ("BE",)})
    assert set(shaded["iso_a2"]) == {"NE", "ML", "BF"}  # associative Paris touches nothing
    niger = shaded.set_index("iso_a2").loc["NE"]
    assert niger.mentions == 2 and niger.touched
    assert shaded.set_index("iso_a2").loc["ML", "mentions"] == 0
