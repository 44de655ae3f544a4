"""The folium map: one function per layer, a legend, a layer control and a time slider.

`render_map` builds and returns a `folium.Map`; it writes nothing. This module decides
what each layer draws; `geomap.popups` writes the text (every article string through
`escape_text`), `geomap.timeline` makes the GeoJSON layers and the time slider, and
`geomap.styles` holds the colours, classes and sizes the static image shares.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import orjson
import xyzservices
from branca.element import Element, MacroElement, Template
from shapely.geometry import Point

from geomap.boundaries import coordinates, date_key
from geomap.feature_cache import FeatureCache
from geomap.popups import (
    ArticleNames,
    Record,
    country_popup,
    escape_text,
    figure_label,
    figures_popup,
    grouped,
    movement_popup,
    place_popup,
)
from geomap.styles import (
    ASSOCIATIVE_COLOUR,
    DEFAULT_SOURCE,
    LABELLED_PLACES,
    MIN_FIGURE_RADIUS,
    NEIGHBOUR,
    NO_COUNT_COLOUR,
    PLACE_COLOUR,
    actor_colour,
    figure_radius,
    frame_bounds,
    marker_radius,
    presence_classes,
    records,
    shade,
    shade_labels,
)
from geomap.timeline import (
    BIND_TEXT,
    GeoJsonLayer,
    Period,
    add_time_slider,
    feature,
    feature_layer,
    shown,
)

FACILITY_ICON = '<div class="geomap-facility">&#9992;</div>'
#: The folium default scripts and stylesheets geomap's maps need (Leaflet, and jQuery
#: for folium's own popups); the rest of folium's defaults style widgets geomap never draws.
MAP_ASSETS = ("leaflet", "jquery", "leaflet_css")


@dataclass(frozen=True)
class LayerContext:
    """What the point and line layers need besides their rows."""

    country_names: Mapping[str, str]
    #: Article id → its name in popups (an `ArticleNames`).
    article_names: Mapping[str, str]
    #: The time slider's dates; None without a slider.
    period: Period | None
    #: The last build's features, for the layers that reuse them.
    cache: FeatureCache


def render_map(
    places: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    country_names: dict[str, str],
    *,
    figures: gpd.GeoDataFrame | None = None,
    movements: gpd.GeoDataFrame | None = None,
    titles: Mapping[str, str] | None = None,
    title: str = "geomap",
    subtitle: str = "",
    source: str = DEFAULT_SOURCE,
    cache: FeatureCache | None = None,
) -> folium.Map:
    """The layered map of ``places`` over ``countries`` (frames as in `geomap.boundaries`).

    The troop layers are drawn from ``figures`` and ``movements`` when given, and the
    presence choropleth when ``countries`` went through `geomap.boundaries.troop_presence`.
    ``titles`` (article id → title) name the articles in popups; an id stands in for a
    missing title. When the articles have more than one date, a time slider shows the
    point and line layers as of a chosen date; it opens at the newest, showing everything.
    ``title``, ``subtitle`` and ``source`` (the credit line) head the map for reports.
    The troop layers take the features of unchanged locations and routes from ``cache``.
    """
    article_names = ArticleNames(titles or {})
    figure_rows, moves = records(figures), records(movements)
    located = [f for f in figure_rows if f["geometry"] is not None]
    cited = (day for articles in places["articles"] for _, day, _ in articles if day)
    dated = (r["date"] for r in [*figure_rows, *moves] if isinstance(r["date"], dt.date))
    period = Period.spanning([*map(dt.date.fromisoformat, cited), *dated])
    fmap = folium.Map(location=[15, 5], zoom_start=4, tiles=None, control_scale=True)
    tiles = folium.TileLayer(_openstreetmap(), name="openstreetmap")  # as tiles="OpenStreetMap"
    fmap.add_child(tiles, name=tiles.tile_name)
    # geomap draws no Bootstrap widgets or Awesome Markers: load only what it uses.
    fmap.default_js = [(n, url) for n, url in fmap.default_js if n in MAP_ASSETS]
    fmap.default_css = [(n, url) for n, url in fmap.default_css if n in MAP_ASSETS]
    Heading(title, subtitle, source).add_to(fmap)
    if "presence" not in countries:  # not through troop_presence: no troops to shade
        countries = countries.assign(presence=0, presence_actors="")
    countries = countries.assign(popup=country_popups(countries, figure_rows, article_names))
    add_countries_layer(fmap, countries)
    place_rows = list(places.itertuples())  # picked as lists: selecting rows took 8 ms
    add_labels_layer(fmap, countries, place_rows)
    hosting = countries[countries["presence"] > 0]
    classes = presence_classes(hosting["presence"])
    add_presence_layer(fmap, hosting, classes)
    literal = [row for row in place_rows if row.role == "literal"]
    context = LayerContext(country_names, article_names, period, cache or FeatureCache())
    layers = [
        add_regions_layer(fmap, [row for row in literal if row.kind == "region"], context),
        add_places_layer(
            fmap, [row for row in literal if row.kind not in ("region", "facility")], context
        ),
        add_facilities_layer(fmap, [row for row in literal if row.kind == "facility"], context),
        add_associative_layer(
            fmap, [row for row in place_rows if row.role == "associative"], context
        ),
    ]
    if located:
        layers.append(add_figures_layer(fmap, located, context))
    if moves:
        layers.append(add_movements_layer(fmap, moves, context))
    actors = [f["actor"] for f in located if f["count"] is not None] + [m["actor"] for m in moves]
    Legend(
        "Legend",
        has_associative=bool((places["role"] == "associative").any()),
        presence=[(label, colour) for _, label, colour in classes],
        actors=[(escape_text(actor), actor_colour(actor)) for actor in dict.fromkeys(actors)],
        has_figures=bool(located),
        has_movements=bool(moves),
        period=period,
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if period is not None:
        add_time_slider(fmap, layers, period)
    _frame(fmap, places)
    _popups.end_map()
    return fmap


@functools.cache
def _openstreetmap() -> xyzservices.TileProvider:
    """OpenStreetMap's tiles, as folium looks them up by name: a search through every
    provider xyzservices knows, 5 ms a map, done once."""
    return xyzservices.providers.query_name("OpenStreetMap Mapnik")


def _first_day(records: Iterable[Record]) -> dt.date | None:
    """The oldest date of ``records``; None when one of them is undated (shown from the start)."""
    first = min(date_key(r["date"]) for r in records)
    return None if first == dt.date.min else first


def country_popups(
    countries: gpd.GeoDataFrame, figures: Iterable[Record], article_names: Mapping[str, str]
) -> list[str]:
    """Each country's popup, empty for a neighbour with no troop figures (no popup).

    A popup lists every figure reported in its country, a thousand in a busy one, so it
    is kept while the process runs under a hash of all it shows (`_shown_in_popup`), and
    made again only when that changed.
    """
    here = grouped((f for f in figures if f["country"]), "country")
    popups = []
    for code, name, mentions, touched in zip(
        countries["iso_a2"], countries["name"], countries["mentions"], countries["touched"],
        strict=True,
    ):  # fmt: skip
        if not (touched or code in here):
            popups.append("")
            continue
        reported = here.get(code, ())
        count = int(mentions)
        shown = ("country", name, count, [_shown_in_popup(f, article_names) for f in reported])
        make = functools.partial(country_popup, name, count, reported, article_names)
        popups.append(_popups.get(shown, make))
    return popups


class _LastMap:
    """The popups the last map made, by a hash of all each shows: a map takes from here
    the popups it would make the same, and keeps its own for the next map (`end_map`)."""

    def __init__(self) -> None:
        self._last: dict[bytes, str] = {}
        self._made: dict[bytes, str] = {}

    def get(self, shown: Any, make: Callable[[], str]) -> str:
        """The popup that ``make()`` gives, whose text is a function of ``shown``."""
        key = hashlib.blake2b(orjson.dumps(shown), digest_size=16).digest()
        popup = self._made.get(key) or self._last.get(key)
        if popup is None:
            popup = make()
        self._made[key] = popup
        return popup

    def end_map(self) -> None:
        self._last, self._made = self._made, {}


#: The country and place popups of the last map (a place's lists every article naming it).
_popups = _LastMap()


def _shown_in_popup(figure: Record, article_names: Mapping[str, str]) -> tuple:
    """All that `country_popup` shows of ``figure``."""
    return (
        figure["actor"], figure["date"], figure["count"], figure["qualifier"], figure["unit"],
        figure["status"], figure["location"], article_names[figure["article"]],
    )  # fmt: skip


def add_countries_layer(fmap: folium.Map, countries: gpd.GeoDataFrame) -> None:
    """Countries the articles touch, shaded by mentions; their neighbours in grey.

    This layer answers the pointer for the presence layer above it too: its tooltip
    gives a country's foreign troops, its popup the troop figures reported there.
    """
    if countries.empty:
        return
    rows = zip(
        countries["iso_a2"], countries["name"], countries["mentions"], countries["touched"],
        countries["presence"], countries["presence_actors"], countries["popup"],
        countries.geometry, strict=True,
    )  # fmt: skip
    features = [
        feature(
            geometry,
            iso_a2=code,
            tooltip=escape_text(_country_tooltip(name, mentions, touched, troops, who)),
            popup=popup or None,
            fill=shade(mentions) if touched else NEIGHBOUR,
        )
        for code, name, mentions, touched, troops, who, popup, geometry in rows
    ]
    GeoJsonLayer(
        {"type": "FeatureCollection", "features": features},
        name="Countries (shaded by mentions)",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#666666",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        highlight_function=lambda f: {"weight": 2, "color": "#333333"},
        on_each_feature=BIND_TEXT,
        smooth_factor=1.5,
    ).add_to(fmap)


def _country_tooltip(name: str, mentions: int, touched: bool, troops: int, actors: str) -> str:
    """Like "Niger: 2,600 foreign troops (United States 1,100; France 1,500) · 9 mentions"."""
    parts = [f"{troops:,} foreign troops ({actors})"] if troops else []
    if touched:
        parts.append(f"{mentions} mention{'s' * (mentions != 1)}")
    return f"{name}: {' · '.join(parts)}" if parts else name


def add_presence_layer(
    fmap: folium.Map, hosting: gpd.GeoDataFrame, classes: list[tuple[int, str, str]]
) -> None:
    """Countries with foreign troops, shaded by their number (the ``classes``).

    Only shading: the pointer goes through to the countries layer below, whose tooltip
    and popup tell the troops, so the long popups are in the page once.
    """
    if hosting.empty:
        return
    features = [
        feature(geometry, iso_a2=code, fill=next(c for limit, _, c in classes if v <= limit))
        for code, v, geometry in zip(
            hosting["iso_a2"], hosting["presence"], hosting.geometry, strict=True
        )
    ]
    layer = folium.FeatureGroup(name="Foreign troop presence")
    GeoJsonLayer(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#3f007d",
            "weight": 1.5,
            "fillOpacity": 0.75,
        },
        interactive=False,
        smooth_factor=1.5,
    ).add_to(layer)
    layer.add_to(fmap)


def add_figures_layer(
    fmap: folium.Map, figures: list[Record], context: LayerContext
) -> folium.GeoJson:
    """A circle per actor and location, area ∝ its count, labelled like "US 1,100".

    ``figures`` are records of located figures. A circle stands for the actor's figures
    of one date and is shown from that date until a newer figure of the same actor at
    the same location replaces it, so the newest date shows the latest figures.
    Figures without a number are never drawn as zero (see `_location_features`).
    """
    largest = max((f["count"] for f in figures if f["count"] is not None), default=1)
    at: dict[str, list[tuple[Record, tuple]]] = {}
    for row, pairs in zip(figures, coordinates([f["geometry"] for f in figures]), strict=True):
        at.setdefault(row["location"], []).append((row, pairs))
    features = []
    for location, placed in at.items():
        here = [row for row, _ in placed]
        features += context.cache.features(
            ("figures", location, _inputs(context, placed), largest),
            functools.partial(_location_features, location, here, largest, context),
        )
    return feature_layer(fmap, "Troop figures", features, context.period)


def _inputs(context: LayerContext, placed: list[tuple[Record, tuple]]) -> tuple:
    """All that a layer's features are made of for some reports of figures or movements
    (each with its geometry's coordinates), for their key in the `FeatureCache`: the
    rows' values and coordinates, the names of their articles, and whether there is a
    time slider.

    The layers read all coordinates from shapely at once (`coordinates`): a geometry in
    a key would be turned into GeoJSON by itself.
    """
    values = [tuple(v for k, v in row.items() if k != "geometry") for row, _ in placed]
    names = [context.article_names[row["article"]] for row, _ in placed]
    return values, [pairs for _, pairs in placed], names, context.period is not None


def _location_features(
    location: str,
    here: list[Record],
    largest: int,
    context: LayerContext,
) -> list[dict]:
    """The circles and labels of each actor at one location, and its number-less marker.

    Labels stack to the right of the widest circle in the order of the newest counts,
    largest first, and keep their line as the date changes. The figures without a
    number of actors never counted here get a small white marker listing them.
    """
    by_actor = grouped(here, "actor")
    counted = {
        actor: [f for f in rows if f["count"] is not None]
        for actor, rows in by_actor.items()
        if any(f["count"] is not None for f in rows)
    }
    newest = {actor: _newest_day(rows) for actor, rows in counted.items()}
    order = sorted(counted, key=lambda actor: -max(f["count"] for f in newest[actor]))
    radii = [figure_radius(f["count"], largest) for rows in counted.values() for f in rows]
    widest = max(radii, default=0)
    features = []
    for line, actor in enumerate(order):
        rows = by_actor[actor]
        features += _actor_features(actor, location, rows, (line, widest), largest, context)
    countless = [f for actor, rows in by_actor.items() if actor not in counted for f in rows]
    if countless:
        features.append(
            feature(
                here[0]["geometry"],
                style={
                    "radius": MIN_FIGURE_RADIUS,
                    "color": NO_COUNT_COLOUR,
                    "weight": 2,
                    "fill": True,
                    "fillColor": "#ffffff",
                    "fillOpacity": 0.9,
                },
                popup=figures_popup(f"Troops in {location}", countless, context.article_names),
                tooltip=escape_text(f"{location}: troops, number not given"),
                **shown(context.period, _first_day(countless)),
            )
        )
    return features


def _actor_features(
    actor: str,
    location: str,
    rows: list[Record],
    place: tuple[int, float],
    largest: int,
    context: LayerContext,
) -> list[dict]:
    """A labelled circle for each date the actor's count at the location changed.

    ``place`` is the label's (line, widest circle's radius). A circle's popup lists what
    was reported while it stood, figures without a number included.
    """
    line, widest = place
    dated = sorted(((date_key(f["date"]), f) for f in rows), key=lambda pair: pair[0])
    keys = [day for day, _ in dated]
    days = sorted({day for day, f in dated if f["count"] is not None})
    colour = actor_colour(actor)
    features = []
    for i, day in enumerate(days):
        until = days[i + 1] if i + 1 < len(days) else None
        first, after = bisect.bisect_left(keys, day), bisect.bisect_right(keys, day)
        newest = [f for _, f in dated[first:after] if f["count"] is not None]
        end = len(keys) if until is None else bisect.bisect_left(keys, until)
        reported = [f for _, f in dated[0 if i == 0 else first : end]]
        label = escape_text(figure_label(newest))
        gone = all(f["status"] == "departed" for f in newest)
        when = shown(context.period, None if day == dt.date.min else day, until)
        features.append(
            feature(
                rows[0]["geometry"],
                style={
                    "radius": figure_radius(max(f["count"] for f in newest), largest),
                    "color": colour,
                    "weight": 2,
                    "fill": True,
                    "fillOpacity": 0.05 if gone else 0.35,
                    **({"dashArray": "4 4"} if gone else {}),
                },
                label={
                    "html": f'<div class="geomap-figure" style="color: {colour}">{label}</div>',
                    "iconSize": [200, 18],
                    "iconAnchor": [-(widest + 3), 9 - 18 * line],
                },
                popup=figures_popup(f"{actor} in {location}", reported, context.article_names),
                tooltip=label,
                **when,
            )
        )
    return features


def _newest_day(figures: list[Record]) -> list[Record]:
    """The figures of the newest date among ``figures`` (several when reports disagree)."""
    newest = max(date_key(f["date"]) for f in figures)
    return [f for f in figures if date_key(f["date"]) == newest]


def add_movements_layer(
    fmap: folium.Map, movements: list[Record], context: LayerContext
) -> folium.GeoJson:
    """A dashed line per movement, origin → destination, with an arrowhead at the destination.

    Reports of the same actor moving between the same places share one line, shown
    from the first report on; its popup lists them all.
    """
    routes: dict[tuple, list[tuple[Record, tuple]]] = {}
    lines = coordinates([move["geometry"] for move in movements])
    for move, line in zip(movements, lines, strict=True):
        routes.setdefault((move["actor"], move["from"], move["to"], line), []).append((move, line))
    features = []
    for (actor, origin, destination, _), placed in routes.items():
        reports = [move for move, _ in placed]
        features += context.cache.features(
            ("movements", _inputs(context, placed)),
            functools.partial(_route_features, actor, origin, destination, reports, context),
        )
    return feature_layer(fmap, "Movements", features, context.period)


def _route_features(
    actor: str, origin: str, destination: str, reports: list[Record], context: LayerContext
) -> list[dict]:
    """The line of one actor's moves between two places, and its arrowhead."""
    line = reports[0]["geometry"]
    path = _latlons(line)
    colour = actor_colour(actor)
    when = shown(context.period, _first_day(reports))
    return [
        feature(
            line,
            style={"color": colour, "weight": 3, "opacity": 0.85, "dashArray": "8 6"},
            popup=movement_popup(actor, origin, destination, reports, context.article_names),
            tooltip=escape_text(f"{actor}: {origin} → {destination}"),
            **when,
        ),
        feature(
            Point(line.coords[-1]),
            icon={
                "html": arrowhead_svg(screen_bearing(path[-2], path[-1]), colour),
                "iconSize": [56, 56],
                "iconAnchor": [28, 28],
            },
            interactive=False,
            **when,
        ),
    ]


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
    fmap: folium.Map, places: Sequence[Any], context: LayerContext
) -> folium.GeoJson:
    """Literal places (countries, cities, other) as circles sized by mentions."""
    circles = _mention_circles(PLACE_COLOUR, fillOpacity=0.5)
    return _place_layer(fmap, places, "Places (sized by mentions)", context, circles)


