"""The static map for print: the HTML map's layers drawn with geopandas and matplotlib.

`draw_map` makes a `matplotlib.figure.Figure` on an Agg canvas, never through pyplot,
so nothing opens a window and no global figure list grows; `save_figure` writes it as
PNG or SVG, the same bytes for the same build. Colours, symbol sizes, classes and
labels come from `geomap.render` and `geomap.popups`, so print and screen agree. The
map shows what the HTML map opens on: everything, each troop circle at its newest
figure.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import io
import math
import struct
import textwrap
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import shapely
from matplotlib import path as mpath
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.markers import MarkerStyle
from matplotlib.offsetbox import (
    AnchoredOffsetbox,
    DrawingArea,
    HPacker,
    OffsetBox,
    TextArea,
    VPacker,
)
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter
from matplotlib.transforms import Bbox, IdentityTransform
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.geometry import Point, box

from geomap.boundaries import latest_positions, load_countries
from geomap.exceptions import OutputError
from geomap.files import KeptFiles, stamp, write_whole
from geomap.manifest import code_and_data
from geomap.pipeline import Tables
from geomap.popups import figure_label
from geomap.styles import (
    DEFAULT_SOURCE,
    LABELLED_PLACES,
    NEIGHBOUR,
    NO_COUNT_COLOUR,
    PLACE_COLOUR,
    actor_colour,
    columns,
    figure_radius,
    frame_bounds,
    marker_radius,
    nice_number,
    presence_classes,
    shade,
    shade_labels,
)

IMAGE_FORMATS = ("png", "svg")
#: The right edge of the map's axes and the left edge of the legend, as shares of the width.
MAP_RIGHT, LEGEND_LEFT = 0.75, 0.772
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
#: SVG metadata that would change with the clock or matplotlib's version, left out.
SVG_METADATA = {"Date": None, "Creator": None}
#: zlib level of the PNG's pixels: 1 is fastest, and unfiltered rows of a map's flat
#: colours deflate smaller at level 1 (about 520 kB for 1,000 articles, in the bands of
#: `_Deflater`) than Pillow's filtered ones at 6.
PNG_LEVEL = 1
#: Where a place label may go, in order: right, left, above, below, then the diagonals.
LABEL_SPOTS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))
#: Pixels kept free around a label.
LABEL_PAD = 2
#: A label's width is first guessed from its characters' advance widths, which Agg's
#: measured width comes within a few per cent of; shrunk this much, the guess is short of it.
GUESS_SHRINK = 0.85
#: A line of text is at least this many times its font size high (DejaVu Sans: 1 em).
LINE_HEIGHT = 0.9
#: Where a label's box starts, as a share of its width (height) left of (below) its anchor.
HALIGN = {"left": 0.0, "center": 0.5, "right": 1.0}
VALIGN = {"bottom": 0.0, "center": 0.5, "top": 1.0}
#: At most this many troop labels, largest count first: each costs about 6 ms to place
#: and draw on every build, and a crowded map is no easier to read with more.
TROOP_LABELS = 8
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
    tables: Tables,
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
        figure = _MapFigure(figsize=(_inches(width, dpi), _inches(height, dpi)), dpi=dpi)
        _Canvas(figure)  # the canvas labels measure text with
        setting = _setting(figure)
        top = _heading(figure, title, subtitle, setting)
        _bottom_line(figure, tables, source, setting)
        ax = figure.add_axes((0.025, 0.065, MAP_RIGHT - 0.025, top - 0.065))
        view = _View.fit(ax, tables.places)
        view.freeze()
        labels = _Labels(ax, setting)
        _graticule(ax, view, labels)
        key = _TroopKey(movements=_draw_movements(ax, labels, tables.movements))
        _draw_figures(ax, labels, tables.figures, key)
        _draw_places(ax, labels, tables.places)
        _draw_country_names(ax, view, labels, tables.countries)
        shading = _Shading.of(tables.countries)
        corner = (LEGEND_LEFT, top)
        # What the legend shows of the presence classes, and so all its pixels depend on:
        # labels and colours, not the limits (`presence_classes`).
        legend_classes = [(label, colour) for _, label, colour in shading.classes]
        split = round(figure.bbox.width * (MAP_RIGHT + LEGEND_LEFT) / 2)
        extent = (view.west, view.east, view.south, view.north)
        figure.layers = [
            _Layer(
                "base",
                [figure.patch, ax.patch, ax.xaxis, ax.yaxis, *ax.spines.values()],
                functools.partial(_draw_countries, ax, view, shading),
                slice(0, split),
                _key(setting, ax.get_position().bounds, extent, shading.digest()),
            ),
            _Layer(
                "legend",
                [figure.patch],
                functools.partial(_legend, figure, corner, legend_classes, key),
                slice(split, None),
                _key(setting, corner, legend_classes, astuple(key)),
            ),
        ]
    return figure


def save_figure(
    figure: Figure, path: Path, image_format: str, *, cache: Path | None = None
) -> Path:
    """Write ``figure`` as "png" or "svg" at its own dpi: the same figure, the same bytes.

    Agg draws deterministically (with `draw_map`'s bundled font); what varies between
    two saves is metadata and, in SVG, element ids. The PNG is written by `_png`, with
    no text chunks (matplotlib would add its version). SVG leaves out ``Date`` (the clock, or
    ``SOURCE_DATE_EPOCH``) and ``Creator``, and salts its id hashes with a fixed
    ``svg.hashsalt`` instead of a random one. SVG text stays text (``svg.fonttype``
    "none"), so a newsroom can edit the headings, the legend and the troop labels;
    viewers draw it in DejaVu Sans or their nearest sans-serif. Names drawn with a
    white halo (places, regions, countries) are outlines: matplotlib draws path
    effects as paths.

    A PNG of `draw_map`'s is drawn in layers (`_draw_layered`); with ``cache`` (a
    folder), the layers' pixels are taken from there when they were drawn from the same
    inputs, and kept there otherwise: the same bytes either way.
    """
    if image_format not in IMAGE_FORMATS:
        raise OutputError(
            f"image format {image_format!r} is not supported; use one of {', '.join(IMAGE_FORMATS)}"
        )
    with mpl.rc_context(SAVE_STYLE):
        if image_format == "png":
            return write_whole(path, _png(_rgba(figure, cache), figure.dpi))
        for layer in figure.layers if isinstance(figure, _MapFigure) else []:
            layer.made()
        svg = io.BytesIO()
        figure.savefig(svg, format="svg", dpi=figure.dpi, metadata=SVG_METADATA)
    return write_whole(path, svg.getvalue())


def _rgba(figure: Figure, cache: Path | None = None) -> np.ndarray:
    """The figure drawn by Agg at its own dpi: (height, width, RGBA) bytes.

    `draw_map`'s figures are drawn on their own canvas, which keeps the text sizes
    measured while placing labels; others through `savefig`, which lends them one.
    """
    if isinstance(figure, _MapFigure):
        _draw_layered(figure, cache)
        return np.asarray(figure.canvas.buffer_rgba())
    if isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg.draw(figure.canvas)
        return np.asarray(figure.canvas.buffer_rgba())
    raw = io.BytesIO()
    figure.savefig(raw, format="rgba", dpi=figure.dpi)
    return np.frombuffer(raw.getbuffer(), np.uint8).reshape(-1, int(figure.bbox.width), 4)


class _MapFigure(Figure):
    """`draw_map`'s figure: a matplotlib figure that knows its layers."""

    layers: list[_Layer]


