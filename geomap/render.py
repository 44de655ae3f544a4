"""The folium map: one function per layer, a legend and a layer control.

`render_map` builds and returns a `folium.Map`; it writes nothing. Every piece of
text that came from an article reaches the HTML through `escape_text`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import statistics
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement, Template

from geomap.boundaries import date_key, latest_figures

#: Class breaks and colours for countries shaded by mentions (0 = neighbour only).
SHADES = ((1, "#fee8c8"), (3, "#fdbb84"), (10, "#fc8d59"), (30, "#e34a33"), (math.inf, "#b30000"))
NEIGHBOUR = "#f0f0f0"
PLACE_COLOUR = "#2b5d9b"
ASSOCIATIVE_COLOUR = "#7a7a7a"
MAX_QUOTES = 5
#: Sequential colours of the foreign troop presence choropleth, light to dark.
PRESENCE_COLOURS = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
#: Actor colours, fixed per actor by a checksum of its name; no purple, which is presence's.
ACTOR_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#8c6d00", "#8c564b", "#e377c2", "#17becf",
)  # fmt: skip
NO_COUNT_COLOUR = "#555555"
MAX_FIGURE_RADIUS = 30.0
MIN_FIGURE_RADIUS = 4.0
#: How a label and a circle mark a figure that is not simply "present".
STATUS_WORDS = {
    "present": "",
    "arriving": "(arriving)",
    "departing": "(leaving)",
    "departed": "(left)",
    "planned": "(planned)",
}
QUALIFIER_WORDS = {
    "exact": "",
    "approx": "about",
    "more_than": "more than",
    "fewer_than": "fewer than",
    "up_to": "up to",
}

_JS_UNSAFE = str.maketrans(
    {
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        "{": "&#123;",
        "}": "&#125;",
        "\n": " ",
        "\r": " ",
        "\u2028": " ",
        "\u2029": " ",
    }
)


def escape_text(text: object) -> str:
    """Make article-derived text inert in folium's HTML *and* JavaScript contexts.

    HTML-escapes ``< > & " '`` and turns the characters that act inside a JavaScript
    template literal (backtick, ``$``, backslash, braces) and line separators into
    entities, because folium pastes popup and tooltip HTML into template literals.
    """
    return html.escape(str(text), quote=True).translate(_JS_UNSAFE)


def render_map(
    places: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    country_names: dict[str, str],
    *,
    figures: gpd.GeoDataFrame | None = None,
    movements: gpd.GeoDataFrame | None = None,
    title: str = "geomap",
) -> folium.Map:
    """The layered map of ``places`` over ``countries`` (frames as in `geomap.boundaries`).

    The troop layers are drawn from ``figures`` and ``movements`` when given, and the
    presence choropleth when ``countries`` went through `geomap.boundaries.troop_presence`.
    """
    fmap = folium.Map(location=[15, 5], zoom_start=4, tiles="OpenStreetMap", control_scale=True)
    add_countries_layer(fmap, countries)
    presence = countries.get("presence", pd.Series(0, index=countries.index))
    hosting = countries[presence > 0]
    classes = presence_classes(presence[presence > 0])
    add_presence_layer(fmap, hosting, classes)
    literal = places[places["role"] == "literal"]
    add_regions_layer(fmap, literal[literal["kind"] == "region"], country_names)
    add_places_layer(fmap, literal[~literal["kind"].isin(["region", "facility"])], country_names)
    add_facilities_layer(fmap, literal[literal["kind"] == "facility"], country_names)
    add_associative_layer(fmap, places[places["role"] == "associative"], country_names)
    actors: list[str] = []
    has_figures = figures is not None and not figures.geometry.isna().all()
    if has_figures:
        actors += add_figures_layer(fmap, figures)
    has_movements = movements is not None and not movements.empty
    if has_movements:
        add_movements_layer(fmap, movements)
        actors += list(movements["actor"])
    Legend(
        title,
        has_associative=bool((places["role"] == "associative").any()),
        presence=[(label, colour) for _, label, colour in classes],
        actors=[(escape_text(actor), actor_colour(actor)) for actor in dict.fromkeys(actors)],
        has_figures=has_figures,
        has_movements=has_movements,
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _frame(fmap, places)
    return fmap


def add_countries_layer(fmap: folium.Map, countries: gpd.GeoDataFrame) -> None:
    """Countries the articles touch, shaded by mentions; their neighbours in grey."""
    if countries.empty:
        return
    frame = countries.assign(
        label=[
            escape_text(f"{name}: {count} mention{'s' * (count != 1)}" if touched else name)
            for name, count, touched in zip(
                countries["name"], countries["mentions"], countries["touched"], strict=True
            )
        ],
        fill=[
            shade(c) if t else NEIGHBOUR
            for c, t in zip(countries["mentions"], countries["touched"], strict=True)
        ],
    )[["iso_a2", "label", "fill", "geometry"]]
    folium.GeoJson(
        frame,
        name="Countries (shaded by mentions)",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#666666",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        highlight_function=lambda f: {"weight": 2, "color": "#333333"},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        smooth_factor=1.5,
    ).add_to(fmap)


def shade(mentions: int) -> str:
    """The fill colour of a country with ``mentions`` literal mentions."""
    return next(colour for limit, colour in SHADES if mentions <= limit)


def presence_classes(values: Iterable[int], most: int = 5) -> list[tuple[int, str, str]]:
    """(upper limit, legend label, colour) of each class of the presence choropleth.

    Articles name troops in a handful of countries, so up to ``most`` distinct values
    get a class each; beyond that, quantiles rounded to nice numbers keep the legend
    readable ("1,001–2,500" rather than "1,037–2,481").
    """
    values = [int(v) for v in values]
    distinct = sorted(set(values))
    if len(distinct) <= most:
        limits, labels = distinct, [f"{v:,}" for v in distinct]
    else:
        cuts = statistics.quantiles(values, n=most, method="inclusive")
        inner = sorted({nice_number(c) for c in cuts} - {0})
        limits = [c for c in inner if distinct[0] <= c < distinct[-1]] + [distinct[-1]]
        lows = [distinct[0], *(limit + 1 for limit in limits[:-1])]
        labels = [f"{low:,}–{high:,}" for low, high in zip(lows, limits, strict=True)]
    colours = _ramp(len(limits))
    return list(zip(limits, labels, colours, strict=True))


def nice_number(value: float) -> int:
    """The nearest of 1, 2, 2.5 and 5 times a power of ten, for legible class breaks."""
    if value < 1:
        return 0
    power = 10 ** math.floor(math.log10(value))
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    return int(min((step * power for step in steps), key=lambda n: abs(n - value)))


def _ramp(n: int) -> list[str]:
    """``n`` colours spread over the presence palette, ending at the darkest.

    The palest colour is used only when all five are needed: over the countries layer
    it is hard to tell from no colour at all.
    """
    last = len(PRESENCE_COLOURS) - 1
    first = 0 if n > last else 1
    if n == 1:
        return [PRESENCE_COLOURS[last]]
    return [PRESENCE_COLOURS[round(first + i * (last - first) / (n - 1))] for i in range(n)]


def add_presence_layer(
    fmap: folium.Map, hosting: gpd.GeoDataFrame, classes: list[tuple[int, str, str]]
) -> None:
    """Countries with foreign troops, shaded by their number (the ``classes``)."""
    if hosting.empty:
        return
    frame = hosting.assign(
        label=[
            escape_text(f"{name}: {count:,} foreign troops ({actors})")
            for name, count, actors in zip(
                hosting["name"], hosting["presence"], hosting["presence_actors"], strict=True
            )
        ],
        fill=[next(c for limit, _, c in classes if v <= limit) for v in hosting["presence"]],
    )[["iso_a2", "label", "fill", "geometry"]]
    layer = folium.FeatureGroup(name="Foreign troop presence")
    folium.GeoJson(
        frame,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#3f007d",
            "weight": 1.5,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        smooth_factor=1.5,
    ).add_to(layer)
    layer.add_to(fmap)


def actor_colour(actor: str) -> str:
    """The actor's colour: the same on every map, whatever other actors it shows."""
    return ACTOR_COLOURS[zlib.crc32(actor.encode("utf-8")) % len(ACTOR_COLOURS)]


