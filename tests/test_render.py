import dataclasses
import datetime as dt
import json
import re

import orjson
import pytest
import shapely
from jinja2.utils import htmlsafe_json_dumps
from shapely.geometry import box

from bench.corpus import make_corpus
from geomap import timeline
from geomap.boundaries import (
    country_mentions,
    figures_frame,
    load_countries,
    movements_frame,
    places_frame,
    troop_presence,
)
from geomap.export import write_map
from geomap.figures import Movement, TroopFigure
from geomap.gazetteer import Place
from geomap.geoparse import Mention
from geomap.pipeline import build
from geomap.popups import ArticleNames
from geomap.render import escape_text, render_map, screen_bearing, stable_ids
from geomap.styles import (
    ACTOR_COLOURS,
    actor_colour,
    figure_radius,
    marker_radius,
    presence_classes,
    shade,
)
from geomap.tally import count_places
from geomap.timeline import feature, verbatim_macros

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
    assert marker_radius(1) < marker_radius(9) < marker_radius(100)
    assert marker_radius(100) == marker_radius(5000) == 35.0


# --- reading the rendered page -----------------------------------------------------------


def overlays(html):
    """Layer name → JavaScript variable, as the LayerControl lists them."""
    block = re.search(r"overlays :\s*\{(.*?)\}", html, re.S).group(1)
    return dict(re.findall(r'"([^"]+)" : (\w+)', block))


def layer_var(html, name):
    """The JavaScript variable of the GeoJSON layer that the overlay ``name`` draws."""
    var = overlays(html)[name]
    if var.startswith("feature_group_"):
        return re.search(rf"(\w+)\.addTo\({var}\)", html).group(1)
    return var


def layers(html):
    """Layer name → the GeoJSON features it draws, decoded from the page."""
    decoder = json.JSONDecoder()
    data = {
        m.group(1) or m.group(2): decoder.raw_decode(html, m.end())[0]["features"]
        for m in re.finditer(r"var (\w+) = L\.timeline\(\s*|(\w+)_add\(", html)
    }
    return {name: data[layer_var(html, name)] for name in overlays(html)}


def props(html, layer):
    return [feature["properties"] for feature in layers(html)[layer]]


def one(html, layer, **where):
    """The properties of the one feature of ``layer`` whose properties match ``where``."""
    (found,) = [p for p in props(html, layer) if all(p.get(k) == v for k, v in where.items())]
    return found


def labels(html):
    return sorted(
        re.search(r">(.*)<", p["label"]["html"]).group(1)
        for p in props(html, "Troop figures")
        if "label" in p
    )


def noon(day):
    return f"{day}T12:00:00Z"


def interval(html, properties):
    """(start, end, end exclusive) of a timed feature as the page's ``getInterval`` gives
    them: its own dates, the period's where it has none."""
    functions = set(
        re.findall(
            r'start: "start" in p \? Date\.parse\(p\.start\) : (\d+),\s*'
            r'end: "end" in p \? Date\.parse\(p\.end\) : (\d+),\s*'
            r"endExclusive: p\.endExclusive === true",
            html,
        )
    )
    ((first, last),) = functions  # one period for every timed layer
    period = [
        dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for ms in (first, last)
    ]
    return (
        properties.get("start", period[0]),
        properties.get("end", period[1]),
        properties.get("endExclusive") is True,
    )


# --- one article: places ------------------------------------------------------------------


def place(name, kind, lat, lon, country):
    return Place(f"geomap:{name}", name, kind, lat, lon, country, 0, None, "geomap")


@pytest.fixture
def fmap_args():
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
    frame = places_frame(count_places(mentions))
    countries = country_mentions(frame, load_countries(), {"NE": ("ML",)})
    return frame, countries, {"NE": "Niger", "ML": "Mali"}


@pytest.fixture
def fmap(fmap_args):
    return render_map(*fmap_args, title="Test <map>")


def test_map_has_one_layer_per_kind_and_a_legend(fmap):
    html = fmap.get_root().render()
    assert set(overlays(html)) == {
        "Labels",
        "Countries (shaded by mentions)",
        "Places (sized by mentions)",
        "Military facilities",
        "Regions",
        "Governments speaking (associative)",
    }
    assert [p["tooltip"] for p in props(html, "Places (sized by mentions)")] == ["Niamey"]
    assert "geomap-legend" in html and "Test &lt;map&gt;" in html
    assert "L.control.layers" in html
    assert "</script><script>alert(1)" not in html