class _Canvas(FigureCanvasAgg):
    """An Agg canvas that draws with the renderer of the last figure of its size.

    matplotlib keeps the sizes of the texts it measured per renderer; a new figure
    would get a new renderer and measure every label again. Kept, the labels of
    the last build (most of the next one's) are measured once while a process draws
    map after map: 10 % of an image's time. Each draw overwrites all of its pixels
    (`_draw_layered`, `FigureCanvasAgg.draw`), so none are left from the last figure.
    """

    _kept: ClassVar[dict[tuple[float, float, float], RendererAgg]] = {}

    def get_renderer(self) -> RendererAgg:
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if key not in self._kept:
            self._kept.clear()  # only the last size: a renderer holds its pixels
            self._kept[key] = RendererAgg(width, height, self.figure.dpi)
        self.renderer = self._kept[key]
        return self.renderer


@dataclass
class _Layer:
    """Artists drawn first, side by side in bands of the figure's columns, then the rest.

    The "base" layer (sea, land, shading and hatching of countries, graticule) fills
    the columns up to midway between the map and the legend, the "legend" layer the
    columns right of them: together over half of the time Agg takes to draw a map, and
    what changes least between builds. All other artists are drawn over them, in
    zorder: the headings over the legend (`_legend`), the map's symbols and labels
    inside its axes. So the map looks the same as drawn at once.
    """

    name: str
    #: The layer's artists that the figure has anyway (its patches, axis and spines).
    artists: list[Artist]
    #: Adds the layer's other artists to the figure and returns them: only when they are
    #: drawn, not when the layer's pixels come from a cache.
    make: Callable[[], list[Artist]]
    columns: slice
    #: A hash of everything the layer's pixels depend on (`_key`).
    key: str
    _made: list[Artist] | None = None

    def made(self) -> list[Artist]:
        """All of the layer's artists, the others made the first time."""
        if self._made is None:
            with mpl.rc_context(DRAW_STYLE):
                self._made = self.make()
        return self.artists + self._made

    def present(self) -> list[Artist]:
        """The layer's artists that the figure holds: the others only once made."""
        return self.artists + (self._made or [])


def _key(setting: str, *inputs: Any) -> str:
    """A hash of a layer's ``inputs`` (their reprs), geomap's code and data (matplotlib's
    version among them), and the figure's `_setting`.
    """
    digest = hashlib.sha256(code_and_data().encode())
    digest.update(repr((setting, inputs)).encode())
    return digest.hexdigest()


def _draw_layered(figure: _MapFigure, cache: Path | None) -> None:
    """Draw ``figure`` on its canvas: each layer alone into its columns, then the rest over them.

    A layer's pixels come from ``cache`` (a folder) when it holds pixels for the layer's
    key; otherwise the layer is drawn and, with ``cache``, its pixels kept there. Adding
    an article mostly changes symbols and labels: the base comes from the cache, and the
    legend often does.
    """
    renderer = figure.canvas.get_renderer()
    pixels = np.asarray(renderer.buffer_rgba())
    ax = figure.axes[0]
    bands = []
    for layer in figure.layers:
        file = cache / f".geomap-image-{layer.name}" if cache is not None else None
        band = _read_layer(file, layer.key, pixels[:, layer.columns].shape) if file else None
        if band is None:
            shown = layer.made()
            everything = (*figure.get_children(), *ax.get_children())
            renderer.clear()
            with _hidden([a for a in everything if a is not ax and a not in shown]):
                figure.draw(renderer)
            band = np.array(pixels[:, layer.columns])
            if file:
                _write_layer(file, layer.key, band)
        bands.append((layer.columns, band))
    for span, band in bands:
        pixels[:, span] = band
    with _hidden([a for layer in figure.layers for a in layer.present()]), _LABEL_PIXELS.image():
        figure.draw(renderer)