def add_figures_layer(fmap: folium.Map, figures: gpd.GeoDataFrame) -> list[str]:
    """A circle per actor and location, area ∝ its latest count, labelled like "US 1,100".

    Figures without a number are never drawn as zero: they are listed in the popups of
    their location, and a location with only such figures gets a small neutral marker.
    Figures without a location are not drawn. Returns the actors drawn, for the legend.
    """
    located = figures[~figures.geometry.isna()]
    latest = latest_figures(located, by=("actor", "location"))
    largest = int(latest["count"].max()) if not latest.empty else 1
    layer = folium.FeatureGroup(name="Troop figures")
    for location, here in located.groupby("location", sort=False):
        newest = latest[latest["location"] == location]
        sizes = newest.groupby("actor", sort=False)["count"].max().sort_values(ascending=False)
        countless = here[~here["actor"].isin(sizes.index)]
        where = _location(here.iloc[0])
        if sizes.empty:
            folium.CircleMarker(
                location=where, radius=MIN_FIGURE_RADIUS, color=NO_COUNT_COLOUR, weight=2,
                fill=True, fill_color="#ffffff", fill_opacity=0.9,
                popup=_figures_popup(f"Troops in {location}", countless, countless[:0]),
                tooltip=escape_text(f"{location}: troops, number not given"),
            ).add_to(layer)  # fmt: skip
            continue
        radii = {actor: figure_radius(int(n), largest) for actor, n in sizes.items()}
        for line, (actor, radius) in enumerate(radii.items()):
            mine = newest[newest["actor"] == actor]
            label = escape_text(figure_label(mine))
            gone = (mine["status"] == "departed").all()
            folium.CircleMarker(
                location=where, radius=radius, color=actor_colour(actor), weight=2,
                dash_array="4 4" if gone else None, fill=True, fill_opacity=0.05 if gone else 0.35,
                popup=_figures_popup(
                    f"{actor} in {location}", here[here["actor"] == actor], countless
                ),
                tooltip=label,
            ).add_to(layer)  # fmt: skip
            folium.Marker(
                location=where,
                icon=folium.DivIcon(
                    html=f'<div class="geomap-figure" style="color: {actor_colour(actor)}">'
                    f"{label}</div>",
                    icon_size=(200, 18),
                    icon_anchor=(-(max(radii.values()) + 3), 9 - 18 * line),
                ),
                interactive=False,
            ).add_to(layer)
    layer.add_to(fmap)
    return list(latest["actor"])