def add_facilities_layer(
    fmap: folium.Map, facilities: Sequence[Any], context: LayerContext
) -> folium.GeoJson:
    """Military facilities with their own (inline, CDN-free) icon."""
    icon = {"icon": {"html": FACILITY_ICON, "iconSize": [22, 22], "iconAnchor": [11, 11]}}
    return _place_layer(fmap, facilities, "Military facilities", context, lambda row: icon)


def add_regions_layer(
    fmap: folium.Map, regions: Sequence[Any], context: LayerContext
) -> folium.GeoJson:
    """Regions (Sahel, West Africa) as italic labels: their point is only a label position."""

    def label(row: Any) -> dict:
        html = f'<div class="geomap-region">{escape_text(row.name)}</div>'
        return {"icon": {"html": html, "iconSize": [140, 20], "iconAnchor": [70, 10]}}

    return _place_layer(fmap, regions, "Regions", context, label, tooltip=False)


def add_associative_layer(
    fmap: folium.Map, places: Sequence[Any], context: LayerContext
) -> folium.GeoJson:
    """Places named only as governments acting ("Paris has rejected…"); hidden by default."""
    circles = _mention_circles(ASSOCIATIVE_COLOUR, dashArray="4 4", fillOpacity=0.2)
    name = "Governments speaking (associative)"
    return _place_layer(fmap, places, name, context, circles, show=False)