def test_one_date_gets_no_time_slider(fmap):
    html = fmap.get_root().render()
    assert "L.timeline" not in html and "timelineSliderControl" not in html
    assert "start" not in one(html, "Places (sized by mentions)", tooltip="Niamey")


def test_map_frames_literal_places(fmap):
    fit = [child for child in fmap._children.values() if type(child).__name__ == "FitBounds"]
    (south, west), (north, east) = fit[0].bounds
    assert south < 13.5 and north > 16.9 and west < 2.0 and east > 8.0
    assert north < 48  # associative Paris does not stretch the view


def test_popup_names_place_kind_country_resolution_and_quote(fmap):
    popup = one(fmap.get_root().render(), "Places (sized by mentions)", tooltip="Niamey")["popup"]
    assert "Niamey</h4>" in popup and "Niger (NE)" in popup
    assert "resolved by only candidate" in popup
    assert "2023-09-08" in popup and "About Niamey &lt;/script&gt;" in popup


# --- one article: troops ------------------------------------------------------------------

NIGER = place("Niger", "country", 17.7, 9.9, "NE")
MALI = place("Mali", "country", 17.0, -4.0, "ML")
AGADEZ = place("Agadez", "city", 16.97, 7.99, "NE")
NIAMEY = place("Niamey", "city", 13.51, 2.11, "NE")
HOSTILE = "Troops arrived. </script><script>alert(1)</script> ${alert(2)}"


def troop(actor, code, count, where, *, status="present", qualifier="exact", sentence="S.",
          article="a1", date=dt.date(2023, 9, 8)):  # fmt: skip
    if status == "departed":
        date = dt.date(2022, 9, 8)
    return TroopFigure(
        article, date, actor, code, count, qualifier, "troops", where, status, sentence, 0, 9
    )


def troop_map(figures, moved=(), places=(), titles=None):
    return troop_fmap(figures, moved, places, titles).get_root().render()


def troop_fmap(figures, moved=(), places=(), titles=None):
    figures = figures_frame(figures)
    places = places_frame(count_places(places))
    countries = troop_presence(
        figures, country_mentions(places, load_countries(), {}, figures["country"])
    )
    return render_map(
        places, countries, {"NE": "Niger"}, figures=figures, movements=movements_frame(moved),
        titles=titles,
    )  # fmt: skip


@pytest.fixture
def troop_html():
    return troop_map(
        [
            troop("United States", "US", 1100, NIGER, sentence="There were 1,100 US troops."),
            troop("United States", "US", None, NIGER, status="departing", sentence="A few leave."),
            troop("France", "FR", 1500, NIGER),
            troop("France", "FR", 2000, MALI, status="departed", qualifier="more_than"),
            troop("Germany", "DE", None, AGADEZ, sentence="German troops are in Agadez."),
        ],
        [Movement("a1", dt.date(2023, 9, 8), "United States", "US", NIAMEY, AGADEZ, HOSTILE, 0, 9)],
    )


def test_troop_layers_are_their_own_feature_groups_in_the_layer_control(troop_html):
    layers = overlays(troop_html)
    names = ("Foreign troop presence", "Troop figures", "Movements")
    assert all(layers[name].startswith("feature_group_") for name in names)
    assert len({layers[name] for name in names}) == 3


def test_figures_are_labelled_by_actor_code_count_qualifier_and_status(troop_html):
    assert labels(troop_html) == ["FR 1,500", "FR more than 2,000 (left)", "US 1,100"]
    gone = one(troop_html, "Troop figures", tooltip="FR more than 2,000 (left)")["style"]
    assert gone["dashArray"] == "4 4" and gone["radius"] == figure_radius(2000, 2000)


def test_countless_figure_is_listed_in_a_popup_not_drawn_as_a_count(troop_html):
    assert not any(label.startswith("DE") for label in labels(troop_html))
    marker = one(troop_html, "Troop figures", tooltip="Agadez: troops, number not given")
    assert "Troops in Agadez" in marker["popup"] and "label" not in marker
    assert "Germany: troops (number not given), present" in marker["popup"]
    assert "German troops are in Agadez." in marker["popup"]
    # The US figure without a number joins the US figure of its day in Niger.
    us_popup = one(troop_html, "Troop figures", tooltip="US 1,100")["popup"]
    assert "United States in Niger</h4>" in us_popup
    assert "United States: troops (number not given), departing" in us_popup
    assert "United States: 1,100 troops, present" in us_popup