def figure_radius(count: int, largest: int) -> float:
    """Circle radius in pixels, so that areas compare like counts (the largest is 30 px)."""
    return round(max(MIN_FIGURE_RADIUS, MAX_FIGURE_RADIUS * math.sqrt(count / largest)), 1)


def figure_label(newest: pd.DataFrame) -> str:
    """Label of an actor's newest figures at a location, like "US 1,100".

    Shows the qualifier and status ("FR more than 2,000 (left)"), and a range when
    same-day reports disagree.
    """
    first = newest.iloc[0]
    who = first["actor_code"] if pd.notna(first["actor_code"]) else first["actor"]
    counts = sorted(set(newest["count"]))
    if len(counts) > 1:
        amount = f"{counts[0]:,}–{counts[-1]:,}"
    else:
        amount = f"{QUALIFIER_WORDS.get(first['qualifier'], '')} {counts[0]:,}"
    statuses = set(newest["status"])
    status = STATUS_WORDS.get(first["status"], "") if len(statuses) == 1 else ""
    return " ".join(f"{who} {amount} {status}".split())


def _figures_popup(heading: str, history: pd.DataFrame, countless: pd.DataFrame) -> folium.Popup:
    """The figures reported for one actor at a location, newest first, quoting each sentence."""
    body = f"<h4>{escape_text(heading)}</h4><ul>{_figure_items(history)}</ul>"
    if not countless.empty:
        body += f"<p>Also reported here, without a number:</p><ul>{_figure_items(countless)}</ul>"
    html_ = folium.Html(f'<div class="geomap-popup">{body}</div>', script=True)
    return folium.Popup(html_, max_width=360)


def _figure_items(figures: pd.DataFrame) -> str:
    records = sorted(figures.to_dict("records"), key=lambda r: date_key(r["date"]), reverse=True)
    return "".join(
        f"<li><b>{_day_text(r['date'])}</b> &middot; "
        f"{escape_text(_amount(r))} &middot; {escape_text(r['article'])}: "
        f"&ldquo;{escape_text(r['sentence'])}&rdquo;</li>"
        for r in records
    )