@contextlib.contextmanager
def _hidden(artists: Sequence[Artist]) -> Iterator[None]:
    """``artists`` made invisible while the block runs."""
    shown = [artist for artist in artists if artist.get_visible()]
    for artist in shown:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist in shown:
            artist.set_visible(True)


#: The (key, pixels) of the layer files this process read or wrote last: one output
#: folder's two, and another's.
_layer_pixels = KeptFiles(most=4)


def _read_layer(file: Path, key: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """The pixels kept in ``file`` for ``key``; None if there are none, or not whole.

    Unpacked once while the file stays the same (5 ms for the map's two layers)."""
    try:
        stamped = stamp(file)
        kept = _layer_pixels.get(file, stamped)
        if kept is not None and kept[0] == key and kept[1].shape == shape:
            return kept[1]
        stored, _, packed = file.read_bytes().partition(b"\n")
        if stored != key.encode():
            return None
        pixels = np.frombuffer(zlib.decompress(packed), np.uint8).reshape(shape)
    except (OSError, ValueError, zlib.error):  # no file, wrong size, damaged
        return None
    _layer_pixels.keep(file, (key, pixels), stamped)
    return pixels


def _write_layer(file: Path, key: str, pixels: np.ndarray) -> None:
    """Keep ``pixels`` in ``file`` under ``key``, replacing the file whole."""
    with contextlib.suppress(OSError):  # the map is right without its cache
        write_whole(file, key.encode() + b"\n" + zlib.compress(pixels, PNG_LEVEL))
        _layer_pixels.keep(file, (key, pixels))


def _png(rgba: np.ndarray, dpi: float) -> bytes:
    """Agg's RGBA pixels as a PNG: rows unfiltered, deflated at PNG_LEVEL (`_Deflater`),
    and the dpi.

    Written here rather than by Pillow, which has no option to skip choosing a filter
    for every row: that choice took two thirds of its 90 ms for 1600 × 1000, and a map's
    long runs of one colour deflate as small without filters. No other metadata: same
    pixels, same bytes.
    """
    height, width, _ = rgba.shape
    rows = np.zeros((height, 1 + 4 * width), np.uint8)  # each row: filter 0, then RGBA
    rows[:, 1:] = rgba.reshape(height, -1)
    per_metre = int(dpi / 0.0254 + 0.5)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _chunk(b"IDAT", _DEFLATER.deflate(rows)),
            _chunk(b"IEND", b""),
        ]
    )


#: The zlib stream's header (deflate, 32 KiB window, fastest) and its last, empty block.
ZLIB_HEADER = b"\x78\x01"
DEFLATE_END = zlib.compressobj(PNG_LEVEL, zlib.DEFLATED, -15).flush()
#: Rows deflated together (`_Deflater`).
BAND_ROWS = 25


class _Deflater:
    """Rows as a zlib stream of bands of BAND_ROWS rows, each deflated on its own and
    ended on a byte, so that any band can stand next to any other.

    A band whose rows are the same as in the last stream is not deflated again: an
    added article changes a few labels and the bottom line, 3 bands of 40 (deflating
    all took 20 ms). Each band's bytes depend on its rows only, so the same pixels
    still give the same bytes.
    """

    def __init__(self) -> None:
        self.rows = np.empty((0, 0), np.uint8)
        self.bands: list[bytes] = []

    def deflate(self, rows: np.ndarray) -> bytes:
        same_size = rows.shape == self.rows.shape
        bands = []
        for number, start in enumerate(range(0, len(rows), BAND_ROWS)):
            band = rows[start : start + BAND_ROWS]
            if same_size and np.array_equal(band, self.rows[start : start + BAND_ROWS]):
                bands.append(self.bands[number])
            else:
                deflater = zlib.compressobj(PNG_LEVEL, zlib.DEFLATED, -15)
                bands.append(deflater.compress(band) + deflater.flush(zlib.Z_SYNC_FLUSH))
        self.rows, self.bands = rows, bands
        checksum = struct.pack(">I", zlib.adler32(rows))
        return b"".join([ZLIB_HEADER, *bands, DEFLATE_END, checksum])


#: Keeps the bands of the last PNG this process wrote.
_DEFLATER = _Deflater()


def _chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk: length, type, data and the CRC of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _inches(pixels: int, dpi: float) -> float:
    """``pixels / dpi``, nudged up where the product would truncate to a pixel less."""
    inches = pixels / dpi
    while int(inches * dpi) < pixels:
        inches = math.nextafter(inches, math.inf)
    return inches


def _points(pixels: float) -> float:
    """A size the HTML map gives in CSS pixels, in points (pixels at the reference size)."""
    return pixels * 72 / 100


def _heading(figure: Figure, title: str, subtitle: str, setting: str) -> float:
    """Title and subtitle at the top left; returns where the map's top edge goes."""
    _figure_text(figure, setting, 0.025, 0.955, title, fontsize=22, weight="bold")
    if not subtitle:
        return 0.93
    _figure_text(figure, setting, 0.025, 0.918, subtitle, fontsize=14, color=TEXT_COLOUR)
    return 0.9


