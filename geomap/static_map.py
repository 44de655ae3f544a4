"""The static map for print: the HTML map's layers drawn with geopandas and matplotlib.

`draw_map` makes a `matplotlib.figure.Figure` on an Agg canvas, never through pyplot,
so nothing opens a window and no global figure list grows; `save_figure` writes it as
PNG or SVG, the same bytes for the same build. Colours, symbol sizes, classes and
labels come from `geomap.render` and `geomap.popups`, so print and screen agree. The
map shows what the HTML map opens on: everything, each troop circle at its newest
figure.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.offsetbox import (
    AnchoredOffsetbox,
    DrawingArea,
    HPacker,
    OffsetBox,
    TextArea,
    VPacker,
)
from matplotlib.patches import Circle, FancyArrowPatch, Polygon, Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter
from matplotlib.transforms import Bbox
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.geometry import Point, box

from geomap.boundaries import latest_figures, load_countries
from geomap.exceptions import OutputError
from geomap.pipeline import MapBuild
from geomap.popups import figure_label
from geomap.render import (
    DEFAULT_SOURCE,
    LABELLED_PLACES,
    NEIGHBOUR,
    NO_COUNT_COLOUR,
    PLACE_COLOUR,
    _records,
    _shade_labels,
    actor_colour,
    figure_radius,
    marker_radius,
    nice_number,
    presence_classes,
    shade,
)

IMAGE_FORMATS = ("png", "svg")
#: The size the layout is designed at; other sizes scale all of it (through the dpi).
REFERENCE_SIZE = (1600, 1000)
SEA = "#dde6ec"
LAND = "#ffffff"
COAST = "#9a9a9a"
BORDER = "#666666"
PRESENCE_EDGE = "#3f007d"
PRESENCE_HATCH = "/"
REGION_COLOUR = "#7b3294"
FACILITY_COLOUR = "#222222"
PLACE_LABEL_COLOUR = "#10325c"
GRID_COLOUR = "#7d8d99"
TEXT_COLOUR = "#444444"
KEY_LINE = "#555555"
#: Ships with matplotlib: the same glyphs and metrics, so the same pixels, on every machine.
FONT = "DejaVu Sans"
#: Settings read when artists are made; `draw_map` applies them only while it draws.
#: (``hatch.color`` "edge" needs matplotlib 3.10.)
DRAW_STYLE = {"font.family": FONT, "hatch.linewidth": 2.5, "hatch.color": "edge"}
#: Settings read when saving: SVG ids from a fixed salt, text kept as text.
SAVE_STYLE = {"svg.hashsalt": "geomap", "svg.fonttype": "none"}
#: Metadata that would change with the clock or matplotlib's version, left out.
SAVE_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}
#: Where a place label may go, in order: right, left, above, below, then the diagonals.
LABEL_SPOTS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))
#: Points between legend rows; more actors than ONE_COLUMN are listed in two columns.
ROW_GAP = 4
ONE_COLUMN = 4
#: Width and height of a legend row's symbol, in points.
KEY_BOX = (32.0, 16.0)
#: Length of a movement's arrowhead, in points.
ARROWHEAD = 13.0
#: Side of a military facility's square, in points.
FACILITY_SIZE = 12.0
#: Article text must never reach matplotlib's mathtext ("$100 million").
PLAIN = {"parse_math": False}
HALO = {"path_effects": [withStroke(linewidth=3, foreground="white")]}


def draw_map(
    result: MapBuild,
    *,
    title: str = "geomap",
    subtitle: str = "",
    source: str = DEFAULT_SOURCE,
    size: tuple[int, int] = REFERENCE_SIZE,
) -> Figure:
    """The build as a print map of exactly ``size`` pixels at the figure's own dpi.

    Countries shaded by mentions (neighbours grey) under the foreign troop presence
    (hatched, outlined), places, military facilities, regions, troop circles, movement
    arrows, graticule, scale bar, legend, title and subtitle, and a bottom line with
    the newest article's date and ``source``. Framed on the literal places like the
    HTML map. The layout is drawn for 1600 × 1000; other sizes scale it, text included.
    """
    width, height = size
    dpi = 100 * min(width / REFERENCE_SIZE[0], height / REFERENCE_SIZE[1])
    with mpl.rc_context(DRAW_STYLE):
        figure = Figure(figsize=(_inches(width, dpi), _inches(height, dpi)), dpi=dpi)
        top = _heading(figure, title, subtitle)
        _bottom_line(figure, result, source)
        ax = figure.add_axes((0.025, 0.065, 0.725, top - 0.065))
        view = _View.fit(ax, result.places)
        _draw_countries(ax, view, result.countries)
        classes = _draw_presence(ax, view, result.countries)
        view.freeze()
        # Only now the Agg canvas, which labels measure text with: geopandas asks the
        # canvas to redraw after every layer, which a bare Figure's base canvas skips.
        FigureCanvasAgg(figure)
        labels = _Labels(ax)
        _graticule(ax, view, labels)
        key = _TroopKey(movements=_draw_movements(ax, labels, result.movements_frame))
        _draw_figures(ax, labels, result.figures_frame, key)
        _draw_places(ax, labels, result.places)
        _draw_country_names(ax, view, labels, result.countries)
        legend = figure.add_axes((0.772, 0.065, 0.213, top - 0.065))
        _legend(legend, classes, key)
    return figure


def save_figure(figure: Figure, path: Path, image_format: str) -> Path:
    """Write ``figure`` as "png" or "svg" at its own dpi: the same figure, the same bytes.

    Agg draws deterministically (with `draw_map`'s bundled font); what varies between
    two saves is metadata and, in SVG, element ids. PNG leaves out the "Software" text
    chunk (matplotlib's version). SVG leaves out ``Date`` (the clock, or
    ``SOURCE_DATE_EPOCH``) and ``Creator``, and salts its id hashes with a fixed
    ``svg.hashsalt`` instead of a random one. SVG text stays text (``svg.fonttype``
    "none"), so a newsroom can edit the headings, the legend and the troop labels;
    viewers draw it in DejaVu Sans or their nearest sans-serif. Names drawn with a
    white halo (places, regions, countries) are outlines: matplotlib draws path
    effects as paths.
    """
    if image_format not in IMAGE_FORMATS:
        raise OutputError(
            f"image format {image_format!r} is not supported; use one of {', '.join(IMAGE_FORMATS)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context(SAVE_STYLE):
        figure.savefig(
            path, format=image_format, dpi=figure.dpi, metadata=SAVE_METADATA[image_format]
        )
    return path


def _inches(pixels: int, dpi: float) -> float:
    """``pixels / dpi``, nudged up where the product would truncate to a pixel less."""
    inches = pixels / dpi
    while int(inches * dpi) < pixels:
        inches = math.nextafter(inches, math.inf)
    return inches


def _points(pixels: float) -> float:
    """A size the HTML map gives in CSS pixels, in points (pixels at the reference size)."""
    return pixels * 72 / 100


def _heading(figure: Figure, title: str, subtitle: str) -> float:
    """Title and subtitle at the top left; returns where the map's top edge goes."""
    figure.text(0.025, 0.955, title, fontsize=22, weight="bold", **PLAIN)
    if not subtitle:
        return 0.93
    figure.text(0.025, 0.918, subtitle, fontsize=14, color=TEXT_COLOUR, **PLAIN)
    return 0.9


def _bottom_line(figure: Figure, result: MapBuild, source: str) -> None:
    """The data's date (the newest article's) at the left, the source line at the right."""
    dates = [a.date for a in result.articles if a.date]
    count = len(result.articles)
    articles = f"{count:,} article{'s' * (count != 1)}"
    when = f"Data as of {max(dates).isoformat()} ({articles})" if dates else f"Data: {articles}"
    style = {"fontsize": 10, "color": TEXT_COLOUR, **PLAIN}
    figure.text(0.025, 0.025, when, **style)
    figure.text(0.985, 0.025, source, ha="right", **style)


@dataclass
class _View:
    """The map's extent in degrees, equirectangular and true to scale at its middle latitude."""

    ax: Any
    west: float
    east: float
    south: float
    north: float

    @classmethod
    def fit(cls, ax: Any, places: gpd.GeoDataFrame) -> _View:
        """Padded around the literal places as the HTML map's view, widened to fill ``ax``."""
        framed = places[places["role"] == "literal"]
        if framed.empty:
            framed = places
        if framed.empty:
            west, south, east, north = -170.0, -60.0, 190.0, 80.0
        else:
            minx, miny, maxx, maxy = framed.total_bounds
            pad = max(3.0, 0.25 * max(maxx - minx, maxy - miny))
            west, south, east, north = minx - pad, miny - pad, maxx + pad, maxy + pad
        middle_x, middle_y = (west + east) / 2, (south + north) / 2
        stretch = 1 / math.cos(math.radians(max(-60.0, min(60.0, middle_y))))
        box_width, box_height = ax.get_window_extent().size
        wide, high = east - west, north - south
        if wide / (high * stretch) < box_width / box_height:
            wide = high * stretch * box_width / box_height
        else:
            high = wide * box_height / box_width / stretch
        x0, y0 = middle_x - wide / 2, middle_y - high / 2
        return cls(ax, x0, x0 + wide, y0, y0 + high)

    def clip(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The polygons in view (and a little beyond), so an SVG carries no far-off coasts."""
        margin = 0.02 * (self.east - self.west)
        area = box(self.west - margin, self.south - margin, self.east + margin, self.north + margin)
        return gpd.clip(frame, area, keep_geom_type=True)

    def freeze(self) -> None:
        """Fix the limits (geopandas rescales after every layer) before symbols are placed."""
        self.ax.set_xlim(self.west, self.east)
        self.ax.set_ylim(self.south, self.north)
        self.ax.set_autoscale_on(False)
        self.ax.set(xlabel="", ylabel="")


def _draw_countries(ax: Any, view: _View, countries: gpd.GeoDataFrame) -> None:
    """Every country in view as blank land, then the build's countries shaded by mentions."""
    ax.set_facecolor(SEA)
    _polygons(ax, view.clip(load_countries()), facecolor=LAND, edgecolor=COAST, linewidth=0.5)
    touched = zip(countries["mentions"], countries["touched"], strict=True)
    fills = [shade(mentions) if shaded else NEIGHBOUR for mentions, shaded in touched]
    shown = view.clip(countries.assign(fill=fills))
    _polygons(ax, shown, facecolor=list(shown["fill"]), edgecolor=BORDER, linewidth=0.8)


def _draw_presence(ax: Any, view: _View, countries: gpd.GeoDataFrame) -> list[tuple[int, str, str]]:
    """Hatch the countries hosting foreign troops in their class's colour; returns the classes.

    Hatching rather than the HTML map's second fill, so the mentions shading still shows
    in print.
    """
    if "presence" not in countries:
        return []
    hosting = countries[countries["presence"] > 0]
    classes = presence_classes(hosting["presence"])
    low = 0
    for limit, _, colour in classes:
        group = view.clip(hosting[(hosting["presence"] > low) & (hosting["presence"] <= limit)])
        _polygons(ax, group, facecolor="none", edgecolor=colour, hatch=PRESENCE_HATCH, linewidth=0)
        _polygons(ax, group, facecolor="none", edgecolor=PRESENCE_EDGE, linewidth=1.5)
        low = limit
    return classes


def _polygons(ax: Any, frame: gpd.GeoDataFrame, **style: Any) -> None:
    if not frame.empty:
        frame.plot(ax=ax, aspect=None, **style)


class _Labels:
    """Labels placed where they overlap neither each other nor the symbols taken so far."""

    def __init__(self, ax: Any) -> None:
        self.ax = ax
        self.renderer = ax.figure.canvas.get_renderer()
        self.inside = ax.get_window_extent()
        self.taken: list[Bbox] = []

    def take(self, x: float, y: float, radius_pt: float) -> None:
        """Mark a symbol of ``radius_pt`` points at (lon, lat) as taken."""
        cx, cy = self.ax.transData.transform((x, y))
        r = radius_pt * self.ax.figure.dpi / 72
        self.taken.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))

    def place(
        self,
        text: str,
        xy: tuple[float, float],
        spots: Sequence[tuple[float, float]],
        *,
        keep: bool = False,
        **style: Any,
    ) -> Text | None:
        """The label at the first of ``spots`` (offsets in points from ``xy``) where it fits.

        A label that fits nowhere is left out, unless ``keep``: then it goes at the first.
        """
        for spot in spots:
            label = self._annotate(text, xy, spot, style)
            extent = label.get_window_extent(self.renderer).padded(2)
            inside = self.inside.contains(extent.x0, extent.y0) and self.inside.contains(
                extent.x1, extent.y1
            )
            if inside and not any(extent.overlaps(other) for other in self.taken):
                self.taken.append(extent)
                return label
            label.remove()
        if not keep:
            return None
        label = self._annotate(text, xy, spots[0], style)
        self.taken.append(label.get_window_extent(self.renderer).padded(2))
        return label

    def _annotate(
        self, text: str, xy: tuple[float, float], spot: tuple[float, float], style: dict
    ) -> Text:
        """``text`` beside ``xy``, aligned so that it grows away from the point."""
        dx, dy = spot
        align = {
            "ha": "left" if dx > 0 else "right" if dx < 0 else "center",
            "va": "bottom" if dy > 0 else "top" if dy < 0 else "center",
        }
        return self.ax.annotate(
            text,
            xy,
            xytext=spot,
            textcoords="offset points",
            annotation_clip=False,
            **PLAIN,
            **{**align, **style},
        )


