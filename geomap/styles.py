"""What the HTML map and the print map share: colours, class breaks, symbol sizes, the
view's frame, and a frame's rows as records.

No folium here: drawing the static image imports only this, so the process that draws
it (`geomap.worker`, or the build's own with one job) need not import folium.
"""

from __future__ import annotations

import itertools
import math
import statistics
import zlib
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

#: Class breaks and colours for countries shaded by mentions (0 = neighbour only).
SHADES = ((1, "#fee8c8"), (3, "#fdbb84"), (10, "#fc8d59"), (30, "#e34a33"), (math.inf, "#b30000"))
NEIGHBOUR = "#f0f0f0"
PLACE_COLOUR = "#2b5d9b"
ASSOCIATIVE_COLOUR = "#7a7a7a"
#: Sequential colours of the foreign troop presence choropleth, light to dark.
PRESENCE_COLOURS = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
#: Actor colours, fixed per actor by a checksum of its name; no purple, which is presence's.
ACTOR_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#8c6d00", "#8c564b", "#e377c2", "#17becf",
)  # fmt: skip
NO_COUNT_COLOUR = "#555555"
MAX_FIGURE_RADIUS = 30.0
#: Largest place circle: reached at 100 mentions.
MAX_PLACE_RADIUS = 35.0
MIN_FIGURE_RADIUS = 4.0
DEFAULT_SOURCE = "geomap · boundaries: Natural Earth · places: GeoNames"
#: How many of the most mentioned places keep a permanent label (readable without tiles).
LABELLED_PLACES = 8


def records(frame: gpd.GeoDataFrame | None) -> list[dict]:
    """A frame's rows as dicts, missing values as None (pandas' NA and NaN are truthy)."""
    if frame is None:
        return []
    names = list(frame.columns)  # a pandas Index iterates slowly, and would once a row
    return [dict(zip(names, row, strict=True)) for row in zip(*columns(frame), strict=True)]


def columns(frame: pd.DataFrame, names: Sequence[str] | None = None) -> list[list]:
    """A frame's columns (or those ``names``) as lists, missing values as None."""
    return [_with_none(frame[name]) for name in (frame.columns if names is None else names)]


def _with_none(column: pd.Series) -> list:
    """A column's values as a list, missing ones as None (one vectorised test, not one a value).

    Through an object array: geopandas' ``tolist`` takes each geometry by itself (3 ms
    for 2,400 points, against 0.02).
    """
    values = column.to_numpy(dtype=object).tolist()
    for i in np.flatnonzero(column.isna().to_numpy()):
        values[i] = None
    return values


def shade(mentions: int) -> str:
    """The fill colour of a country with ``mentions`` literal mentions."""
    return next(colour for limit, colour in SHADES if mentions <= limit)


def presence_classes(values: Iterable[int], most: int = 5) -> list[tuple[int, str, str]]:
    """(upper limit, legend label, colour) of each class of the presence choropleth.

    Articles name troops in a handful of countries, so up to ``most`` distinct values
    get a class each; beyond that, quantiles rounded to nice numbers keep the legend
    readable ("1,001–2,500" rather than "1,037–2,481"). The first and last classes are
    open ("up to 1,000", "over 10,000"): the labels then change with the class breaks
    only, not with each new smallest or largest presence, and the static image's
    legend is drawn again only when they do.
    """
    values = [int(v) for v in values]
    distinct = sorted(set(values))
    if len(distinct) <= most:
        limits, labels = distinct, [f"{v:,}" for v in distinct]
    else:
        cuts = statistics.quantiles(values, n=most, method="inclusive")
        inner = sorted({nice_number(c) for c in cuts} - {0})
        limits = [c for c in inner if distinct[0] <= c < distinct[-1]] + [distinct[-1]]
        labels = _open_ended(limits) if len(limits) > 1 else [f"{distinct[0]:,}–{limits[0]:,}"]
    colours = _ramp(len(limits))
    return list(zip(limits, labels, colours, strict=True))


def _open_ended(limits: list[int]) -> list[str]:
    """Labels of classes up to each of ``limits``: "up to A", "A+1–B", …, "over Y"."""
    middle = [f"{low + 1:,}–{high:,}" for low, high in itertools.pairwise(limits[:-1])]
    return [f"up to {limits[0]:,}", *middle, f"over {limits[-2]:,}"]


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


def actor_colour(actor: str) -> str:
    """The actor's colour: the same on every map, whatever other actors it shows."""
    return ACTOR_COLOURS[zlib.crc32(actor.encode("utf-8")) % len(ACTOR_COLOURS)]


def figure_radius(count: int, largest: int) -> float:
    """Circle radius in pixels, so that areas compare like counts (the largest is 30 px)."""
    return round(max(MIN_FIGURE_RADIUS, MAX_FIGURE_RADIUS * math.sqrt(count / largest)), 1)


def marker_radius(mentions: int) -> float:
    """Circle radius in pixels; area grows with the mention count, up to MAX_PLACE_RADIUS
    (on a large corpus the most named country would otherwise cover its neighbours)."""
    return round(min(MAX_PLACE_RADIUS, 5 + 3 * math.sqrt(mentions)), 1)


def frame_bounds(places: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around the literal places (all places when none is),
    padded to show their neighbourhood; None without places. The HTML and print maps
    both frame their view with it."""
    framed = places[places["role"] == "literal"]
    if framed.empty:
        framed = places
    if framed.empty:
        return None
    minx, miny, maxx, maxy = framed.total_bounds
    pad = max(3.0, 0.25 * max(maxx - minx, maxy - miny))  # degrees
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def shade_labels() -> list[tuple[str, str]]:
    labels, low = [], 1
    for limit, colour in SHADES:
        if math.isinf(limit):
            labels.append((f"{low}+ mentions", colour))
        else:
            span = f"{low}–{limit} mentions" if limit > low else f"{low} mention" + "s" * (low != 1)
            labels.append((span, colour))
            low = limit + 1
    return labels