def _mention_circles(colour: str, **style: Any) -> Callable[[Any], dict]:
    """A place's circle: ``colour``, its area growing with the place's mentions."""
    return lambda row: {
        "style": {
            "radius": marker_radius(row.mentions), "color": colour, "weight": 2, "fill": True,
            **style,
        }
    }  # fmt: skip


def _place_layer(
    fmap: folium.Map,
    rows: Sequence[Any],
    name: str,
    context: LayerContext,
    symbol: Callable[[Any], dict],
    *,
    show: bool = True,
    tooltip: bool = True,
) -> folium.GeoJson:
    """One toggleable layer: a feature per place (``rows`` of the places frame, as its
    ``itertuples`` gives them), in ``symbol``'s style or icon, with its popup.

    A place is shown from the date of its first mention.
    """
    features = [
        feature(
            row.geometry,
            popup=_popups.get(
                _shown_in_place_popup(row, context),
                functools.partial(place_popup, row, context.country_names, context.article_names),
            ),
            tooltip=escape_text(row.name) if tooltip else None,
            **symbol(row),
            **shown(context.period, _first_mention(row)),
        )
        for row in rows
    ]
    return feature_layer(fmap, name, features, context.period, show=show)


def _shown_in_place_popup(row: Any, context: LayerContext) -> tuple:
    """All that `place_popup` shows of ``row``: its fields, and the names of its articles
    (the quoted ones among them)."""
    names = context.article_names
    return (
        "place", row.name, row.kind, row.country, context.country_names.get(row.country),
        row.role, row.resolution, row.confidence, row.source, row.mentions, row.articles,
        [names[article] for article, _, _ in row.articles], row.quotes, row.quoted,
    )  # fmt: skip


