"""Writing a build's outputs: map.html and places.geojson (and the table printed by the CLI).

The only module besides the CLI that writes files.
"""

from __future__ import annotations

import json
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

#: The documented properties of places.geojson, in order.
PLACE_PROPERTIES = ["name", "kind", "country", "role", "mentions", "geonameid", "source"]


def write_map(fmap: folium.Map, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmap.save(str(path))
    return path


def places_geojson(places: gpd.GeoDataFrame) -> dict:
    """places.geojson as a dict: one Point feature per place, the documented properties only."""
    features = []
    for row in places.itertuples():
        properties = {}
        for name in PLACE_PROPERTIES:
            value = getattr(row, name)
            properties[name] = None if pd.isna(value) else _plain(value)
        features.append(
            {
                "type": "Feature",
                "id": row.place_id,
                "geometry": {"type": "Point", "coordinates": [row.geometry.x, row.geometry.y]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _plain(value):
    """numpy and pandas scalars → the Python types json knows."""
    return value.item() if hasattr(value, "item") else value


def write_places(places: gpd.GeoDataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(places_geojson(places), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def places_table(places: gpd.GeoDataFrame) -> str:
    """The places as a fixed-width text table (what ``geomap places`` prints)."""
    if places.empty:
        return "no places found"
    table = places[PLACE_PROPERTIES].astype(object).copy()
    table["lat"] = places.geometry.y.round(4)
    table["lon"] = places.geometry.x.round(4)
    return table.where(table.notna(), "").to_string(index=False)