@dataclass
class _TroopKey:
    """What the troop layers drew, for the legend."""

    movements: bool = False
    actors: list[str] = field(default_factory=list)
    largest: int = 1
    departed: bool = False
    countless: bool = False


def _draw_figures(ax: Any, labels: _Labels, figures: gpd.GeoDataFrame, key: _TroopKey) -> None:
    """A circle per actor and location at its newest count, labelled like "US 1,100".

    As on the HTML map at its newest date: area ∝ count (the largest is 30 px), labels
    stacked right of the widest circle, largest first; a departed force dashed and
    nearly empty; a white marker where actors never counted there report troops. Labels
    go on largest count first, each where it fits: a crowded map keeps its circles and
    loses its smaller labels rather than printing them over each other.
    """
    located = figures[figures.geometry.notna()]
    if located.empty:
        return
    counted = located["count"].dropna()
    key.largest = int(counted.max()) if not counted.empty else 1
    newest = _records(latest_figures(located, by=("location", "actor")))
    by_location: dict[str, dict[str, list[dict]]] = {}
    for row in newest:
        by_location.setdefault(row["location"], {}).setdefault(row["actor"], []).append(row)
    pending = [
        label
        for actors in by_location.values()
        for label in _location_circles(ax, labels, actors, key.largest)
    ]
    backing = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85, "linewidth": 0}
    for _, text, xy, spot, colour in sorted(pending, key=lambda label: -label[0]):
        labels.place(
            text,
            xy,
            [spot],
            va="center",
            color=colour,
            fontsize=11,
            weight="bold",
            bbox=backing,
            zorder=8,
        )
    key.actors = list(dict.fromkeys(row["actor"] for row in newest))
    key.departed = any(
        _departed(rows) for actors in by_location.values() for rows in actors.values()
    )
    drawn = {(row["location"], row["actor"]) for row in newest}
    pairs = zip(located["location"], located["actor"], strict=True)
    countless = located[[pair not in drawn for pair in pairs]].drop_duplicates("location")
    key.countless = not countless.empty
    for point in countless.geometry:
        _dot(ax, point, _points(4), "white", NO_COUNT_COLOUR, zorder=5)
        labels.take(point.x, point.y, _points(4))