def _first_mention(row: Any) -> dt.date | None:
    """The date a place was first named; None when no mention of it is dated."""
    return dt.date.fromisoformat(row.first_date) if isinstance(row.first_date, str) else None


def _latlons(geometry) -> list[list[float]]:
    """shapely's (x=lon, y=lat) vertices as Leaflet's [lat, lon] pairs."""
    return [[y, x] for x, y in geometry.coords]


@contextlib.contextmanager
def stable_ids() -> Iterator[None]:
    """Give folium elements ids that depend only on their order of creation.

    branca names every element from ``os.urandom`` (ids are made while rendering and
    saving too), so two builds of the same articles would differ in every line. Wrap
    building *and* saving a map in this to make its HTML byte-identical across builds.
    """
    counter = itertools.count()
    original = Element._generate_id
    Element._generate_id = classmethod(lambda cls: f"{next(counter):032x}")
    try:
        yield
    finally:
        Element._generate_id = original


def add_labels_layer(fmap: folium.Map, countries: gpd.GeoDataFrame, places: Sequence[Any]) -> None:
    """Permanent names of the countries drawn and the most mentioned places (``places``:
    the places frame's rows as its ``itertuples`` gives them, most mentioned first).

    They keep the map readable offline or in print, when no background tiles load.
    """
    points = countries.geometry.representative_point()
    features = [
        _label(point, name, "geomap-country" + (" geomap-touched" if touched else ""))
        for name, point, touched in zip(
            countries["name"], points, countries["touched"], strict=True
        )
    ]
    named = [row for row in places if row.role == "literal" and row.kind in ("city", "other")]
    features += [_label(row.geometry, row.name, "geomap-place") for row in named[:LABELLED_PLACES]]
    feature_layer(fmap, "Labels", features, None)


