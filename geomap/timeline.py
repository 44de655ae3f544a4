"""Map layers of self-describing GeoJSON features, and the time slider that drives them.

Each point or line layer of the map is one GeoJSON layer rather than one folium
element per marker, so that a thousand articles render in a fraction of a second.
A feature carries its Leaflet ``style`` (or ``icon``, or circle ``label``), its popup
and tooltip as HTML already escaped by `geomap.popups.escape_text`, and, when the map
has a time slider, the dates it is shown (``start``, ``end``, ``endExclusive``, read
by `folium.plugins.Timeline` through `interval_function`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import folium
import orjson
import shapely
from branca.element import Element, MacroElement
from folium.plugins import Timeline, TimelineSlider
from folium.template import Template
from folium.utilities import JsCode

from geomap.boundaries import geojson_geometry

#: A point feature's Leaflet layer: its ``icon`` (DivIcon options) when it has one, else
#: a circle in its ``style`` (CircleMarker takes ``radius`` as a style option), grouped
#: with its ``label`` icon when it has one. Icons get no box (Leaflet's default class).
POINT_TO_LAYER = JsCode("""function (feature, latlng) {
    var p = feature.properties;
    var icon = function (options) {
        return L.divIcon(L.extend({className: "geomap-icon"}, options));
    };
    if (p.icon) {
        return L.marker(latlng, {icon: icon(p.icon), interactive: p.interactive !== false});
    }
    var circle = L.circleMarker(latlng, p.style);
    if (!p.label) { return circle; }
    var label = L.marker(latlng, {icon: icon(p.label), interactive: false});
    return L.featureGroup([circle, label]);
}""")
FEATURE_STYLE = JsCode("function (feature) { return feature.properties.style; }")
#: Popups and tooltips are properties already escaped by `escape_text`: Leaflet inserts
#: them as HTML. Features without one (labels, arrowheads) get none.
BIND_TEXT = JsCode("""function (feature, layer) {
    var p = feature.properties;
    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 360}); }
    if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }
}""")


@dataclass(frozen=True)
class Period:
    """The dates the time slider spans: the oldest and the newest dated item on the map."""

    first: dt.date
    last: dt.date

    @classmethod
    def spanning(cls, days: Iterable[dt.date]) -> Period | None:
        """The period of ``days``; None when they are fewer than two: nothing to slide."""
        distinct = set(days)
        return cls(min(distinct), max(distinct)) if len(distinct) > 1 else None


#: The JSON text of the polygons drawn lately, by their WKB (`feature`).
_polygons: dict[bytes, orjson.Fragment] = {}
#: At most this many polygons are kept: more than the world's countries.
KEPT_POLYGONS = 1000


def feature(geometry: Any, **properties: Any) -> dict:
    """A GeoJSON feature of a shapely ``geometry``; properties that are None are left out.

    A polygon's geometry is JSON text as the page writes it (keys sorted), kept while
    the process runs: the same countries are drawn build after build, and turning
    them into GeoJSON took 15 ms of each map, their WKB 1.5.
    """
    kept = {key: value for key, value in properties.items() if value is not None}
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return {"type": "Feature", "geometry": _polygon_json(geometry), "properties": kept}
    return {"type": "Feature", "geometry": geojson_geometry(geometry), "properties": kept}


def _polygon_json(polygon: Any) -> orjson.Fragment:
    wkb = shapely.to_wkb(polygon)
    text = _polygons.get(wkb)
    if text is None:
        if len(_polygons) >= KEPT_POLYGONS:
            _polygons.clear()
        text = _polygons[wkb] = orjson.Fragment(
            orjson.dumps(geojson_geometry(polygon), option=orjson.OPT_SORT_KEYS)
        )
    return text


def shown(period: Period | None, start: dt.date | None, until: dt.date | None = None) -> dict:
    """A feature's Timeline properties: shown from ``start`` until just before ``until``.

    Undated features (``start`` None) are shown from the first day, and ``until`` None
    means up to the newest date: those ends are left out, and the layer's
    `interval_function` gives the period's, so that a feature stays the same when a new
    article widens the period (`geomap.feature_cache` reuses it). Without a period (no
    slider) there are none.
    """
    if period is None:
        return {}
    dates = {} if start is None else {"start": _instant(start)}
    if until is not None:
        dates.update(end=_instant(until), endExclusive=True)
    return dates


def interval_function(period: Period) -> JsCode:
    """The Timeline's ``getInterval``: a feature's own dates, the period's where it has none."""
    first, last = _milliseconds(period.first), _milliseconds(period.last)
    return JsCode(f"""function (feature) {{
    var p = feature.properties;
    return {{
        start: "start" in p ? Date.parse(p.start) : {first},
        end: "end" in p ? Date.parse(p.end) : {last},
        endExclusive: p.endExclusive === true
    }};
}}""")


