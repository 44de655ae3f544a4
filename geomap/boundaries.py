"""Country polygons, and the join of mentioned places to them.

From here on the pipeline works on GeoDataFrames in EPSG:4326.

``places`` frame (one row per distinct place, literal or associative):
    place_id, name, kind, country (ISO alpha-2 or None), role (literal if any mention
    is, else associative), mentions (int), geonameid (int or None), source,
    resolution, confidence, quotes (the newest QUOTES of its distinct sentences, as
    (date, article id, sentence), newest first, in reading order among equal dates),
    quoted (how many distinct sentences there are in all), articles (tuple of (article
    id, date, mentions in it), oldest first), first_date (ISO date of the earliest dated
    mention, or None), geometry.

``countries`` frame (the countries the places touch, their neighbours, and the countries
hosting troop figures):
    iso_a2, iso_a3, name, mentions (literal mentions of places inside), touched (bool),
    geometry; `troop_presence` adds presence (int) and presence_actors (str).

``figures`` frame (one row per `TroopFigure`, ordered by date, article, sentence start):
    article, date (datetime.date or None), actor, actor_code (or null), count (Int64, <NA>
    when the text gives no number), qualifier, unit, location (place name or null), country
    (ISO alpha-2 of the location or null), status, sentence, geometry (Point or None).

``movements`` frame (one row per `Movement` whose origin is known, same order):
    article, date, actor, actor_code, from, to, sentence, geometry (LineString origin →
    destination).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import heapq
import io
import itertools
import marshal
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import is_
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geomap.datafiles import data_file
from geomap.exceptions import DataError
from geomap.figures import Movement, TroopFigure
from geomap.gazetteer import Place, cache_dir, write_cache
from geomap.tally import PlaceCount

CRS = "EPSG:4326"
#: How many sentences naming a place the places frame keeps (its popup quotes them).
QUOTES = 5
PLACE_COLUMNS = [
    "place_id",
    "name",
    "kind",
    "country",
    "role",
    "mentions",
    "geonameid",
    "source",
    "resolution",
    "confidence",
    "quotes",
    "quoted",
    "articles",
    "first_date",
]
FIGURE_COLUMNS = [
    "article",
    "date",
    "actor",
    "actor_code",
    "count",
    "qualifier",
    "unit",
    "location",
    "country",
    "status",
    "sentence",
]
MOVEMENT_COLUMNS = ["article", "date", "actor", "actor_code", "from", "to", "sentence"]
COUNTRY_COLUMNS = ["iso_a2", "iso_a3", "name"]
#: Statuses of troops that are in the country on the figure's date.
PRESENT_STATUSES = ("present", "departing")


def point_geometry(lat: float, lon: float) -> Point:
    """One (lat, lon) as shapely's (x=lon, y=lat); `_xy` does it for many places."""
    return Point(lon, lat)


def _xy(places: Sequence[Place | None]) -> np.ndarray:
    """Places as shapely's (x=lon, y=lat) rows of an (n, 2) array; NaN for None."""
    xy = np.array([(p.lon, p.lat) if p else (np.nan, np.nan) for p in places], dtype=float)
    return xy.reshape(-1, 2)


def geojson_geometry(geometry: BaseGeometry) -> dict:
    """A shapely geometry as a GeoJSON dict: points and lines, most features, directly;
    polygons through GEOS's GeoJSON writer, twice as fast as `shapely.geometry.mapping`'s
    Python loops over a country's rings (the same numbers)."""
    kind = geometry.geom_type
    if kind == "Point":
        return {"type": kind, "coordinates": (geometry.x, geometry.y)}
    if kind == "LineString":
        coordinates = shapely.get_coordinates(geometry).tolist()
        return {"type": kind, "coordinates": tuple(map(tuple, coordinates))}
    return orjson.loads(shapely.to_geojson(geometry))


def coordinates(geometries: Sequence[BaseGeometry]) -> list[tuple[tuple[float, float], ...]]:
    """Each geometry's (x, y) pairs, read from shapely at once (a point has one pair)."""
    array = np.asarray(geometries, dtype=object)
    xy = shapely.get_coordinates(array).tolist()
    bounds = [0, *np.cumsum(shapely.get_num_coordinates(array)).tolist()]
    pairs = list(map(tuple, xy))
    return [tuple(pairs[start:end]) for start, end in itertools.pairwise(bounds)]