#: A troop label waiting for its place: count, text, (lon, lat), offset in points, colour.
_TroopLabel = tuple[int, str, tuple[float, float], tuple[float, float], str]


def _location_circles(
    ax: Any, labels: _Labels, actors: dict[str, list[dict]], largest: int
) -> list[_TroopLabel]:
    """The circles of the actors counted at one location, and their labels, one a line."""
    counts = {actor: max(f["count"] for f in rows) for actor, rows in actors.items()}
    order = sorted(actors, key=lambda actor: -counts[actor])
    radii = [_points(figure_radius(counts[actor], largest)) for actor in order]
    widest = max(radii)
    point = actors[order[0]][0]["geometry"]
    pending = []
    for line, (actor, radius) in enumerate(zip(order, radii, strict=True)):
        rows, colour = actors[actor], actor_colour(actor)
        gone = _departed(rows)
        fill = mpl.colors.to_rgba(colour, 0.05 if gone else 0.35)
        _dot(ax, point, radius, fill, colour, linestyle="--" if gone else "-", zorder=4)
        spot = (widest + 3, -15 * line)
        pending.append((counts[actor], figure_label(rows), (point.x, point.y), spot, colour))
    labels.take(point.x, point.y, widest)
    return pending


def _departed(newest: list[dict]) -> bool:
    """Whether an actor's newest figures at a place all say its troops have left."""
    return all(f["status"] == "departed" for f in newest)