def feature_layer(
    fmap: folium.Map, name: str, features: list, period: Period | None, *, show: bool = True
) -> folium.GeoJson:
    """A toggleable layer of ``features`` on ``fmap``; a `Timeline` when there is a ``period``.

    ``features`` are GeoJSON feature dicts, or their JSON text (`orjson.Fragment`).
    Returns the GeoJSON layer inside the toggled group, for `add_time_slider`.
    """
    group = folium.FeatureGroup(name=name, show=show)
    collection = {"type": "FeatureCollection", "features": features}
    options = {"point_to_layer": POINT_TO_LAYER, "style": FEATURE_STYLE}
    if period is None:
        layer = GeoJsonLayer(collection, on_each_feature=BIND_TEXT, **options)
    else:
        get_interval = interval_function(period)
        layer = TimedGeoJson(collection, get_interval, on_each_feature=BIND_TEXT, **options)
        layer.add_child(SmallOnTop())
    layer.add_to(group)
    group.add_to(fmap)
    return layer


def add_time_slider(fmap: folium.Map, layers: Iterable[folium.GeoJson], period: Period) -> None:
    """The time slider along the bottom of ``fmap`` for the timed ``layers``.

    It opens at the newest date, showing everything, and does not play by itself.
    """
    slider = TimelineSlider(auto_play=False, date_options="YYYY-MM-DD", show_ticks=True)
    slider.add_timelines(*(layer for layer in layers if isinstance(layer, Timeline)))
    slider.add_child(SliderStart(period.last))
    slider.add_to(fmap)


class VerbatimScripts(MacroElement):
    """An element whose rendered header, HTML and script go into the page as they are,
    its data written as JSON by orjson.

    branca's `MacroElement` compiles each rendered part again as a Jinja template; for
    the megabytes of features of a thousand articles (or the country polygons) that
    takes longer than all the rest of `folium.Map.save`. And Jinja's ``tojson`` (json
    from the standard library) took 46 ms for those megabytes, orjson 9. Put this class
    after the folium class in the bases, so that class's own ``render`` still runs first.
    """

    def render(self, **kwargs: Any) -> None:
        policies = self._template.environment.policies
        standard = policies["json.dumps_function"]
        policies["json.dumps_function"] = _json_text  # for this element's macros only
        try:
            _add_parts(self, kwargs)
        finally:
            policies["json.dumps_function"] = standard
        for child in self._children.values():
            child.render(**kwargs)


@contextlib.contextmanager
def verbatim_macros() -> Iterator[None]:
    """While the block runs, every folium element's rendered parts go into the page as
    they are, as `VerbatimScripts` does for geomap's layers always.

    Compiling the 44 other parts of a map again took 17 of the 55 ms its HTML took to
    write for 1,000 articles, and turned nothing in them: geomap's text holds no
    template syntax (`escape_text` writes braces as entities).
    """
    original = MacroElement.render
    MacroElement.render = _verbatim_render
    try:
        yield
    finally:
        MacroElement.render = original


def _verbatim_render(self: MacroElement, **kwargs: Any) -> None:
    """`MacroElement.render`, its parts not compiled again."""
    _add_parts(self, kwargs)
    for child in self._children.values():
        child.render(**kwargs)


def _add_parts(element: MacroElement, kwargs: dict) -> None:
    """The element's rendered header, HTML and script, into its page as they are."""
    figure = element.get_root()
    macros = element._template.module.__dict__
    sections = (("header", figure.header), ("html", figure.html), ("script", figure.script))
    for part, section in sections:
        macro = macros.get(part)
        if macro is not None:
            section.add_child(_Verbatim(macro(element, kwargs)), name=element.get_name())


