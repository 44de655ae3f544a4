import datetime as dt

import pytest

from geomap.boundaries import country_mentions, load_countries, places_frame
from geomap.gazetteer import Place
from geomap.geoparse import Mention
from geomap.render import escape_text, marker_radius, render_map, shade

PAYLOADS = [
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "${alert(2)}",
    "`tick`",
    "\\2",
    "a\u2028b",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_nothing_active(payload):
    escaped = escape_text(payload)
    for char in "<>`$\\{}\u2028":
        assert char not in escaped


def test_escape_text_keeps_plain_text_readable():
    assert escape_text("Niamey & Agadez") == "Niamey &amp; Agadez"


def test_shades_and_radius_grow_with_mentions():
    assert shade(1) != shade(50)
    assert marker_radius(1) < marker_radius(9)


def place(name, kind, lat, lon, country):
    return Place(f"geomap:{name}", name, kind, lat, lon, country, 0, None, "geomap")


@pytest.fixture
def fmap():
    places = [
        place("Niamey", "city", 13.5, 2.1, "NE"),
        place("Base", "facility", 16.9, 8.0, "NE"),
        place("Sahel", "region", 14.5, 2.0, None),
        place("Paris", "city", 48.8, 2.3, "FR"),
    ]
    roles = ["literal", "literal", "literal", "associative"]
    mentions = [
        Mention(
            "a1",
            dt.date(2023, 9, 8),
            0,
            1,
            p.name,
            p,
            r,
            f"About {p.name} {PAYLOADS[0]}",
            0.9,
            "only candidate",
        )
        for p, r in zip(places, roles, strict=True)
    ]
    frame = places_frame(mentions)
    countries = country_mentions(frame, load_countries(), {"NE": ("ML",)})
    return render_map(frame, countries, {"NE": "Niger", "ML": "Mali"}, title="Test <map>")


def test_map_has_one_layer_per_kind_and_a_legend(fmap):
    html = fmap.get_root().render()
    for layer in (
        "Countries (shaded by mentions)",
        "Places (sized by mentions)",
        "Military facilities",
        "Regions",
        "Governments speaking (associative)",
    ):
        assert f'"{layer}"' in html or f"{layer}" in html
    assert "geomap-legend" in html and "Test &lt;map&gt;" in html
    assert "L.control.layers" in html
    assert "</script><script>alert(1)" not in html


def test_map_frames_literal_places(fmap):
    fit = [child for child in fmap._children.values() if type(child).__name__ == "FitBounds"]
    (south, west), (north, east) = fit[0].bounds
    assert south < 13.5 and north > 16.9 and west < 2.0 and east > 8.0
    assert north < 48  # associative Paris does not stretch the view


def test_popup_names_place_kind_country_resolution_and_quote(fmap):
    html = fmap.get_root().render()
    assert "Niamey</h4>" in html and "Niger (NE)" in html
    assert "resolved by only candidate" in html
    assert "2023-09-08" in html and "About Niamey &lt;/script&gt;" in html
