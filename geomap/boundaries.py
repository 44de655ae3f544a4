"""Country polygons, and the join of mentioned places to them.

From here on the pipeline works on GeoDataFrames in EPSG:4326.

``places`` frame (one row per distinct place, literal or associative):
    place_id, name, kind, country (ISO alpha-2 or None), role (literal if any mention
    is, else associative), mentions (int), geonameid (int or None), source,
    resolution, confidence, quotes (tuple of (date, article id, sentence)), geometry.

``countries`` frame (the countries the places touch, and their neighbours):
    iso_a2, iso_a3, name, mentions (literal mentions of places inside), touched (bool),
    geometry.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geomap.datafiles import data_file
from geomap.exceptions import DataError
from geomap.geoparse import Mention

CRS = "EPSG:4326"
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
]


def point_geometry(lat: float, lon: float) -> Point:
    """The one place where (lat, lon) becomes shapely's (x=lon, y=lat)."""
    return Point(lon, lat)


@functools.cache
def load_countries() -> gpd.GeoDataFrame:
    """Natural Earth 1:50m admin-0 polygons with ISO codes (see data/README.md)."""
    path = data_file("countries.geojson")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio raises its own DataSourceError family
        raise DataError(
            f"cannot read {path}: {err}; rebuild it with scripts/build_countries.py"
        ) from err
    return frame.set_crs(CRS, allow_override=True)[["iso_a2", "iso_a3", "name", "geometry"]]


def places_frame(mentions: Iterable[Mention]) -> gpd.GeoDataFrame:
    """Group mentions by place into the ``places`` frame; adjectival-only places are left out."""
    groups: dict[str, list[Mention]] = {}
    for mention in mentions:
        if mention.role in ("literal", "associative"):
            groups.setdefault(mention.place.id, []).append(mention)
    rows = []
    for place_id, group in groups.items():
        place = group[0].place
        best = max(group, key=lambda m: m.confidence)
        quotes = tuple(
            dict.fromkeys(
                (m.date.isoformat() if m.date else "", m.article_id, m.sentence) for m in group
            )
        )
        rows.append(
            {
                "place_id": place_id,
                "name": place.name,
                "kind": place.kind,
                "country": place.country,
                "role": _place_role(group),
                "mentions": len(group),
                "geonameid": place.geonameid,
                "source": place.source,
                "resolution": best.resolution,
                "confidence": best.confidence,
                "quotes": quotes,
                "geometry": point_geometry(place.lat, place.lon),
            }
        )
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*PLACE_COLUMNS, "geometry"]), geometry="geometry", crs=CRS
    )
    frame["geonameid"] = frame["geonameid"].astype("Int64")
    frame["mentions"] = frame["mentions"].astype(int)
    return frame.sort_values(["mentions", "name"], ascending=[False, True], ignore_index=True)


def _place_role(group: list[Mention]) -> str:
    return "literal" if any(m.role == "literal" for m in group) else "associative"


def join_countries(places: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill each place's ``country`` from the polygon it lies in when the gazetteer had none.

    Regions keep None: their point is only a label position, not a location.
    """
    joined = gpd.sjoin(places, countries[["iso_a2", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    fill = places["country"].isna() & (places["kind"] != "region")
    out = places.copy()
    out.loc[fill, "country"] = joined.loc[fill, "iso_a2"]
    out["country"] = out["country"].astype(object).where(out["country"].notna(), None)
    return out


def country_mentions(
    places: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, neighbours: Mapping[str, Iterable[str]]
) -> gpd.GeoDataFrame:
    """The ``countries`` frame: countries with literal places (shaded), plus neighbours."""
    literal = places[(places["role"] == "literal") & places["country"].notna()]
    counts = literal.groupby("country")["mentions"].sum()
    touched = set(counts.index)
    shown = touched | {n for code in touched for n in neighbours.get(code, ())}
    frame = countries[countries["iso_a2"].isin(shown)].copy()
    frame["mentions"] = frame["iso_a2"].map(counts).fillna(0).astype(int)
    frame["touched"] = frame["iso_a2"].isin(touched)
    return frame.sort_values("iso_a2", ignore_index=True)