def _bottom_line(figure: Figure, tables: Tables, source: str, setting: str) -> None:
    """The data's date (the newest article's) at the left, the source line at the right."""
    count = tables.article_count
    articles = f"{count:,} article{'s' * (count != 1)}"
    newest = tables.newest_date
    when = f"Data as of {newest.isoformat()} ({articles})" if newest else f"Data: {articles}"
    style = {"fontsize": 10, "color": TEXT_COLOUR}
    _figure_text(figure, setting, 0.025, 0.025, when, **style)
    _figure_text(figure, setting, 0.985, 0.025, source, ha="right", **style)


def _figure_text(figure: Figure, setting: str, x: float, y: float, text: str, **style: Any) -> None:
    """``text`` at (x, y) in the figure's fractions, drawn through `_LABEL_PIXELS`."""
    _LABEL_PIXELS.keep(figure.text(x, y, text, **PLAIN, **style), setting, x, y, text, style)


def _setting(figure: Figure) -> str:
    """What any text's or layer's pixels depend on besides what it shows: matplotlib's
    settings and the figure's size."""
    settings = sorted((k, v) for k, v in dict.items(mpl.rcParams) if k != "backend")
    return repr((settings, figure.bbox.bounds, figure.dpi))


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
        west, south, east, north = frame_bounds(places) or (-170.0, -60.0, 190.0, 80.0)
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
        """The polygons in view (and a little beyond), so an SVG carries no far-off coasts.

        The rows and order of ``geopandas.clip``, cut by GEOS's rectangle clipping (as
        `geopandas.clip` does given bounds) instead of a polygon intersection: a tenth
        of the time, and the cut edges lie outside the map.
        """
        margin = 0.02 * (self.east - self.west)
        bounds = (self.west - margin, self.south - margin, self.east + margin, self.north + margin)
        near = frame.iloc[frame.sindex.query(box(*bounds), predicate="intersects")]
        shapes = near.geometry.array.clip_by_rect(*bounds)
        shown = ~shapes.is_empty
        return near[shown].set_geometry(shapes[shown])

    def freeze(self) -> None:
        """Fix the limits before symbols are placed: nothing may rescale the map after."""
        self.ax.set_xlim(self.west, self.east)
        self.ax.set_ylim(self.south, self.north)
        self.ax.set_autoscale_on(False)
        self.ax.set(xlabel="", ylabel="")


@dataclass
class _Shading:
    """How the build's countries are drawn: each one's fill, and its presence class if any."""

    countries: gpd.GeoDataFrame
    fills: list[str]
    #: (upper limit, legend label, colour) of each class of foreign troop presence.
    classes: list[tuple[int, str, str]]
    #: Each country's presence class (index into ``classes``), -1 without foreign troops.
    hatches: list[int]

    @classmethod
    def of(cls, countries: gpd.GeoDataFrame) -> _Shading:
        """Shaded by mentions (neighbours grey), classed by foreign troop presence."""
        touched = zip(countries["mentions"], countries["touched"], strict=True)
        fills = [shade(mentions) if shaded else NEIGHBOUR for mentions, shaded in touched]
        presence = countries.get("presence", [])
        classes = presence_classes(value for value in presence if value > 0)
        limits = [limit for limit, _, _ in classes]
        hatches = [bisect.bisect_left(limits, v) if v > 0 else -1 for v in presence]
        return cls(countries, fills, classes, hatches or [-1] * len(countries))

    def digest(self) -> str:
        """A hash of what the base layer draws of the countries: shapes, fills, hatches.

        Not the classes' limits, only their colours: the top class ends at the largest
        presence, which many a new article raises, and neither layer shows it.
        """
        shapes = shapely.to_wkb(np.asarray(self.countries.geometry.array))
        colours = [colour for _, _, colour in self.classes]
        digest = hashlib.sha256(b"".join(shapes))
        digest.update(repr((self.fills, colours, self.hatches)).encode())
        return digest.hexdigest()


def _draw_countries(ax: Any, view: _View, shading: _Shading) -> list[Artist]:
    """Every country in view as blank land, then the build's countries shaded by mentions,
    then those hosting foreign troops hatched in their class's colour; returns the shapes.

    Hatching rather than the HTML map's second fill, so the mentions shading still shows
    in print.
    """
    ax.set_facecolor(SEA)
    shapes = [
        _polygons(view.clip(load_countries()), facecolor=LAND, edgecolor=COAST, linewidth=0.5)
    ]
    countries = shading.countries.assign(fill=shading.fills, hatch=shading.hatches)
    shown = view.clip(countries)
    shapes.append(_polygons(shown, facecolor=list(shown["fill"]), edgecolor=BORDER, linewidth=0.8))
    hosting = view.clip(countries[countries["hatch"] >= 0])
    for number, (_, _, colour) in enumerate(shading.classes):
        group = hosting[hosting["hatch"] == number]
        hatched = {"facecolor": "none", "edgecolor": colour, "hatch": PRESENCE_HATCH}
        shapes.append(_polygons(group, **hatched, linewidth=0))
        shapes.append(_polygons(group, facecolor="none", edgecolor=PRESENCE_EDGE, linewidth=1.5))
    drawn = [shape for shape in shapes if shape is not None]
    for shape in drawn:
        ax.add_collection(shape, autolim=False)
    return drawn


def _polygons(frame: gpd.GeoDataFrame, **style: Any) -> PathCollection | None:
    """``frame``'s (multi)polygons as one collection, holes and all, as geopandas draws them.

    Without ``GeoDataFrame.plot``: it defines a class and asks the canvas to redraw on
    every call, which made up most of the time the layers took.
    """
    return None if frame.empty else PathCollection(_paths(frame.geometry), **style)