def place_points(places: Sequence[Place | None]) -> np.ndarray:
    """`point_geometry` of many places at once (None stays None): one shapely call."""
    return _points(_xy(places))


def _points(xy: np.ndarray) -> np.ndarray:
    """Points of (x, y) rows, None where x is NaN."""
    points = shapely.points(xy)
    points[np.isnan(xy[:, 0])] = None
    return points


@functools.cache
def load_countries() -> gpd.GeoDataFrame:
    """Natural Earth 1:50m admin-0 polygons with ISO codes (see data/README.md).

    Read with pyogrio once, then kept in geomap's cache folder as columns and WKB under
    a hash of the file: 5 ms instead of 140 for every build command that needs them.
    """
    path = data_file("countries.geojson")
    data = path.read_bytes()
    key = hashlib.sha256(data + shapely.__version__.encode()).hexdigest()[:16]
    cached = cache_dir() / f"countries-{key}.marshal"
    try:
        *columns, shapes = marshal.loads(cached.read_bytes())
        return _countries_frame(dict(zip(COUNTRY_COLUMNS, columns, strict=True)), shapes)
    except (OSError, EOFError, ValueError, TypeError, shapely.errors.GEOSException):
        pass
    try:
        frame = gpd.read_file(io.BytesIO(data))
    except Exception as err:  # pyogrio raises its own DataSourceError family
        raise DataError(
            f"cannot read {path}: {err}; rebuild it with scripts/build_countries.py"
        ) from err
    columns = [frame[name].tolist() for name in COUNTRY_COLUMNS]
    shapes = shapely.to_wkb(frame.geometry.to_numpy()).tolist()
    write_cache(cached, (*columns, shapes), "countries")
    return _countries_frame(dict(zip(COUNTRY_COLUMNS, columns, strict=True)), shapes)


def _countries_frame(columns: dict[str, list], shapes: list[bytes]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=shapely.from_wkb(shapes), crs=CRS)


def places_frame(counts: Iterable[PlaceCount]) -> gpd.GeoDataFrame:
    """Fold the articles' place counts (`geomap.tally`) into the ``places`` frame.

    A place's row is made from its counts in order; the rows of the last call whose
    place has the very same counts in the same order (the store keeps unchanged
    articles' counts as they are) are taken as they are: an added article remakes the
    rows of the places it names (with ~1,000 counts each), not all of them.
    """
    global _kept_rows
    by_place: dict[str, list[PlaceCount]] = {}
    for count in counts:  # one pass: a large corpus has tens of thousands
        group = by_place.get(count.place.id)
        if group is None:
            by_place[count.place.id] = [count]
        else:
            group.append(count)
    days: dict[dt.date | None, str] = {}  # each date formatted once
    made: dict[str, tuple[list[PlaceCount], dict, Place]] = {}
    for place_id, group in by_place.items():
        kept = _kept_rows.get(place_id)
        if kept is not None and len(kept[0]) == len(group) and all(map(is_, kept[0], group)):
            made[place_id] = kept
            continue
        tally = _PlaceTally(group[0])
        for count in group:
            day = days.get(count.date)
            if day is None:
                day = days[count.date] = _iso_date(count.date)
            tally.add(count, day)
        made[place_id] = (group, tally.row(), tally.best.place)
    _kept_rows = made
    points = place_points([place for _, _, place in made.values()])
    frame = _frame([row for _, row, _ in made.values()], PLACE_COLUMNS, points)
    frame["geonameid"] = frame["geonameid"].astype("Int64")
    frame["mentions"] = frame["mentions"].astype(int)
    return frame.sort_values(["mentions", "name"], ascending=[False, True], ignore_index=True)


#: Place id → (its counts, its row, its best place) as the last `places_frame` made them.
_kept_rows: dict[str, tuple[list[PlaceCount], dict, Place]] = {}