def _dot(ax: Any, point: Point, radius_pt: float, fill: Any, edge: str, **style: Any) -> None:
    """A circle of ``radius_pt`` points at a shapely point: its size is fixed on the page."""
    ax.scatter(
        [point.x],
        [point.y],
        s=(2 * radius_pt) ** 2,
        color=[fill],
        edgecolors=edge,
        linewidths=_points(2),
        **style,
    )


def _draw_movements(ax: Any, labels: _Labels, movements: gpd.GeoDataFrame) -> bool:
    """A dashed line per actor and route with a solid arrowhead; whether there was one.

    Like the HTML map's, the arrow stops 12 px short of the destination (and here of the
    origin too), so the facility symbols there stay visible; a white casing keeps it
    legible over the shading and hatching.
    """
    lines = zip(movements["actor"], movements.geometry, strict=True)
    routes = dict.fromkeys((actor, line.coords[0], line.coords[-1]) for actor, line in lines)
    to_data = ax.transData.inverted()
    pixels = ax.figure.dpi / 72
    gap, head = _points(12) * pixels, ARROWHEAD * pixels
    casing = [withStroke(linewidth=_points(3) + 2.5, foreground="white")]
    for actor, origin, destination in routes:
        start, end = ax.transData.transform([origin, destination])
        length = math.dist(start, end)
        if length <= 2 * gap + 2 * head:
            continue
        along = (end - start) / length
        across = np.array([-along[1], along[0]]) * head / 2.4
        tip = end - gap * along
        base = tip - head * along
        colour = actor_colour(actor)
        tail, neck = to_data.transform([start + gap * along, base + 0.2 * head * along])
        ax.plot(
            [tail[0], neck[0]],
            [tail[1], neck[1]],
            color=colour,
            linewidth=_points(3),
            linestyle=(0, (4, 3)),
            path_effects=casing,
            zorder=6,
        )
        corners = [tip, base + across, base - across]
        ax.add_patch(
            Polygon(to_data.transform(corners), facecolor=colour, edgecolor="white", zorder=6)
        )
        labels.taken.append(Bbox.from_extents(*np.min(corners, axis=0), *np.max(corners, axis=0)))
    return bool(routes)