def _day_text(date: object) -> str:
    return date.isoformat() if isinstance(date, dt.date) else "undated"


def _amount(figure: dict) -> str:
    """Like "France: more than 2,000 troops, departed"; "number not given" rather than 0."""
    count, unit = figure["count"], figure["unit"]
    if pd.isna(count):
        number = f"{unit} (number not given)"
    else:
        number = f"{QUALIFIER_WORDS.get(figure['qualifier'], '')} {count:,} {unit}".strip()
    return f"{figure['actor']}: {number}, {figure['status']}"


def add_movements_layer(fmap: folium.Map, movements: gpd.GeoDataFrame) -> None:
    """A line per movement, origin → destination, with an arrowhead at the destination."""
    layer = folium.FeatureGroup(name="Movements")
    for record in movements.to_dict("records"):
        colour = actor_colour(record["actor"])
        path = _latlons(record["geometry"])
        text = (
            f"<h4>{escape_text(record['actor'])}</h4><p>{escape_text(record['from'])} &rarr; "
            f"{escape_text(record['to'])}<br><b>{_day_text(record['date'])}</b>"
            f" &middot; {escape_text(record['article'])}</p>"
            f"<p>&ldquo;{escape_text(record['sentence'])}&rdquo;</p>"
        )
        folium.PolyLine(
            path,
            color=colour,
            weight=3,
            opacity=0.85,
            dash_array="8 6",
            popup=folium.Popup(
                folium.Html(f'<div class="geomap-popup">{text}</div>', script=True), max_width=360
            ),
            tooltip=escape_text(f"{record['actor']}: {record['from']} → {record['to']}"),
        ).add_to(layer)
        folium.Marker(
            location=path[-1],
            icon=folium.DivIcon(
                html=arrowhead_svg(screen_bearing(path[-2], path[-1]), colour),
                icon_size=(56, 56),
                icon_anchor=(28, 28),
            ),
            interactive=False,
        ).add_to(layer)
    layer.add_to(fmap)


def screen_bearing(start: list[float], end: list[float]) -> float:
    """Degrees clockwise from north of start → end ([lat, lon]) as Leaflet draws it.

    Measured in Web Mercator rather than on the ellipsoid, so the arrowhead lines up
    with the straight line on the screen.
    """
    (lat1, lon1), (lat2, lon2) = start, end
    north = _mercator_y(lat2) - _mercator_y(lat1)
    east = math.radians(lon2 - lon1)
    return round(math.degrees(math.atan2(east, north)) % 360, 1)


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def arrowhead_svg(bearing: float, colour: str) -> str:
    """An inline SVG triangle pointing to ``bearing``, for an icon centred on the destination.

    The tip stops 12 px short of the centre so that a facility icon there does not hide it;
    the SVG turns about its centre, so the tip stays on the line at any bearing.
    """
    return (
        f'<svg width="56" height="56" viewBox="0 0 56 56" '
        f'style="transform: rotate({bearing}deg)">'
        f'<polygon points="28,40 35,54 28,50 21,54" fill="{colour}" stroke="#ffffff" '
        f'stroke-width="1"/></svg>'
    )


def add_places_layer(
    fmap: folium.Map, places: gpd.GeoDataFrame, country_names: dict[str, str]
) -> None:
    """Literal places (countries, cities, other) as circles sized by mentions."""
    _point_layer(
        fmap, places, "Places (sized by mentions)", country_names,
        lambda row: folium.CircleMarker(
            location=_location(row), radius=marker_radius(row.mentions), color=PLACE_COLOUR,
            weight=2, fill=True, fill_opacity=0.5,
        ),
    )  # fmt: skip


def add_facilities_layer(
    fmap: folium.Map, facilities: gpd.GeoDataFrame, country_names: dict[str, str]
) -> None:
    """Military facilities with their own (inline, CDN-free) icon."""
    icon = '<div class="geomap-facility">&#9992;</div>'
    _point_layer(
        fmap, facilities, "Military facilities", country_names,
        lambda row: folium.Marker(
            location=_location(row),
            icon=folium.DivIcon(html=icon, icon_size=(22, 22), icon_anchor=(11, 11)),
        ),
    )  # fmt: skip


