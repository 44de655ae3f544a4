import datetime as dt
import re

import pytest

from geomap.boundaries import (
    country_mentions,
    figures_frame,
    load_countries,
    movements_frame,
    places_frame,
    troop_presence,
)
from geomap.figures import Movement, TroopFigure
from geomap.gazetteer import Place
from geomap.geoparse import Mention
from geomap.render import (
    ACTOR_COLOURS,
    actor_colour,
    escape_text,
    figure_radius,
    marker_radius,
    presence_classes,
    render_map,
    screen_bearing,
    shade,
)

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


NIGER = place("Niger", "country", 17.7, 9.9, "NE")
MALI = place("Mali", "country", 17.0, -4.0, "ML")
AGADEZ = place("Agadez", "city", 16.97, 7.99, "NE")
NIAMEY = place("Niamey", "city", 13.51, 2.11, "NE")
HOSTILE = "Troops arrived. </script><script>alert(1)</script> ${alert(2)}"


def troop(actor, code, count, where, *, status="present", qualifier="exact", sentence="S."):
    date = dt.date(2022, 9, 8) if status == "departed" else dt.date(2023, 9, 8)
    unit = "troops"
    return TroopFigure(
        "a1", date, actor, code, count, qualifier, unit, where, status, sentence, 0, 9
    )


@pytest.fixture
def troop_html():
    figures = figures_frame(
        [
            troop("United States", "US", 1100, NIGER, sentence="There were 1,100 US troops."),
            troop("United States", "US", None, NIGER, status="departing", sentence="A few leave."),
            troop("France", "FR", 1500, NIGER),
            troop("France", "FR", 2000, MALI, status="departed", qualifier="more_than"),
            troop("Germany", "DE", None, AGADEZ, sentence="German troops are in Agadez."),
        ]
    )
    moved = movements_frame(
        [Movement("a1", dt.date(2023, 9, 8), "United States", "US", NIAMEY, AGADEZ, HOSTILE, 0, 9)]
    )
    countries = troop_presence(
        figures, country_mentions(places_frame([]), load_countries(), {}, figures["country"])
    )
    fmap = render_map(
        places_frame([]), countries, {"NE": "Niger"}, figures=figures, movements=moved
    )
    return fmap.get_root().render()


def overlays(html):
    """Layer name → JavaScript variable, as the LayerControl lists them."""
    block = re.search(r"overlays :\s*\{(.*?)\}", html, re.S).group(1)
    return dict(re.findall(r'"([^"]+)" : (\w+)', block))


def labels(html):
    return re.findall(r'geomap-figure\\" style=\\"color: #\w+\\"\\u003e(.*?)\\u003c', html)


def test_troop_layers_are_their_own_feature_groups_in_the_layer_control(troop_html):
    layers = overlays(troop_html)
    names = ("Foreign troop presence", "Troop figures", "Movements")
    assert all(layers[name].startswith("feature_group_") for name in names)
    assert len({layers[name] for name in names}) == 3


def test_figures_are_labelled_by_actor_code_count_qualifier_and_status(troop_html):
    assert sorted(labels(troop_html)) == ["FR 1,500", "FR more than 2,000 (left)", "US 1,100"]


def test_countless_figure_is_listed_in_a_popup_not_drawn_as_a_count(troop_html):
    assert not any(label.startswith("DE") for label in labels(troop_html))
    assert "Troops in Agadez" in troop_html
    assert "Germany: troops (number not given), present" in troop_html
    assert "German troops are in Agadez." in troop_html
    # The US figure without a number joins the US history in Niger, newest first.
    us_popup = re.search(r"United States in Niger</h4>(.*?)</div>", troop_html).group(1)
    assert "United States: troops (number not given), departing" in us_popup
    assert "United States: 1,100 troops, present" in us_popup


def test_presence_choropleth_and_legend(troop_html):
    assert "Niger: 2,600 foreign troops (United States 1,100; France 1,500)" in troop_html
    assert "Mali: " not in troop_html  # France left Mali: no presence there
    assert "2,600 troops" in troop_html  # the legend's one class
    assert "France</div>" in troop_html and "United States</div>" in troop_html


def test_movement_has_an_arrowhead_and_an_escaped_popup(troop_html):
    assert "Niamey &rarr; Agadez" in troop_html
    assert f"rotate({screen_bearing([13.51, 2.11], [16.97, 7.99])}deg)" in troop_html
    assert "</script><script>alert(1)" not in troop_html and "${alert(2)}" not in troop_html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in troop_html
    assert "&#36;&#123;alert(2)&#125;" in troop_html


def test_presence_classes_one_per_value_when_few():
    classes = presence_classes([2600, 13000, 2600])
    assert [(limit, label) for limit, label, _ in classes] == [(2600, "2,600"), (13000, "13,000")]
    assert classes[0][2] != classes[1][2]


def test_presence_classes_nice_quantiles_when_many():
    values = [120, 300, 800, 1100, 1500, 2600, 4000, 13000]
    classes = presence_classes(values)
    limits = [limit for limit, _, _ in classes]
    assert limits == sorted(set(limits)) and limits[-1] == 13000 and len(limits) <= 5
    assert all(str(limit)[0] in "125" for limit in limits[:-1])  # 1, 2, 2.5, 5 × 10^k
    assert classes[0][1].startswith("120–") and classes[-1][1].endswith("–13,000")


def test_symbol_area_grows_with_count_and_bearing_is_clockwise_from_north():
    assert figure_radius(13000, 13000) == 30
    assert figure_radius(3250, 13000) == 15  # a quarter of the count, a quarter of the area
    assert screen_bearing([0, 0], [0, 10]) == 90 and screen_bearing([0, 0], [10, 0]) == 0
    assert actor_colour("France") == actor_colour("France") in ACTOR_COLOURS