def _draw_places(ax: Any, labels: _Labels, places: gpd.GeoDataFrame) -> None:
    """Literal places: circles sized by mentions, facility symbols, regions as italic labels.

    The most mentioned cities and the facilities get a label where one fits (print has
    no tooltips); regions always do. Governments speaking are left out, as the HTML map
    hides them by default.
    """
    literal = places[places["role"] == "literal"]
    regions = literal[literal["kind"] == "region"]
    facilities = literal[literal["kind"] == "facility"]
    others = literal[~literal["kind"].isin(["region", "facility"])]
    named = []
    for row in others.itertuples():
        radius = _points(marker_radius(row.mentions))
        _dot(
            ax, row.geometry, radius, mpl.colors.to_rgba(PLACE_COLOUR, 0.5), PLACE_COLOUR, zorder=3
        )
        labels.take(row.geometry.x, row.geometry.y, radius)
        if row.kind in ("city", "other"):
            named.append((row.name, row.geometry, radius))
    named = named[:LABELLED_PLACES]
    for row in facilities.itertuples():
        _facility(ax, row.geometry)
        labels.take(row.geometry.x, row.geometry.y, FACILITY_SIZE / 2)
        named.append((row.name, row.geometry, FACILITY_SIZE / 2))
    for row in regions.itertuples():
        labels.place(
            row.name,
            (row.geometry.x, row.geometry.y),
            [(0, 0), (0, 10), (0, -10)],
            keep=True,
            color=REGION_COLOUR,
            fontsize=13,
            style="italic",
            weight="bold",
            zorder=7,
            **HALO,
        )
    for name, point, radius in named:
        spots = [(dx * (radius + 3), dy * (radius + 3)) for dx, dy in LABEL_SPOTS]
        labels.place(
            name, (point.x, point.y), spots, color=PLACE_LABEL_COLOUR, fontsize=12, zorder=7, **HALO
        )