def add_regions_layer(
    fmap: folium.Map, regions: gpd.GeoDataFrame, country_names: dict[str, str]
) -> None:
    """Regions (Sahel, West Africa) as italic labels: their point is only a label position."""
    _point_layer(
        fmap, regions, "Regions", country_names,
        lambda row: folium.Marker(
            location=_location(row),
            icon=folium.DivIcon(
                html=f'<div class="geomap-region">{escape_text(row.name)}</div>',
                icon_size=(140, 20), icon_anchor=(70, 10),
            ),
        ),
        tooltip=False,
    )  # fmt: skip


def add_associative_layer(
    fmap: folium.Map, places: gpd.GeoDataFrame, country_names: dict[str, str]
) -> None:
    """Places named only as governments acting ("Paris has rejected…"); hidden by default."""
    _point_layer(
        fmap, places, "Governments speaking (associative)", country_names,
        lambda row: folium.CircleMarker(
            location=_location(row), radius=marker_radius(row.mentions),
            color=ASSOCIATIVE_COLOUR, weight=2, dash_array="4 4", fill=True, fill_opacity=0.2,
        ),
        show=False,
    )  # fmt: skip


def _point_layer(
    fmap: folium.Map,
    rows: gpd.GeoDataFrame,
    name: str,
    country_names: dict[str, str],
    marker: Callable[[Any], folium.Marker | folium.CircleMarker],
    *,
    show: bool = True,
    tooltip: bool = True,
) -> None:
    """One toggleable layer: a marker per row, each with the place's popup (and tooltip)."""
    layer = folium.FeatureGroup(name=name, show=show)
    for row in rows.itertuples():
        element = marker(row)
        popup = folium.Html(popup_html(row, country_names), script=True)
        element.add_child(folium.Popup(popup, max_width=360))
        if tooltip:
            element.add_child(folium.Tooltip(escape_text(row.name)))
        element.add_to(layer)
    layer.add_to(fmap)


def _location(row) -> list[float]:
    return _latlons(row.geometry)[0]


def _latlons(geometry) -> list[list[float]]:
    """shapely's (x=lon, y=lat) vertices as Leaflet's [lat, lon] pairs."""
    return [[y, x] for x, y in geometry.coords]


def marker_radius(mentions: int) -> float:
    """Circle radius in pixels; area grows with the mention count."""
    return round(5 + 3 * math.sqrt(mentions), 1)


def popup_html(row, country_names: dict[str, str]) -> str:
    """A place's popup: name, kind, country, how it was resolved, quoted sentences with dates."""
    country = (
        f"{country_names.get(row.country, row.country)} ({row.country})"
        if row.country
        else "no single country"
    )
    quotes = "".join(
        f"<li><b>{escape_text(date or 'undated')}</b> &middot; {escape_text(article)}: "
        f"&ldquo;{escape_text(sentence)}&rdquo;</li>"
        for date, article, sentence in row.quotes[:MAX_QUOTES]
    )
    more = len(row.quotes) - MAX_QUOTES
    if more > 0:
        quotes += f"<li>and {more} more</li>"
    mentions = f"{row.mentions} mention{'s' * (row.mentions != 1)}"
    return (
        f'<div class="geomap-popup"><h4>{escape_text(row.name)}</h4>'
        f"<p>{escape_text(row.kind)} &middot; {escape_text(country)} &middot; {mentions}<br>"
        f"<small>{escape_text(row.role)}; resolved by {escape_text(row.resolution)} "
        f"(confidence {row.confidence:.2f}, source {escape_text(row.source)})</small></p>"
        f"<ul>{quotes}</ul></div>"
    )


def _frame(fmap: folium.Map, places: gpd.GeoDataFrame) -> None:
    """Fit the view to the literal places (all places when none is literal)."""
    shown = places[places["role"] == "literal"]
    if shown.empty:
        shown = places
    if shown.empty:
        fmap.location, fmap.options["zoom"] = [20, 0], 2
        return
    minx, miny, maxx, maxy = shown.total_bounds
    pad = max(3.0, 0.25 * max(maxx - minx, maxy - miny))  # degrees: show the neighbourhood
    fmap.fit_bounds([[miny - pad, minx - pad], [maxy + pad, maxx + pad]])