def _label(point: Any, text: str, css: str) -> dict:
    """A name at ``point``: places' below the point, countries' centred on it."""
    return feature(
        point,
        icon={
            "html": f'<div class="geomap-label {css}">{escape_text(text)}</div>',
            "iconSize": [160, 16],
            "iconAnchor": [80, -6] if css == "geomap-place" else [80, 8],
        },
        interactive=False,
    )


class Heading(MacroElement):
    """The map's title, subtitle and credit line, for maps embedded in reports."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .leaflet-container {background: #dde6ec;}
          .geomap-heading {position: fixed; top: 10px; left: 50%; transform: translateX(-50%);
            z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 14px;
            border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,0.3); text-align: center;
            font-family: sans-serif; max-width: 60%;}
          .geomap-heading h1 {margin: 0; font-size: 18px;}
          .geomap-heading p {margin: 2px 0 0; font-size: 13px; color: #444;}
          .geomap-source {position: fixed; bottom: 20px; right: 10px; z-index: 1000;
            font: 11px sans-serif; color: #333; background: rgba(255,255,255,0.8);
            padding: 1px 6px; border-radius: 3px;}
          .geomap-label {font: 11px sans-serif; color: #333; text-align: center;
            white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff;}
          .geomap-touched {font-weight: 700; font-size: 12px; text-transform: uppercase;
            letter-spacing: 1px; color: #222;}
          .geomap-place {font-size: 12px; color: #10325c;}
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="geomap-heading"><h1>{{ this.title }}</h1>
          {% if this.subtitle %}<p>{{ this.subtitle }}</p>{% endif %}</div>
        {% if this.source %}<div class="geomap-source">{{ this.source }}</div>{% endif %}
        {% endmacro %}
    """)

    def __init__(self, title: str, subtitle: str = "", source: str = "") -> None:
        super().__init__()
        self._name = "Heading"
        self.title = escape_text(title)
        self.subtitle = escape_text(subtitle)
        self.source = escape_text(source)