def _facility(ax: Any, point: Point) -> None:
    """The HTML map's facility icon: a white aeroplane on a dark square."""
    ax.scatter(
        [point.x],
        [point.y],
        s=FACILITY_SIZE**2,
        marker="s",
        color=FACILITY_COLOUR,
        edgecolors="white",
        linewidths=0.8,
        zorder=5,
    )
    ax.annotate(
        "\u2708",
        (point.x, point.y),
        ha="center",
        va="center_baseline",
        fontsize=10,
        color="white",
        zorder=5,
        annotation_clip=False,
    )


def _draw_country_names(ax: Any, view: _View, labels: _Labels, countries: gpd.GeoDataFrame) -> None:
    """The names of the countries drawn, like the HTML map's labels; where there is room.

    Countries the articles name come first, in capitals; a neighbour's name is left out
    where it would overlap, or when too little of it is in view.
    """
    shown = view.clip(countries).sort_values("touched", ascending=False, kind="stable")
    least = 0.01 * (view.east - view.west) * (view.north - view.south)
    for name, touched, geometry in zip(
        shown["name"], shown["touched"], shown.geometry, strict=True
    ):
        if geometry.area < least:
            continue
        point = geometry.representative_point()
        style = (
            {"color": "#222222", "fontsize": 12, "weight": "bold"}
            if touched
            else {"color": "#666666", "fontsize": 10}
        )
        text = name.upper() if touched else name
        spots = [(0, 0), (0, -14), (0, 14), (30, 0), (-30, 0)]
        labels.place(
            text, (point.x, point.y), spots, keep=bool(touched), zorder=2.6, **style, **HALO
        )