class _PlaceTally:
    """What the counts of one place add up to, gathered in one pass."""

    __slots__ = ("best", "literal", "per_article", "said")

    def __init__(self, first: PlaceCount) -> None:
        self.best = first  # the most confident count, the first among equals
        self.literal = False
        self.said: list[tuple[str, str, tuple[str, ...]]] = []  # (ISO date, article, sentences)
        self.per_article: dict[tuple[str, str], int] = {}  # (ISO date, article) → mentions

    def add(self, count: PlaceCount, day: str) -> None:
        """Add ``count``, whose date is ``day`` in ISO form."""
        if count.confidence > self.best.confidence:
            self.best = count
        if count.literal:
            self.literal = True
        article = count.article_id
        self.said.append((day, article, count.quotes))
        per_article = self.per_article
        per_article[day, article] = per_article.get((day, article), 0) + count.mentions

    def row(self) -> dict:
        place = self.best.place
        ordered = sorted(self.per_article.items())
        articles = tuple((article, day, n) for (day, article), n in ordered)
        quotes, quoted = self._newest_quotes()
        return {
            "place_id": place.id,
            "name": place.name,
            "kind": place.kind,
            "country": place.country,
            "role": "literal" if self.literal else "associative",
            "mentions": sum(self.per_article.values()),
            "geonameid": place.geonameid,
            "source": place.source,
            "resolution": self.best.resolution,
            "confidence": self.best.confidence,
            "quotes": quotes,
            "quoted": quoted,
            "articles": articles,
            "first_date": next((day for _, day, _ in articles if day), None),
        }

    def _newest_quotes(self) -> tuple[tuple[tuple[str, str, str], ...], int]:
        """The newest QUOTES distinct sentences, and how many there are.

        Only these reach the popup, so only these are made into tuples: a corpus of a
        thousand articles has tens of thousands of sentences naming places.
        """
        # The QUOTES newest reports hold enough sentences unless some repeat: then all,
        # newest first (nlargest gives what sorting all would, first).
        newest = _first_quotes(heapq.nlargest(QUOTES, self.said, key=_day))
        if len(newest) < QUOTES:
            newest = _first_quotes(sorted(self.said, key=_day, reverse=True))
        if len(self.per_article) == len(self.said):  # one count per article: all distinct
            quoted = sum(len(sentences) for _, _, sentences in self.said)
        else:  # two articles with the same id and date
            quoted = len({(d, a, s) for d, a, sentences in self.said for s in sentences})
        return tuple(newest)[:QUOTES], quoted


def _day(said: tuple[str, str, tuple[str, ...]]) -> str:
    return said[0]


def _first_quotes(
    reports: Iterable[tuple[str, str, tuple[str, ...]]],
) -> dict[tuple[str, str, str], None]:
    """The distinct (day, article, sentence) of ``reports`` in order, until there are QUOTES."""
    quotes: dict[tuple[str, str, str], None] = {}
    for day, article, sentences in reports:
        quotes.update(((day, article, sentence), None) for sentence in sentences)
        if len(quotes) >= QUOTES:
            break
    return quotes


def _iso_date(day: dt.date | None) -> str:
    """ISO text of a date, '' for none."""
    return day.isoformat() if day else ""