def _json_text(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as JSON text for Jinja's ``tojson``, already escaped for HTML as it
    would escape it (`_HtmlSafeJson`); inside `spliced_json`, a placeholder for it."""
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    for char, escaped in HTML_UNSAFE:
        text = text.replace(char, escaped)
    if _splicing is not None:
        return _HtmlSafeJson(_splicing.placeholder(text))
    return _HtmlSafeJson(text.decode())


class SplicedJson:
    """The layers' JSON of one page, kept as the UTF-8 bytes orjson wrote, and put into
    the page's bytes in place of placeholders (`page`).

    Most of a large map's page is that JSON: decoded to text, joined into the page and
    encoded back, four megabytes for a thousand articles took ~10 ms more.
    """

    def __init__(self) -> None:
        self._texts: list[bytes] = []
        # No page text holds a NUL and these random digits: the placeholders are unique.
        self._nonce = os.urandom(8).hex()
        self._placeholders = re.compile(f"\0{self._nonce}([0-9]+)\0".encode())

    def placeholder(self, text: bytes) -> str:
        self._texts.append(text)
        return f"\0{self._nonce}{len(self._texts) - 1}\0"

    def page(self, html: str) -> bytes:
        """``html`` as UTF-8, every placeholder replaced by its JSON."""
        parts = self._placeholders.split(html.encode())
        parts[1::2] = [self._texts[int(index)] for index in parts[1::2]]
        return b"".join(parts)


_splicing: SplicedJson | None = None


@contextlib.contextmanager
def spliced_json() -> Iterator[SplicedJson]:
    """While the block runs, the layers' JSON goes into pages as placeholders; the
    `SplicedJson` yielded puts it into a page's bytes."""
    global _splicing
    _splicing = SplicedJson()
    try:
        yield _splicing
    finally:
        _splicing = None


#: What Jinja's ``tojson`` escapes in JSON text to put it in HTML, and how.
HTML_UNSAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), (b"'", b"\\u0027"))
UNSAFE_CHARS = frozenset(char for char, _ in HTML_UNSAFE)


class _HtmlSafeJson(str):
    """JSON text holding none of the characters ``tojson`` escapes (`HTML_UNSAFE`).

    ``tojson`` escapes them with ``str.replace``, which then has nothing to replace and
    gives the same text: so it is not called. Over the megabytes of a thousand articles'
    features (non-ASCII characters among them) those four passes took ~12 ms; escaping
    the UTF-8 bytes instead takes a tenth of that.
    """

    def replace(self, old: str, new: str, count: int = -1) -> str:  # type: ignore[override]
        if old.encode() in UNSAFE_CHARS:
            return self
        return str.replace(self, old, new, count)


class GeoJsonLayer(folium.GeoJson, VerbatimScripts):
    """folium's `GeoJson`, its data written into the page once, not compiled again."""


class TimedGeoJson(Timeline, VerbatimScripts):
    """folium's `Timeline`, its data written into the page once, not compiled again."""


class _Verbatim(Element):
    """Page text that goes in as it is, not compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class SliderStart(MacroElement):
    """Moves its parent `TimelineSlider` to a date once its timelines are added.

    The plugin always opens at the oldest date; the reader should first see everything.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
          {{ this._parent.get_name() }}.setTime({{ this.time|tojson }});
        {% endmacro %}
    """)

    def __init__(self, day: dt.date) -> None:
        super().__init__()
        self._name = "SliderStart"
        self.time = _milliseconds(day)


class SmallOnTop(MacroElement):
    """Keeps a timeline's smaller circles above its larger ones, so that all can be clicked.

    The plugin adds features in no useful order when the date changes.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
          {{ this._parent.get_name() }}.on("change add", function (event) {
              var radius = function (layer) { return layer.feature.properties.style.radius; };
              event.target.getLayers()
                  .filter(function (layer) { return layer.feature.properties.style; })
                  .sort(function (a, b) { return radius(b) - radius(a); })
                  .forEach(function (layer) { layer.bringToFront(); });
          });
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "SmallOnTop"


def _instant(day: dt.date) -> str:
    """Noon UTC of ``day``: the slider shows that date wherever the reader is (UTC±11 h)."""
    return f"{day.isoformat()}T12:00:00Z"


def _milliseconds(day: dt.date) -> int:
    """`_instant` in JavaScript's milliseconds since 1970."""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    return int(noon.timestamp()) * 1000
