"""The folium map: one function per layer, a legend and a layer control.

`render_map` builds and returns a `folium.Map`; it writes nothing. Every piece of
text that came from an article reaches the HTML through `escape_text`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement, Template

#: Class breaks and colours for countries shaded by mentions (0 = neighbour only).
SHADES = ((1, "#fee8c8"), (3, "#fdbb84"), (10, "#fc8d59"), (30, "#e34a33"), (math.inf, "#b30000"))
NEIGHBOUR = "#f0f0f0"
PLACE_COLOUR = "#2b5d9b"
ASSOCIATIVE_COLOUR = "#7a7a7a"
MAX_QUOTES = 5

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
    title: str = "geomap",
) -> folium.Map:
    """The layered map of ``places`` over ``countries`` (frames as in `geomap.boundaries`)."""
    fmap = folium.Map(location=[15, 5], zoom_start=4, tiles="OpenStreetMap", control_scale=True)
    add_countries_layer(fmap, countries)
    literal = places[places["role"] == "literal"]
    add_regions_layer(fmap, literal[literal["kind"] == "region"], country_names)
    add_places_layer(fmap, literal[~literal["kind"].isin(["region", "facility"])], country_names)
    add_facilities_layer(fmap, literal[literal["kind"] == "facility"], country_names)
    add_associative_layer(fmap, places[places["role"] == "associative"], country_names)
    Legend(title, has_associative=bool((places["role"] == "associative").any())).add_to(fmap)
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
    return [row.geometry.y, row.geometry.x]


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
        </div>
        {% endmacro %}
    """)

    def __init__(self, title: str, *, has_associative: bool) -> None:
        super().__init__()
        self._name = "Legend"
        self.title = escape_text(title)
        self.shades = _shade_labels()
        self.neighbour = NEIGHBOUR
        self.place = PLACE_COLOUR
        self.associative = ASSOCIATIVE_COLOUR
        self.has_associative = has_associative


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