def test_presence_choropleth_and_legend(troop_html):
    niger = one(troop_html, "Countries (shaded by mentions)", iso_a2="NE")
    assert niger["tooltip"] == "Niger: 2,600 foreign troops (United States 1,100; France 1,500)"
    assert [p["iso_a2"] for p in props(troop_html, "Foreign troop presence")] == ["NE"]
    assert "Mali: " not in troop_html  # France left Mali: no presence there
    assert "2,600 troops" in troop_html  # the legend's one class
    assert "France</div>" in troop_html and "United States</div>" in troop_html


def test_presence_layer_leaves_the_pointer_to_the_countries_layer(troop_html):
    presence = overlays(troop_html)["Foreign troop presence"]
    shading = re.search(rf"(\w+)\.addTo\({presence}\)", troop_html).group(1)
    options = re.search(rf"var {shading} = L\.geoJson\(null, \{{(.*?)\}}\);", troop_html, re.S)
    assert '"interactive": false' in options.group(1)


def test_movement_has_an_arrowhead_and_an_escaped_popup(troop_html):
    line, head = props(troop_html, "Movements")
    assert "Niamey → Agadez" in line["popup"]
    assert f"rotate({screen_bearing([13.51, 2.11], [16.97, 7.99])}deg)" in head["icon"]["html"]
    assert head["interactive"] is False
    assert "</script><script>alert(1)" not in troop_html and "${alert(2)}" not in troop_html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in line["popup"]
    assert "&#36;&#123;alert(2)&#125;" in line["popup"]


# --- many articles ------------------------------------------------------------------------

JAN, MAR, JUN = dt.date(2023, 1, 10), dt.date(2023, 3, 5), dt.date(2023, 6, 1)
TITLES = {
    "a1": "Troops in the Sahel",
    "a2": "Hostile </script><script>alert(1)</script> ${alert(2)} `x`",
    "a3": "Niger, June",
}


def named(article, date, where, sentence="S."):
    return Mention(article, date, 0, 1, where.name, where, "literal", sentence, 0.9, "best")


@pytest.fixture
def corpus_html():
    return troop_map(*corpus_inputs())


def corpus_inputs():
    """Three articles' figures, movements (none), place mentions and hostile titles."""
    mentions = [
        named("a1", JAN, NIAMEY),
        named("a1", JAN, NIAMEY),
        named("a2", MAR, NIAMEY, sentence=HOSTILE),
        named("a3", JUN, AGADEZ),
    ]
    figures = [
        troop("France", "FR", 1500, NIGER, article="a1", date=JAN),
        troop("France", "FR", 1200, NIGER, article="a3", date=JUN, sentence="France: 1,200."),
        troop("United States", "US", 1100, NIGER, article="a2", date=MAR),
        troop("United States", "US", 1300, NIGER, article="a2", date=MAR, sentence=HOSTILE),
        troop("Germany", "DE", None, AGADEZ, article="a9", date=None),
    ]
    return figures, (), mentions, TITLES


def test_pages_are_the_same_when_their_parts_are_not_compiled_again():
    with stable_ids():
        compiled = troop_map(*corpus_inputs())  # branca compiles each rendered part again
    with stable_ids(), verbatim_macros():
        verbatim = troop_map(*corpus_inputs())
    assert verbatim == compiled and "alert(1)" in verbatim  # the hostile title, inert


def test_a_written_page_is_its_text_with_the_layers_json_spliced_in_as_bytes(tmp_path):
    """write_map puts the layers' JSON into the page's UTF-8 bytes (`SplicedJson`),
    not through the page's text: the same bytes, non-ASCII and hostile text included."""
    figures, moved, mentions, titles = corpus_inputs()
    titles = {**titles, "a3": "Niger — juin, Agadez → Niamey"}
    with stable_ids(), verbatim_macros():  # a map renders once: two of the same
        text = troop_fmap(figures, moved, mentions, titles).get_root().render()
    with stable_ids():
        fmap = troop_fmap(figures, moved, mentions, titles)
    written = write_map(fmap, tmp_path / "map.html").read_bytes()
    assert written == text.encode() and "Niger — juin" in text and "\0" not in text
    assert len(re.findall(r"L\.timeline\(\s*\{", text)) >= 2  # layers' JSON among them