class Legend(MacroElement):
    """A fixed legend box: country shades, place circles, facility icon, region label."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .geomap-legend {position: fixed; bottom: 24px; left: 12px; z-index: 1000;
            background: rgba(255,255,255,0.92); padding: 8px 10px; border-radius: 6px;
            font: 12px/1.4 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 240px;}
          .geomap-legend h4 {margin: 0 0 4px; font-size: 13px;}
          .geomap-legend i {display: inline-block; width: 14px; height: 10px;
            margin-right: 6px; border: 1px solid #666; vertical-align: middle;}
          .geomap-legend .circle {border-radius: 50%; width: 11px; height: 11px;}
          .geomap-facility {background: #222; color: #fff; border-radius: 4px; width: 22px;
            height: 22px; line-height: 22px; text-align: center; font-size: 15px;}
          .geomap-region {font: italic 600 13px sans-serif; color: #7b3294; text-align: center;
            white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff;}
          path.leaflet-interactive:focus {outline: none;}
          .geomap-popup h4 {margin: 0 0 4px;} .geomap-popup ul {padding-left: 16px; margin: 4px 0;}
          .geomap-figure {display: inline-block; font: 700 12px/16px sans-serif;
            white-space: nowrap; background: rgba(255,255,255,0.85); padding: 0 3px;
            border-radius: 3px;}
          .geomap-legend h5 {margin: 6px 0 2px; font-size: 12px;}
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="geomap-legend">
          <h4>{{ this.title }}</h4>
          {% for label, colour in this.shades %}
          <div><i style="background: {{ colour }}"></i>{{ label }}</div>
          {% endfor %}
          <div><i style="background: {{ this.neighbour }}"></i>neighbouring country</div>
          <div><i class="circle" style="background: {{ this.place }}"></i>
            place (size: mentions)</div>
          <div><span class="geomap-facility" style="display:inline-block;width:16px;height:16px;
            line-height:16px;font-size:11px;margin-right:4px">&#9992;</span>military facility</div>
          <div><span class="geomap-region" style="font-size:11px">Region</span> region</div>
          {% if this.has_associative %}
          <div><i class="circle" style="background: {{ this.associative }}"></i>
            government speaking (layer off by default)</div>
          {% endif %}
          {% if this.presence %}
          <h5>Foreign troop presence</h5>
          {% for label, colour in this.presence %}
          <div><i style="background: {{ colour }}"></i>{{ label }} troops</div>
          {% endfor %}
          {% endif %}
          {% if this.actors %}
          <h5>Troops (circle area: count)</h5>
          {% for actor, colour in this.actors %}
          <div><i class="circle" style="background: {{ colour }}"></i>{{ actor }}</div>
          {% endfor %}
          {% endif %}
          {% if this.has_figures %}
          <div><i class="circle" style="background: #fff; border-color: {{ this.no_count }}">
            </i>troops, number not given</div>
          {% endif %}
          {% if this.has_movements %}
          <div><span style="display:inline-block;width:20px;margin-right:4px;
            border-top:3px dashed #444;vertical-align:middle"></span>&#9650; movement</div>
          {% endif %}
        </div>
        {% endmacro %}
    """)

    def __init__(
        self,
        title: str,
        *,
        has_associative: bool,
        presence: Sequence[tuple[str, str]] = (),
        actors: Sequence[tuple[str, str]] = (),
        has_figures: bool = False,
        has_movements: bool = False,
    ) -> None:
        """``presence``: (label, colour) per class; ``actors``: (escaped name, colour)."""
        super().__init__()
        self._name = "Legend"
        self.title = escape_text(title)
        self.shades = _shade_labels()
        self.neighbour = NEIGHBOUR
        self.place = PLACE_COLOUR
        self.associative = ASSOCIATIVE_COLOUR
        self.has_associative = has_associative
        self.presence = presence
        self.actors = actors
        self.no_count = NO_COUNT_COLOUR
        self.has_figures = has_figures
        self.has_movements = has_movements


def _shade_labels() -> list[tuple[str, str]]:
    labels, low = [], 1
    for limit, colour in SHADES:
        if math.isinf(limit):
            labels.append((f"{low}+ mentions", colour))
        else:
            span = f"{low}–{limit} mentions" if limit > low else f"{low} mention" + "s" * (low != 1)
            labels.append((span, colour))
            low = limit + 1
    return labels


__all__ = ["render_map", "escape_text"]