def _frame(fmap: folium.Map, places: gpd.GeoDataFrame) -> None:
    """Fit the view to `frame_bounds`, or show the world when there is nothing to frame."""
    bounds = frame_bounds(places)
    if bounds is None:
        fmap.location, fmap.options["zoom"] = [20, 0], 2
        return
    west, south, east, north = bounds
    fmap.fit_bounds([[south, west], [north, east]])


class Legend(MacroElement):
    """A fixed legend box: country shades, place circles, facility icon, region label."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .geomap-legend {position: fixed; bottom: 24px; left: 12px; z-index: 1000;
            background: rgba(255,255,255,0.92); padding: 8px 10px; border-radius: 6px;
            font: 12px/1.4 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 240px;
            max-height: calc(100% - 80px); overflow-y: auto;}
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
          .geomap-popup h5 {margin: 6px 0 2px;}
          .geomap-list {max-height: 180px; overflow-y: auto;}
          {% if this.period %}
          .geomap-legend {bottom: 140px; max-height: calc(100% - 220px);}
          {% endif %}
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
          {% if this.period %}
          <h5>Time slider ({{ this.period.first }} to {{ this.period.last }})</h5>
          <div>Places, troop figures and movements as of the slider's date; it opens at
            the newest, showing everything. Country shading and troop presence count
            all articles.</div>
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
        period: Period | None = None,
    ) -> None:
        """``presence``: (label, colour) per class; ``actors``: (escaped name, colour);
        ``period``: the time slider's dates, when there is one."""
        super().__init__()
        self._name = "Legend"
        self.title = escape_text(title)
        self.shades = shade_labels()
        self.neighbour = NEIGHBOUR
        self.place = PLACE_COLOUR
        self.associative = ASSOCIATIVE_COLOUR
        self.has_associative = has_associative
        self.presence = presence
        self.actors = actors
        self.no_count = NO_COUNT_COLOUR
        self.has_figures = has_figures
        self.has_movements = has_movements
        self.period = period


__all__ = ["render_map", "escape_text"]