def test_place_named_by_two_articles_appears_once_with_both_and_their_counts(corpus_html):
    (niamey,) = [
        p for p in props(corpus_html, "Places (sized by mentions)") if "Niamey" in p["popup"]
    ]
    articles = re.search(r"<h5>Articles</h5>(.*?)</ul>", niamey["popup"]).group(1)
    assert re.findall(r"<b>(.*?)</b>", articles) == ["2023-03-05", "2023-01-10"]  # newest first
    assert "Troops in the Sahel <small>(a1)</small> · 2 mentions" in articles
    assert "(a2)</small> · 1 mention<" in articles
    assert "3 mentions in 2 articles" in niamey["popup"]


def test_place_popup_quotes_the_newest_sentences_and_counts_the_others():
    mentions = [
        named(f"a{day}", dt.date(2023, 5, day), AGADEZ, sentence=f"Day {day}, line {line}.")
        for day in (3, 9, 1, 7)
        for line in (1, 2)
    ]
    (agadez,) = props(troop_map([], (), mentions), "Places (sized by mentions)")
    quotes = re.search(r"<h5>Quotes</h5><ul>(.*?)</ul>", agadez["popup"]).group(1)
    assert re.findall(r"“(.*?)”", quotes) == [
        "Day 9, line 1.", "Day 9, line 2.", "Day 7, line 1.", "Day 7, line 2.", "Day 3, line 1.",
    ]  # fmt: skip
    assert quotes.endswith("<li>and 3 more</li>")


def test_country_popup_lists_an_actors_figures_newest_first(corpus_html):
    popup = one(corpus_html, "Countries (shaded by mentions)", iso_a2="NE")["popup"]
    france = re.search(r"<h5>France</h5>(.*?)</ul>", popup).group(1)
    assert re.findall(r"<li><b>(.*?)</b> · (.*?) · ", france) == [
        ("2023-06-01", "1,200 troops, present"),
        ("2023-01-10", "1,500 troops, present"),
    ]
    assert "Niger, June <small>(a3)</small>" in france


def test_country_popup_kept_from_the_last_map_follows_each_thing_it_shows():
    """Popups are kept by a hash of what they show: a changed count, status, place or
    article title gives the new popup, never the one kept from the map before."""
    figures, moved, mentions, titles = corpus_inputs()

    def niger(figures=figures, titles=titles):
        html = troop_map(figures, moved, mentions, titles)
        return one(html, "Countries (shaded by mentions)", iso_a2="NE")["popup"]

    def changed(**change):
        return [*figures[:1], dataclasses.replace(figures[1], **change), *figures[2:]]

    first = niger()
    assert "1,200 troops, present · " in first
    for variant, shown in [
        (changed(count=1250), "1,250 troops, present · "),
        (changed(status="departed"), "1,200 troops, departed · "),
        (changed(location=AGADEZ), "1,200 troops, present at Agadez · "),
    ]:
        assert niger() == first  # kept
        assert shown in niger(variant)
    assert niger() == first
    assert "Niger in June <small>(a3)</small>" in niger(titles={**titles, "a3": "Niger in June"})


def test_place_popup_kept_from_the_last_map_follows_each_thing_it_shows():
    """A place's popup is kept the same way: another article naming it, another
    sentence or another title gives the new popup."""
    figures, moved, mentions, titles = corpus_inputs()

    def niamey(mentions=mentions, titles=titles):
        html = troop_map(figures, moved, mentions, titles)
        (found,) = [p for p in props(html, "Places (sized by mentions)") if "Niamey" in p["popup"]]
        return found["popup"]

    first = niamey()
    assert "Troops in the Sahel <small>(a1)</small> · 2 mentions" in first
    for variant, shown in [
        ([*mentions, named("a3", JUN, NIAMEY)], "(a3)</small> · 1 mention"),
        ([*mentions[:1], named("a1", JAN, NIAMEY, "Other."), *mentions[2:]], "“Other.”"),
    ]:
        assert niamey() == first  # kept
        assert shown in niamey(variant) and shown not in first
    # Five newer sentences: a1 is listed but not quoted, and its title is still shown.
    busy = [*mentions, *(named("a2", MAR, NIAMEY, f"More {n}.") for n in range(5))]
    assert "Troops in the Sahel <small>(a1)</small>" in niamey(busy)
    assert "In the Sahel <small>(a1)</small>" in niamey(busy, {**titles, "a1": "In the Sahel"})