def _paths(shapes: gpd.GeoSeries) -> list[mpath.Path]:
    """Each (multi)polygon as one compound path of its rings, exteriors before holes.

    The shapes are normalized first, as geopandas does, so that holes wind the other way.
    """
    normal = shapely.normalize(np.asarray(shapes.array))
    parts, owners = shapely.get_parts(normal, return_index=True)
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    rings, part_of_ring = shapely.get_rings(parts[polygons], return_index=True)
    sizes = shapely.get_num_coordinates(rings)
    vertices = shapely.get_coordinates(rings)
    codes = np.full(len(vertices), mpath.Path.LINETO, dtype=mpath.Path.code_type)
    ends = np.cumsum(sizes)
    codes[ends - sizes] = mpath.Path.MOVETO
    codes[ends - 1] = mpath.Path.CLOSEPOLY
    owner_of_vertex = np.repeat(owners[polygons][part_of_ring], sizes)
    cuts = np.searchsorted(owner_of_vertex, np.arange(len(normal) + 1))
    return [mpath.Path(vertices[a:b], codes[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


class _Labels:
    """Labels placed where they overlap neither each other nor the symbols taken so far.

    What is taken is a growing array of pixel boxes, so that a spot is checked against
    all of them in one numpy expression. A spot is first tried with a box that the
    label's surely covers (`_TextSizes`); only where that one fits is the label made and
    measured, so a crowded map makes few artists just to throw them away.
    """

    def __init__(self, ax: Any, setting: str) -> None:
        self.ax = ax
        self.renderer = ax.figure.canvas.get_renderer()
        #: Pixels per point, and degrees to pixels: the limits are fixed by now.
        self.pixels = ax.figure.dpi / 72
        self.to_pixels = ax.transData.frozen()
        self.inside = ax.get_window_extent()
        self.sizes = _TextSizes(ax.figure.dpi)
        #: What a label's pixels depend on besides itself (`_LabelPixels`).
        self.setting = repr((setting, self.inside.bounds))
        self._boxes = np.empty((64, 4))
        self._count = 0

    def take(self, x: float, y: float, radius_pt: float) -> None:
        """Mark a symbol of ``radius_pt`` points at (lon, lat) as taken."""
        cx, cy = self.to_pixels.transform((x, y))
        r = radius_pt * self.pixels
        self.take_box(cx - r, cy - r, cx + r, cy + r)

    def take_box(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Mark a box in pixels as taken."""
        if self._count == len(self._boxes):
            self._boxes = np.concatenate([self._boxes, np.empty_like(self._boxes)])
        self._boxes[self._count] = (x0, y0, x1, y1)
        self._count += 1

    def take_boxes(self, boxes: np.ndarray) -> None:
        """Mark boxes in pixels, rows of (x0, y0, x1, y1), as taken."""
        for row in boxes:
            self.take_box(*row)

    def free(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether a box in pixels is inside the map and overlaps (or touches) nothing taken."""
        inside = self.inside
        if x0 < inside.x0 or y0 < inside.y0 or x1 > inside.x1 or y1 > inside.y1:
            return False
        taken = self._boxes[: self._count]
        hits = (taken[:, 0] <= x1) & (x0 <= taken[:, 2]) & (taken[:, 1] <= y1) & (y0 <= taken[:, 3])
        return not hits.any()

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
        x, y = self.to_pixels.transform(xy)
        width, height = self.sizes.least(text, style)
        for spot in spots:
            align = {**_align(spot), **style}
            if align["va"] in VALIGN:
                left = x + spot[0] * self.pixels - HALIGN[align["ha"]] * width
                bottom = y + spot[1] * self.pixels - VALIGN[align["va"]] * height
                least = (left, bottom, left + width, bottom + height)
                if not self.free(*_padded(least, LABEL_PAD)):
                    continue
            label = self._annotate(text, xy, spot, style)
            extent = _padded(label.get_window_extent(self.renderer).extents, LABEL_PAD)
            if self.free(*extent):
                self.take_box(*extent)
                return label
            label.remove()
        if not keep:
            return None
        label = self._annotate(text, xy, spots[0], style)
        self.take_box(*_padded(label.get_window_extent(self.renderer).extents, LABEL_PAD))
        return label

    def _annotate(
        self, text: str, xy: tuple[float, float], spot: tuple[float, float], style: dict
    ) -> Text:
        """``text`` beside ``xy``, aligned so that it grows away from the point; drawn
        on a canvas of its figure's by `_LABEL_PIXELS`."""
        label = self.ax.annotate(
            text,
            xy,
            xytext=spot,
            textcoords="offset points",
            annotation_clip=False,
            **PLAIN,
            **{**_align(spot), **style},
        )
        where = tuple(self.to_pixels.transform(xy))
        _LABEL_PIXELS.keep(label, self.setting, text, where, spot, sorted(style.items()))
        return label


class _LabelPixels:
    """The pixels of the labels and texts drawn lately, pasted where the same text is
    drawn over the same pixels again.

    Texts are most of the time Agg takes to draw a map's symbols and text (25 labels
    and 7 other texts, 75 of 100 ms), and an added article changes few. A text's pixels
    depend on the text alone (what makes it and where: its key) and on the pixels it is
    drawn over, so the box around it (PAD points beyond its extent, more than its halo
    or backing reach) is kept after drawing, with a hash of what the box held before:
    when the box holds that again, the kept pixels are what drawing would give. The
    same bytes either way.
    """

    #: Points kept around a label's extent (12 pixels at the reference size).
    PAD = 9

    def __init__(self) -> None:
        #: The texts of the last image, and of the one being drawn, by key.
        self._kept: dict[str, tuple[tuple[int, int, int, int], bytes, np.ndarray]] = {}
        self._drawn: dict[str, tuple[tuple[int, int, int, int], bytes, np.ndarray]] = {}

    @contextlib.contextmanager
    def image(self) -> Iterator[None]:
        """Draw one image's texts: afterwards only those are kept."""
        try:
            yield
        finally:
            self._kept, self._drawn = self._drawn, {}

    def keep(self, text: Text, setting: str, *inputs: Any) -> None:
        """Have ``text`` drawn through this, keyed by ``inputs`` (what makes the text and
        where, beyond the figure's or axes' ``setting``)."""
        key = repr((setting, inputs))
        text.draw = functools.partial(self.draw, text, key)  # type: ignore[method-assign]

    def draw(self, label: Text, key: str, renderer: Any) -> None:
        draw = type(label).draw
        if not label.get_visible() or not isinstance(renderer, RendererAgg):
            draw(label, renderer)  # SVG: text stays text
            return
        canvas = np.asarray(renderer.buffer_rgba())
        kept = self._drawn.get(key) or self._kept.get(key)
        if kept is not None:
            (top, bottom, left, right), under, pixels = kept
            box = canvas[top:bottom, left:right]
            if _digest(box) == under:
                box[...] = pixels
                self._drawn[key] = kept
                return
        height, width = canvas.shape[:2]
        pad = math.ceil(self.PAD * renderer.dpi / 72)  # halo and backing scale likewise
        x0, y0, x1, y1 = label.get_window_extent(renderer).extents
        top = max(0, math.floor(height - y1) - pad)
        bottom = min(height, math.ceil(height - y0) + pad)
        left, right = max(0, math.floor(x0) - pad), min(width, math.ceil(x1) + pad)
        box = canvas[top:bottom, left:right]
        under = _digest(box)
        draw(label, renderer)
        self._drawn[key] = ((top, bottom, left, right), under, box.copy())


def _digest(pixels: np.ndarray) -> bytes:
    return hashlib.blake2b(pixels.tobytes(), digest_size=16).digest()


#: Keeps the pixels of the labels this process drew.
_LABEL_PIXELS = _LabelPixels()


def _align(spot: tuple[float, float]) -> dict[str, str]:
    """The alignment that makes a label at offset ``spot`` grow away from its point."""
    dx, dy = spot
    return {
        "ha": "left" if dx > 0 else "right" if dx < 0 else "center",
        "va": "bottom" if dy > 0 else "top" if dy < 0 else "center",
    }


def _padded(extents: Sequence[float], pad: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = extents
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


class _TextSizes:
    """A size in pixels that a one-line label surely exceeds, known without laying it out.

    The width is the sum of the characters' advance widths times GUESS_SHRINK, the
    height LINE_HEIGHT times the font size: a few microseconds, where measuring the
    label with Agg takes about a millisecond.
    """

    #: Advance widths in ems by font (weight, style) and character, kept while the
    #: process runs: unhinted, they scale with the size and depend on nothing else.
    _ems: ClassVar[dict[tuple[str, str], dict[str, float]]] = {}

    def __init__(self, dpi: float) -> None:
        self.dpi = dpi

    def least(self, text: str, style: dict[str, Any]) -> tuple[float, float]:
        font = (style.get("weight", "normal"), style.get("style", "normal"))
        ems = self._ems.setdefault(font, {})
        missing = set(text) - ems.keys()
        if missing:
            ems.update(_ems(font, missing))
        width = max(sum(ems[char] for char in line) for line in text.split("\n"))
        pixels_per_em = style["fontsize"] * self.dpi / 72
        return GUESS_SHRINK * width * pixels_per_em, LINE_HEIGHT * pixels_per_em


def _ems(font: tuple[str, str], chars: set[str]) -> dict[str, float]:
    """Advance widths in ems, as FreeType gives them unhinted (16.16 fixed point)."""
    weight, style = font
    face = get_font(findfont(FontProperties(family=FONT, weight=weight, style=style)))
    face.set_size(72, 72)  # an em of 72 pixels
    return {char: face.load_char(ord(char)).linearHoriAdvance / 65536 / 72 for char in chars}


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
    go on largest count first, each where it fits, TROOP_LABELS at most: a crowded map
    keeps its circles and loses its smaller labels rather than printing them over each
    other.
    """
    located = figures[figures.geometry.notna()]
    if located.empty:
        return
    # As lists: selecting rows of the frame (latest figures, countless ones) took 5 ms.
    rows = list(zip(*columns(located, FIGURE_FIELDS), strict=True))
    counts = [row[3] for row in rows if row[3] is not None]
    key.largest = max(counts) if counts else 1
    latest = latest_positions(located, ("location", "actor"))
    newest = [dict(zip(FIGURE_FIELDS, rows[i], strict=True)) for i in latest]
    by_location: dict[str, dict[str, list[dict]]] = {}
    for row in newest:
        by_location.setdefault(row["location"], {}).setdefault(row["actor"], []).append(row)
    circles = _Dots()
    pending = [
        label
        for actors in by_location.values()
        for label in _location_circles(circles, labels, actors, key.largest)
    ]
    circles.draw(ax, zorder=4)
    backing = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85, "linewidth": 0}
    style = {"va": "center", "fontsize": 11, "weight": "bold", "bbox": backing, "zorder": 8}
    placed = 0
    for _, text, xy, spot, colour in sorted(pending, key=lambda label: -label[0]):
        if placed == TROOP_LABELS:
            break
        placed += labels.place(text, xy, [spot], color=colour, **style) is not None
    key.actors = list(dict.fromkeys(row["actor"] for row in newest))
    key.departed = any(
        _departed(rows) for actors in by_location.values() for rows in actors.values()
    )
    drawn = {(row["location"], row["actor"]) for row in newest}
    countless: dict[str | None, Any] = {}  # location → the point of its first such figure
    for location, actor, *_, point in rows:
        if (location, actor) not in drawn:
            countless.setdefault(location, point)
    key.countless = bool(countless)
    markers = _Dots()
    for point in countless.values():
        markers.add(point, _points(4), "white", NO_COUNT_COLOUR)
        labels.take(point.x, point.y, _points(4))
    markers.draw(ax, zorder=5)


#: What the troop layers read of a figure (`figure_label` included).
FIGURE_FIELDS = ["location", "actor", "actor_code", "count", "qualifier", "status", "geometry"]
#: A troop label waiting for its place: count, text, (lon, lat), offset in points, colour.
_TroopLabel = tuple[int, str, tuple[float, float], tuple[float, float], str]


def _location_circles(
    circles: _Dots, labels: _Labels, actors: dict[str, list[dict]], largest: int
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
        circles.add(point, radius, fill, colour, dashed=gone)
        spot = (widest + 3, -15 * line)
        pending.append((counts[actor], figure_label(rows), (point.x, point.y), spot, colour))
    labels.take(point.x, point.y, widest)
    return pending


def _departed(newest: list[dict]) -> bool:
    """Whether an actor's newest figures at a place all say its troops have left."""
    return all(f["status"] == "departed" for f in newest)


#: Scatter's "o" marker: a circle of diameter 1, scaled by each dot's size in points².
CIRCLE = MarkerStyle("o").get_path().transformed(MarkerStyle("o").get_transform())


@dataclass
class _Dots:
    """Circles of fixed size on the page, each with its own fill, edge and dashing.

    Drawn as one scatter: one collection to make and draw, where a scatter per circle
    cost a few milliseconds each. Circles are drawn in the order added.
    """

    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    radii: list[float] = field(default_factory=list)
    fills: list[tuple[float, float, float, float]] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)

    def add(
        self, point: Point, radius_pt: float, fill: Any, edge: str, *, dashed: bool = False
    ) -> None:
        """A circle of ``radius_pt`` points at a shapely point."""
        self.xs.append(point.x)
        self.ys.append(point.y)
        self.radii.append(radius_pt)
        self.fills.append(mpl.colors.to_rgba(fill))
        self.edges.append(edge)
        self.styles.append("--" if dashed else "-")

    def draw(self, ax: Any, zorder: float) -> None:
        """One collection of "o" markers, as `Axes.scatter` makes it without parsing its input."""
        if self.xs:
            dots = PathCollection(
                [CIRCLE],
                sizes=(2 * np.asarray(self.radii)) ** 2,
                offsets=np.column_stack([self.xs, self.ys]),
                offset_transform=ax.transData,
                facecolors=self.fills,
                edgecolors=self.edges,
                linewidths=_points(2),
                linestyles=self.styles,
                zorder=zorder,
            )
            dots.set_transform(IdentityTransform())
            ax.add_collection(dots, autolim=False)


def _draw_movements(ax: Any, labels: _Labels, movements: gpd.GeoDataFrame) -> bool:
    """A dashed line per actor and route with a solid arrowhead; whether there was one.

    Like the HTML map's, the arrow stops 12 px short of the destination (and here of the
    origin too), so the facility symbols there stay visible; a white casing keeps it
    legible over the shading and hatching.
    """
    shapes = np.asarray(movements.geometry.array)
    ends = zip(
        shapely.get_coordinates(shapely.get_point(shapes, 0)).tolist(),
        shapely.get_coordinates(shapely.get_point(shapes, -1)).tolist(),
        strict=True,
    )
    pairs = zip(movements["actor"], ends, strict=True)
    routes = dict.fromkeys((actor, tuple(origin), tuple(end)) for actor, (origin, end) in pairs)
    if not routes:
        return False
    # A route drawn again later for another actor hides the first exactly: left out.
    last = {route[1:]: i for i, route in enumerate(routes)}
    shown = [route for i, route in enumerate(routes) if last[route[1:]] == i]
    # All routes at once, in pixels: (route, origin or destination, x or y).
    ends_px = labels.to_pixels.transform(
        np.array([route[1:] for route in shown]).reshape(-1, 2)
    ).reshape(-1, 2, 2)
    start, end = ends_px[:, 0], ends_px[:, 1]
    length = np.sqrt(((end - start) ** 2).sum(axis=1))
    pixels = ax.figure.dpi / 72
    gap, head = _points(12) * pixels, ARROWHEAD * pixels
    drawn = length > 2 * gap + 2 * head
    if drawn.any():
        start, end = start[drawn], end[drawn]
        along = (end - start) / length[drawn, None]
        across = np.stack([-along[:, 1], along[:, 0]], axis=1) * head / 2.4
        tip = end - gap * along
        base = tip - head * along
        shaft = np.stack([start + gap * along, base + 0.2 * head * along], axis=1)
        corners = np.stack([tip, base + across, base - across], axis=1)
        labels.take_boxes(np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1))
        to_data = labels.to_pixels.inverted()
        lines = to_data.transform(shaft.reshape(-1, 2)).reshape(-1, 2, 2)
        heads = to_data.transform(corners.reshape(-1, 2)).reshape(-1, 3, 2)
        colours = [actor_colour(actor) for (actor, *_), on in zip(shown, drawn, strict=True) if on]
        casing = [withStroke(linewidth=_points(3) + 2.5, foreground="white")]
        # One collection each, dashed lines under all heads: shafts (cased in white) and
        # heads as separate artists cost a few milliseconds per route to draw.
        shafts = LineCollection(
            lines,
            colors=colours,
            linewidths=_points(3),
            linestyles=[(0, (4, 3))],
            path_effects=casing,
            zorder=6,
        )
        ax.add_collection(shafts, autolim=False)
        tips = PolyCollection(
            heads, facecolors=colours, edgecolors="white", joinstyle="miter", zorder=6
        )
        ax.add_collection(tips, autolim=False)
    return True


def _draw_places(ax: Any, labels: _Labels, places: gpd.GeoDataFrame) -> None:
    """Literal places: circles sized by mentions, facility symbols, regions as italic labels.

    The most mentioned cities and the facilities get a label where one fits (print has
    no tooltips); regions always do. Governments speaking are left out, as the HTML map
    hides them by default.
    """
    # As lists: selecting rows of a small frame four times took 4 ms of pandas.
    columns = (places[name].tolist() for name in ("name", "kind", "role", "mentions"))
    literal = [
        (name, kind, mentions, point)
        for name, kind, role, mentions, point in zip(
            *columns, places.geometry.to_numpy(), strict=True
        )
        if role == "literal"
    ]
    named = []
    dots = _Dots()
    fill = mpl.colors.to_rgba(PLACE_COLOUR, 0.5)
    for name, kind, mentions, point in literal:
        if kind in ("region", "facility"):
            continue
        radius = _points(marker_radius(mentions))
        dots.add(point, radius, fill, PLACE_COLOUR)
        labels.take(point.x, point.y, radius)
        if kind in ("city", "other"):
            named.append((name, point, radius))
    dots.draw(ax, zorder=3)
    named = named[:LABELLED_PLACES]
    facilities = [(name, point) for name, kind, _, point in literal if kind == "facility"]
    _facilities(ax, [point for _, point in facilities])
    for name, point in facilities:
        labels.take(point.x, point.y, FACILITY_SIZE / 2)
        named.append((name, point, FACILITY_SIZE / 2))
    for name, point in ((name, point) for name, kind, _, point in literal if kind == "region"):
        labels.place(
            name,
            (point.x, point.y),
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


def _facilities(ax: Any, points: list[Point]) -> None:
    """The HTML map's facility icon: a white aeroplane on a dark square (one scatter)."""
    if not points:
        return
    ax.scatter(
        [point.x for point in points],
        [point.y for point in points],
        s=FACILITY_SIZE**2,
        marker="s",
        color=FACILITY_COLOUR,
        edgecolors="white",
        linewidths=0.8,
        zorder=5,
    )
    for point in points:
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
    labels.take_box(*bar.get_window_extent(labels.renderer).extents)


def _multiples(low: float, high: float, step: int) -> list[int]:
    return list(range(math.ceil(low / step) * step, math.floor(high / step) * step + 1, step))


def _degrees(value: float, positive: str, negative: str) -> str:
    """Like "5°E", "10°S", "0°"."""
    whole = round(value)
    return f"{abs(whole)}°{(positive if whole > 0 else negative) if whole else ''}"


def _legend(
    figure: Figure, corner: tuple[float, float], classes: list[tuple[str, str]], key: _TroopKey
) -> list[Artist]:
    """The legend panel from its top left ``corner`` (figure fraction), like the HTML map's;
    ``classes`` are the presence classes' (label, colour).

    Placed on the figure itself: an axes only to hold it took longer to make than the
    legend. Under the headings, which are drawn after the layers (`_Layer`).
    """
    rows: list[OffsetBox] = [_heading_row("Countries (mentions)")]
    rows += [_row(_swatch(colour), label) for label, colour in shade_labels()]
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
        rows += [_row(_hatched(colour), f"{label} troops") for label, colour in classes]
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
    rows.append(
        _LegendText(textwrap.fill(note, 36), textprops={"fontsize": 9, "color": TEXT_COLOUR})
    )
    panel = VPacker(children=rows, sep=ROW_GAP, pad=0, align="left")
    legend = AnchoredOffsetbox(
        "upper left",
        child=panel,
        pad=0,
        borderpad=0,
        frameon=False,
        bbox_to_anchor=corner,
        bbox_transform=figure.transFigure,
        zorder=2,
    )
    return [figure.add_artist(legend)]


def _columns(rows: list[OffsetBox]) -> HPacker:
    """``rows`` in two columns, so that a long list of actors keeps the legend on the page."""
    half = math.ceil(len(rows) / 2)
    columns = [VPacker(children=rows[i : i + half], sep=ROW_GAP, pad=0) for i in (0, half)]
    return HPacker(children=columns, sep=12, pad=0, align="top")


class _LegendText(TextArea):
    """A legend text that measures itself once per kind of renderer and dpi.

    The packers ask every row for its size four or five times per draw, and matplotlib
    lays the text out anew each time: that took about a sixth of the legend's drawing time.
    """

    _measured: tuple[tuple[type, float], Bbox] | None = None

    def get_bbox(self, renderer: Any) -> Bbox:
        key = (type(renderer), renderer.points_to_pixels(1.0))
        if self._measured is None or self._measured[0] != key:
            self._measured = (key, super().get_bbox(renderer))
        return self._measured[1]


def _heading_row(text: str) -> TextArea:
    return _LegendText(text, textprops={"fontsize": 12, "weight": "bold"})


def _row(symbol: OffsetBox, text: str, **style: Any) -> HPacker:
    label = _LegendText(text, textprops={"fontsize": 11, **PLAIN, **style})
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