def _graticule(ax: Any, view: _View, labels: _Labels) -> None:
    """Meridians and parallels labelled at the edges, and a scale bar true at the middle."""
    span = max(view.east - view.west, view.north - view.south)
    step = next((s for s in (1, 2, 5, 10, 15, 30) if span / s <= 8), 60)
    ax.xaxis.set_major_locator(FixedLocator(_multiples(view.west, view.east, step)))
    ax.yaxis.set_major_locator(FixedLocator(_multiples(view.south, view.north, step)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _degrees(v, "E", "W")))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _degrees(v, "N", "S")))
    ax.tick_params(labelsize=9, labelcolor=TEXT_COLOUR, length=3, labelfontfamily=FONT)
    ax.set_axisbelow(False)  # grid over the shading, under the symbols
    ax.grid(color=GRID_COLOUR, linewidth=0.5, alpha=0.6)
    middle = (view.south + view.north) / 2
    km_per_degree = 111.32 * math.cos(math.radians(middle))
    km = nice_number((view.east - view.west) * km_per_degree / 6)
    bar = AnchoredSizeBar(
        ax.transData,
        km / km_per_degree,
        f"{km:,} km",
        loc="lower left",
        pad=0.5,
        borderpad=0.8,
        sep=4,
        size_vertical=0.006 * (view.north - view.south),
        fontproperties=FontProperties(family=FONT, size=10),
        frameon=True,
    )
    bar.patch.set(facecolor="white", alpha=0.8, linewidth=0)
    bar.set_zorder(9)
    ax.add_artist(bar)
    labels.taken.append(bar.get_window_extent(labels.renderer))


def _multiples(low: float, high: float, step: int) -> list[int]:
    return list(range(math.ceil(low / step) * step, math.floor(high / step) * step + 1, step))


def _degrees(value: float, positive: str, negative: str) -> str:
    """Like "5°E", "10°S", "0°"."""
    whole = round(value)
    return f"{abs(whole)}°{(positive if whole > 0 else negative) if whole else ''}"


def _legend(ax: Any, classes: list[tuple[int, str, str]], key: _TroopKey) -> None:
    """The legend panel, section by section like the HTML map's legend."""
    ax.set_axis_off()
    rows: list[OffsetBox] = [_heading_row("Countries (mentions)")]
    rows += [_row(_swatch(colour), label) for label, colour in _shade_labels()]
    rows.append(_row(_swatch(NEIGHBOUR), "neighbouring country"))
    rows.append(_heading_row("Places"))
    rows.append(
        _row(_circle(mpl.colors.to_rgba(PLACE_COLOUR, 0.5), PLACE_COLOUR), "place (size: mentions)")
    )
    rows.append(_row(_facility_symbol(), "military facility"))
    region = {"color": REGION_COLOUR, "style": "italic", "weight": "bold"}
    rows.append(_row(_key_area(), "region name", **region))
    if classes:
        rows.append(_heading_row("Foreign troop presence"))
        rows += [_row(_hatched(colour), f"{label} troops") for _, label, colour in classes]
    if key.actors:
        rows.append(_heading_row("Troops (circle area: count)"))
        actors = [
            _row(_circle(mpl.colors.to_rgba(colour, 0.35), colour), actor)
            for actor, colour in zip(key.actors, map(actor_colour, key.actors), strict=True)
        ]
        rows += [_columns(actors)] if len(actors) > ONE_COLUMN else actors
        rows.append(_size_key(key.largest))
    if key.departed:
        rows.append(_row(_circle("white", KEY_LINE, dashed=True), "troops that left"))
    if key.countless:
        rows.append(_row(_circle("white", NO_COUNT_COLOUR), "troops, number not given"))
    if key.movements:
        rows.append(_row(_arrow(), "movement"))
    note = (
        "Troop circles show each actor's newest figure at each place, labelled where "
        "there is room; country shading and troop presence count every article."
    )
    rows.append(TextArea(textwrap.fill(note, 36), textprops={"fontsize": 9, "color": TEXT_COLOUR}))
    panel = VPacker(children=rows, sep=ROW_GAP, pad=0, align="left")
    ax.add_artist(
        AnchoredOffsetbox(
            "upper left",
            child=panel,
            pad=0,
            borderpad=0,
            frameon=False,
            bbox_to_anchor=(0, 1),
            bbox_transform=ax.transAxes,
        )
    )