def test_conflicting_same_day_figures_are_both_kept(corpus_html):
    popup = one(corpus_html, "Countries (shaded by mentions)", iso_a2="NE")["popup"]
    us = re.search(r"<h5>United States</h5>(.*?)</ul>", popup).group(1)
    assert re.findall(r"<b>2023-03-05</b> · ([\d,]+) troops", us) == ["1,100", "1,300"]
    circle = one(corpus_html, "Troop figures", tooltip="US 1,100–1,300")
    assert "1,100 troops" in circle["popup"] and "1,300 troops" in circle["popup"]


def test_figure_is_shown_until_a_newer_one_of_the_same_actor_and_place(corpus_html):
    old = one(corpus_html, "Troop figures", tooltip="FR 1,500")
    new = one(corpus_html, "Troop figures", tooltip="FR 1,200")
    assert interval(corpus_html, old) == (noon(JAN), noon(JUN), True)
    assert interval(corpus_html, new) == (noon(JUN), noon(JUN), False)
    assert "end" not in new  # the period's end, whatever it is: a newer article keeps it as is
    # Labels of one place keep their line, largest newest count first.
    figures = props(corpus_html, "Troop figures")
    lines = {p["tooltip"]: p["label"]["iconAnchor"][1] for p in figures if "label" in p}
    assert lines["US 1,100–1,300"] == 9 and lines["FR 1,200"] == lines["FR 1,500"] == -9


def test_places_start_at_their_first_mention_and_undated_items_always_show(corpus_html):
    shown = {
        re.search(r"<h4>(.*?)</h4>", p["popup"]).group(1): interval(corpus_html, p)
        for p in props(corpus_html, "Places (sized by mentions)")
    }
    assert shown == {
        "Niamey": (noon(JAN), noon(JUN), False),
        "Agadez": (noon(JUN), noon(JUN), False),
    }
    undated = one(corpus_html, "Troop figures", tooltip="Agadez: troops, number not given")
    assert interval(corpus_html, undated) == (noon(JAN), noon(JUN), False)
    assert "start" not in undated and "end" not in undated
    assert "undated" in undated["popup"]


def test_timeline_slider_opens_at_the_newest_date_without_playing(corpus_html):
    slider = re.search(
        r"var (\w+) = L\.timelineSliderControl\(\s*(\{.*?\})\s*\);", corpus_html, re.S
    )
    assert '"autoPlay": false' in slider.group(2)
    timed = re.findall(rf"{slider.group(1)}\.addTimelines\((\w+)\);", corpus_html)
    for layer in ("Places (sized by mentions)", "Military facilities", "Troop figures"):
        assert layer_var(corpus_html, layer) in timed
    newest = int(dt.datetime(2023, 6, 1, 12, tzinfo=dt.UTC).timestamp() * 1000)
    start = corpus_html.index(f"{slider.group(1)}.setTime({newest});")
    assert start > corpus_html.rindex(f"{slider.group(1)}.addTimelines(")
    assert "Time slider (2023-01-10 to 2023-06-01)" in corpus_html  # the legend says so


def test_hostile_title_and_sentence_stay_escaped(corpus_html):
    for payload in ("</script><script>alert(1)", "${alert(2)}", "`x`"):
        assert payload not in corpus_html, payload
    popups = " ".join(
        f["properties"].get("popup", "")
        for features in layers(corpus_html).values()
        for f in features
    )
    assert "Hostile &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#36;&#123;" in popups
    assert "&#96;x&#96;" in popups and "Troops arrived. &lt;/script&gt;" in popups
    assert len(re.findall(r"<script\b", corpus_html)) == len(re.findall(r"</script>", corpus_html))


def test_synthetic_corpus_timeline_covers_every_article_date(tmp_path, gazetteer):
    make_corpus(tmp_path / "corpus", 12, seed=3)
    result = build([tmp_path / "corpus"], gazetteer=gazetteer)
    titles = {article.id: article.title for article in result.articles}
    html = render_map(
        result.places, result.countries, result.country_names, figures=result.figures_frame,
        movements=result.movements_frame, titles=titles,
    ).get_root().render()  # fmt: skip
    timed = [
        p for name in ("Places (sized by mentions)", "Troop figures") for p in props(html, name)
    ]
    first = min(interval(html, p)[0] for p in timed)
    last = max(interval(html, p)[1] for p in timed)
    days = sorted({noon(article.date) for article in result.articles})
    assert first <= days[0] and last == days[-1]  # figures may date from before their article
    starts = {p["start"] for p in props(html, "Places (sized by mentions)")}
    assert starts == {noon(d) for d in result.places["first_date"]}
    assert all(noon(d) in days for d in result.places["first_date"])
    popups = " ".join(p["popup"] for p in props(html, "Places (sized by mentions)"))
    names = ArticleNames(titles)
    assert all(titles[article] and names[article] in popups for article in titles)