def join_countries(places: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill each place's ``country`` from the polygon it lies in when the gazetteer had none.

    Regions keep None: their point is only a label position, not a location. A point in
    two polygons takes the first in ``countries``' order, as `geopandas.sjoin` would; the
    countries' spatial index is built once per process (`load_countries` is kept), where
    `sjoin` indexed the places anew each build.
    """
    fill = (places["country"].isna() & (places["kind"] != "region")).to_numpy()
    out = places.copy()
    if fill.any():
        points = places.geometry.to_numpy()[fill]
        inside, polygon = countries.sindex.query(points, predicate="within")
        first = pd.Series(polygon).groupby(inside).min()  # the first polygon of each point
        codes = np.full(len(points), None, dtype=object)
        codes[first.index] = countries["iso_a2"].to_numpy()[first.to_numpy()]
        out.loc[fill, "country"] = codes
    out["country"] = out["country"].astype(object).where(out["country"].notna(), None)
    return out


def country_mentions(
    places: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    neighbours: Mapping[str, Iterable[str]],
    hosts: Iterable[str] = (),
) -> gpd.GeoDataFrame:
    """The ``countries`` frame: countries with literal places (shaded), plus neighbours.

    ``hosts`` (countries where troop figures are located) are drawn too, so their troop
    presence has a polygon even when no literal place mention touched them.
    """
    counts: dict[str, int] = {}  # in Python: pandas took 8 ms for a few dozen places
    for role, code, mentions in zip(
        places["role"].tolist(), places["country"].tolist(), places["mentions"].tolist(),
        strict=True,
    ):  # fmt: skip
        if role == "literal" and isinstance(code, str):
            counts[code] = counts.get(code, 0) + mentions
    shown = set(counts) | {n for code in counts for n in neighbours.get(code, ())} | set(hosts)
    codes = countries["iso_a2"].tolist()
    rows = sorted((row for row, code in enumerate(codes) if code in shown), key=codes.__getitem__)
    frame = countries.iloc[rows].reset_index(drop=True)
    frame["mentions"] = np.array([counts.get(codes[row], 0) for row in rows], dtype=int)
    frame["touched"] = np.array([codes[row] in counts for row in rows], dtype=bool)
    return frame


def figures_frame(figures: Iterable[TroopFigure]) -> gpd.GeoDataFrame:
    """The ``figures`` frame, in the deterministic order figures.csv is written in."""
    _, xy, *values = _sorted_columns(_figure_rows.rows(figures), 2 + len(FIGURE_COLUMNS))
    points = _points(np.array(xy, dtype=float).reshape(-1, 2))
    frame = _frame(dict(zip(FIGURE_COLUMNS, values, strict=True)), FIGURE_COLUMNS, points)
    frame["count"] = frame["count"].astype("Int64")
    return frame


def movements_frame(movements: Iterable[Movement]) -> gpd.GeoDataFrame:
    """The ``movements`` frame; a movement without a known origin has no line and is left out."""
    rows = _movement_rows.rows(m for m in movements if m.origin is not None)
    _, ends, *values = _sorted_columns(rows, 2 + len(MOVEMENT_COLUMNS))
    lines = shapely.linestrings(np.array(ends, dtype=float).reshape(-1, 2, 2))
    return _frame(dict(zip(MOVEMENT_COLUMNS, values, strict=True)), MOVEMENT_COLUMNS, lines)


class _KeptRows:
    """The rows ``make`` gives for some objects (figures, movements), kept for the ones
    the next call is given again: the store keeps an unchanged article's objects as they
    are, so a rebuild makes the rows of the new article's only (10 of 20 ms for 2,400
    figures went to making each row anew)."""

    def __init__(self, make: Callable[[Any], tuple]) -> None:
        self._make = make
        self._kept: dict[int, tuple[Any, tuple]] = {}

    def rows(self, items: Iterable[Any]) -> list[tuple]:
        kept, made, rows = self._kept, {}, []
        for item in items:
            # An entry holds its object alive, so no other object has that id meanwhile.
            entry = kept.get(id(item))
            if entry is None:
                entry = (item, self._make(item))
            made[id(item)] = entry
            rows.append(entry[1])
        self._kept = made
        return rows


def _sorted_columns(rows: list[tuple], width: int) -> list[list]:
    """The columns of ``rows`` sorted by their first value (stable), ``width`` of them."""
    rows.sort(key=_first)
    return [list(column) for column in zip(*rows, strict=True)] or [[] for _ in range(width)]


def _first(row: tuple) -> Any:
    return row[0]


def _figure_row(f: TroopFigure) -> tuple:
    """A figure's sort key, its location's (lon, lat), and its `FIGURE_COLUMNS`."""
    place = f.location
    return (
        (date_key(f.date), f.article_id, f.start),
        (place.lon, place.lat) if place else (np.nan, np.nan),
        f.article_id, f.date, f.actor, f.actor_code, f.count, f.qualifier, f.unit,
        place.name if place else None, place.country if place else None, f.status, f.sentence,
    )  # fmt: skip


def _movement_row(m: Movement) -> tuple:
    """A movement's sort key, its line's ends as (lon, lat) pairs, and its `MOVEMENT_COLUMNS`."""
    origin, destination = m.origin, m.destination
    assert origin is not None  # movements without one have no row
    return (
        (date_key(m.date), m.article_id, m.start),
        ((origin.lon, origin.lat), (destination.lon, destination.lat)),
        m.article_id, m.date, m.actor, m.actor_code, origin.name, destination.name, m.sentence,
    )  # fmt: skip


_figure_rows = _KeptRows(_figure_row)
_movement_rows = _KeptRows(_movement_row)


def latest_figures(
    frame: gpd.GeoDataFrame, by: Sequence[str] = ("country", "actor")
) -> gpd.GeoDataFrame:
    """Per group (default: country and actor) the newest figures that give a count.

    Figures of the same newest date that disagree are all kept: which one is right is
    the reader's call, not ours. Rows with a null key (no country) form no group; an
    undated figure counts as older than any dated one.
    """
    return frame.iloc[latest_positions(frame, by)]


def latest_positions(frame: gpd.GeoDataFrame, by: Sequence[str]) -> list[int]:
    """The positions of `latest_figures`' rows, in order.

    In Python over the columns' lists: pandas' filters, groupby and indexing took 10 ms
    of the join for 2,400 figures, where they had a few dozen groups to find.
    """
    usable = frame["count"].notna()
    for key in by:
        usable &= frame[key].notna()
    rows = np.flatnonzero(usable.to_numpy()).tolist()
    dates = frame["date"].tolist()
    days = [date_key(dates[row]) for row in rows]
    groups = list(zip(*(frame[key].tolist() for key in by), strict=True))
    newest: dict[tuple, dt.date] = {}
    for row, day in zip(rows, days, strict=True):
        if newest.get(groups[row], dt.date.min) <= day:
            newest[groups[row]] = day
    return [row for row, day in zip(rows, days, strict=True) if newest[groups[row]] == day]


def troop_presence(figures: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``presence`` and ``presence_actors`` to the ``countries`` frame.

    Presence is the sum over foreign actors (an actor without a country code, like the
    UN, is foreign everywhere) of their latest figures that are present or departing.
    When an actor's latest figures disagree, the largest counts and the text shows the
    range, so conflicting reports are never added up.
    """
    country, actor, code, status, count = (
        figures[name].tolist() for name in ("country", "actor", "actor_code", "status", "count")
    )
    ranges: dict[tuple[str, str], list[int]] = {}  # (country, actor) → [low, high]
    for row in latest_positions(figures, ("country", "actor")):
        if status[row] in PRESENT_STATUSES and (pd.isna(code[row]) or code[row] != country[row]):
            span = ranges.setdefault((country[row], actor[row]), [count[row], count[row]])
            span[0], span[1] = min(span[0], count[row]), max(span[1], count[row])
    totals: dict[str, int] = {}
    actors: dict[str, list[str]] = {}
    for (where, who), (low, high) in ranges.items():
        totals[where] = totals.get(where, 0) + high
        span = f"{high:,}" if low == high else f"{low:,}–{high:,}"
        actors.setdefault(where, []).append(f"{who} {span}")
    out = countries.copy()
    out["presence"] = out["iso_a2"].map(totals).fillna(0).astype(int)
    out["presence_actors"] = out["iso_a2"].map(lambda code: "; ".join(actors.get(code, ())))
    return out


def date_key(date: object) -> dt.date:
    """Sort key of a possibly missing date (None or NA): undated sorts as the oldest."""
    return date if isinstance(date, dt.date) else dt.date.min


def _frame(
    data: list[dict] | dict[str, list], columns: list[str], geometry: np.ndarray
) -> gpd.GeoDataFrame:
    """A frame of ``data``: rows, or columns (a third of the time for thousands of rows).
    Without rows, each column holds objects, as pandas makes them of no rows."""
    table = pd.DataFrame(data if len(geometry) else [], columns=columns)
    return gpd.GeoDataFrame(table, geometry=geometry, crs=CRS)