def _columns(rows: list[OffsetBox]) -> HPacker:
    """``rows`` in two columns, so that a long list of actors keeps the legend on the page."""
    half = math.ceil(len(rows) / 2)
    columns = [VPacker(children=rows[i : i + half], sep=ROW_GAP, pad=0) for i in (0, half)]
    return HPacker(children=columns, sep=12, pad=0, align="top")


def _heading_row(text: str) -> TextArea:
    return TextArea(text, textprops={"fontsize": 12, "weight": "bold"})


def _row(symbol: OffsetBox, text: str, **style: Any) -> HPacker:
    label = TextArea(text, textprops={"fontsize": 11, **PLAIN, **style})
    return HPacker(children=[symbol, label], sep=6, pad=0, align="center")


def _key_area() -> DrawingArea:
    """The box of a legend row's symbol, the same for every row so that labels line up."""
    return DrawingArea(*KEY_BOX)


def _swatch(colour: str) -> DrawingArea:
    area = _key_area()
    area.add_artist(
        Rectangle(
            (0, 2), KEY_BOX[0], KEY_BOX[1] - 4, facecolor=colour, edgecolor=BORDER, linewidth=0.8
        )
    )
    return area


def _hatched(colour: str) -> DrawingArea:
    area = _key_area()
    corner, width, height = (0, 1), KEY_BOX[0], KEY_BOX[1] - 2
    area.add_artist(Rectangle(corner, width, height, facecolor="white", linewidth=0))
    area.add_artist(
        Rectangle(
            corner,
            width,
            height,
            facecolor="none",
            edgecolor=colour,
            linewidth=0,
            hatch=PRESENCE_HATCH,
        )
    )
    area.add_artist(
        Rectangle(corner, width, height, facecolor="none", edgecolor=PRESENCE_EDGE, linewidth=1.5)
    )
    return area


def _circle(fill: Any, edge: str, *, dashed: bool = False) -> DrawingArea:
    area = _key_area()
    middle = (KEY_BOX[0] / 2, KEY_BOX[1] / 2)
    area.add_artist(
        Circle(
            middle,
            6,
            facecolor=fill,
            edgecolor=edge,
            linewidth=_points(2),
            linestyle="--" if dashed else "-",
        )
    )
    return area


def _facility_symbol() -> DrawingArea:
    area = _key_area()
    x, y, side = KEY_BOX[0] / 2, KEY_BOX[1] / 2, FACILITY_SIZE
    area.add_artist(Rectangle((x - side / 2, y - side / 2), side, side, color=FACILITY_COLOUR))
    area.add_artist(
        Text(x, y, "\u2708", ha="center", va="center_baseline", fontsize=10, color="white")
    )
    return area


def _arrow() -> DrawingArea:
    area = _key_area()
    y = KEY_BOX[1] / 2
    area.add_artist(
        FancyArrowPatch(
            (0, y),
            (KEY_BOX[0], y),
            arrowstyle="-|>,head_length=0.9,head_width=0.5",
            mutation_scale=10,
            color="#444444",
            linewidth=_points(3),
            linestyle=(0, (3, 2)),
            shrinkA=0,
            shrinkB=0,
        )
    )
    return area


def _size_key(largest: int) -> DrawingArea:
    """Nested circles for round counts near the largest and a tenth of it, to read sizes by."""
    values = sorted({nice_number(largest), nice_number(largest / 10)} - {0}, reverse=True)
    radii = [_points(figure_radius(v, largest)) for v in values]
    widest = radii[0]
    area = DrawingArea(2 * widest + 60, 2 * widest + 2)
    for value, radius in zip(values, radii, strict=True):
        area.add_artist(
            Circle(
                (widest, 1 + radius), radius, facecolor="none", edgecolor=KEY_LINE, linewidth=0.8
            )
        )
        top = 1 + 2 * radius
        area.add_artist(Rectangle((widest, top), widest + 4, 0, edgecolor=KEY_LINE, linewidth=0.5))
        area.add_artist(
            Text(2 * widest + 6, top, f"{value:,}", va="center", fontsize=9, color=TEXT_COLOUR)
        )
    return area