# --- symbols and classes ------------------------------------------------------------------


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
    labels = [label for _, label, _ in classes]
    assert labels[0] == f"up to {limits[0]:,}" and labels[-1] == f"over {limits[-2]:,}"
    assert labels[1:-1] == [f"{a + 1:,}–{b:,}" for a, b in zip(limits, limits[1:-1], strict=False)]
    # a new largest or smallest value moves no label: the image's legend stays as it was
    wider = presence_classes([100, *values[1:-1], 19100])
    assert [c[1:] for c in wider] == [c[1:] for c in classes] and wider[-1][0] == 19100


def test_symbol_area_grows_with_count_and_bearing_is_clockwise_from_north():
    assert figure_radius(13000, 13000) == 30
    assert figure_radius(3250, 13000) == 15  # a quarter of the count, a quarter of the area
    assert screen_bearing([0, 0], [0, 10]) == 90 and screen_bearing([0, 0], [10, 0]) == 0
    assert actor_colour("France") == actor_colour("France") in ACTOR_COLOURS


def test_stable_ids_make_two_renders_identical(fmap_args):
    def html():
        return render_map(*fmap_args).get_root().render()

    assert html() != html()  # folium's own ids come from os.urandom
    with stable_ids():
        first = html()
    with stable_ids():
        second = html()
    assert first == second


def test_labels_name_countries_and_places_without_tiles(fmap):
    # The DivIcons' HTML sits in JSON options: undo that escaping to read it.
    html = fmap.get_root().render().replace('\\"', '"')
    html = html.replace("\\u003e", ">").replace("\\u003c", "<")
    assert 'geomap-label geomap-country geomap-touched">Niger<' in html
    assert 'geomap-label geomap-country">Mali<' in html  # a neighbour, not touched
    assert 'geomap-label geomap-place">Niamey<' in html
    assert 'geomap-place">Base<' not in html  # facilities have their own icon
    assert ".leaflet-container {background: #dde6ec;}" in html  # neutral sea when offline


def test_a_polygon_is_written_as_its_own_geojson_however_often_drawn(monkeypatch):
    """Polygons' JSON is kept by their WKB: another shape is never given a kept one, the
    keys are sorted as the page writes them, and no more than KEPT_POLYGONS are kept."""
    monkeypatch.setattr(timeline, "KEPT_POLYGONS", 3)
    shapes = [
        box(0, 0, 1, 1),
        box(0, 0, 2, 2),
        box(0, 0, 1, 1),
        shapely.union(box(0, 0, 1, 1), box(5, 5, 6, 6)),
    ]
    shapes += [box(i, 0, i + 1, 1) for i in range(10, 15)]
    for shape in shapes:
        written = orjson.dumps(feature(shape, iso_a2="XX"), option=orjson.OPT_SORT_KEYS)
        assert orjson.loads(written) == {
            "geometry": json.loads(shapely.to_geojson(shape)),
            "properties": {"iso_a2": "XX"},
            "type": "Feature",
        }
        assert written.startswith(b'{"geometry":{"coordinates":')
    assert len(timeline._polygons) <= 3


def test_layer_data_is_escaped_for_html_exactly_as_tojson_escapes_it():
    """The layers' JSON is escaped in its bytes (`timeline._json_text`); Jinja's escaping
    over it changes nothing, and the text is what Jinja alone would give."""
    value = {"popup": "<b class='x'>Niamey & Agadez</b> → 1,100", "n": [1, 2.5, None]}

    def plain(obj, **kwargs):
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()

    expected = htmlsafe_json_dumps(value, dumps=plain, sort_keys=True)
    assert htmlsafe_json_dumps(value, dumps=timeline._json_text, sort_keys=True) == expected
    assert "\\u003cb class=\\u0027x\\u0027\\u003eNiamey \\u0026 Agadez" in expected
