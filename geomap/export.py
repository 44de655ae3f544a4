"""Writing a build's outputs: map.html, embed.html, places.geojson, figures.csv,
movements.geojson and the static image, each file whole (`geomap.files`), in the
processes `geomap.worker` keeps when there are cores to spare.

Also the tables the CLI prints.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import html
import io
import json
import sys
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from geomap.boundaries import FIGURE_COLUMNS, coordinates
from geomap.exceptions import OutputError
from geomap.feature_cache import CACHE_NAME, FeatureCache
from geomap.files import write_whole
from geomap.geoparse import Mention
from geomap.pipeline import MapBuild, Tables
from geomap.styles import DEFAULT_SOURCE, columns
from geomap.worker import Worker, after_answer, submit_all, worker

if TYPE_CHECKING:
    import folium

#: The documented properties of places.geojson, in order.
PLACE_PROPERTIES = ["name", "kind", "country", "role", "mentions", "geonameid", "source"]
#: The documented properties of movements.geojson, in order.
MOVEMENT_PROPERTIES = ["actor", "from", "to", "date", "sentence"]
#: Sentences are cut to this many characters in the printed figures table.
TABLE_SENTENCE = 60
IMAGE_FORMATS = ("png", "svg", "")
EMBED = """<!-- geomap map: paste into a report or CMS; keep map.html next to the page. -->
<div style="position: relative; width: 100%; padding-top: 62.5%;">
  <iframe src="map.html" title="{title}" loading="lazy" allowfullscreen
    style="position: absolute; inset: 0; width: 100%; height: 100%; border: 0;"></iframe>
</div>
"""


@dataclass(frozen=True)
class Report:
    """How the outputs present themselves: headings, credit line, self-containment, image."""

    title: str = "geomap"
    subtitle: str = ""
    source: str = DEFAULT_SOURCE
    #: Inline Leaflet and plugins so map.html renders with no network.
    inline: bool = False
    #: "png", "svg", or "" for no static image.
    image_format: str = "png"

    def image_path(self, out: Path) -> Path | None:
        """Where the static image goes in ``out``; None when there is none."""
        return out / f"map.{self.image_format}" if self.image_format else None

    def __post_init__(self) -> None:
        if self.image_format not in IMAGE_FORMATS:
            raise OutputError(
                f"image format {self.image_format!r} is not supported; use one of "
                f"{', '.join(f or 'none' for f in IMAGE_FORMATS)}"
            )


def write_outputs(
    result: MapBuild, out: Path, report: Report | None = None, *, jobs: int = 1
) -> list[Path]:
    """Write every output of ``result`` into ``out``; the same inputs give the same bytes.

    With ``jobs`` > 1, as `join_and_write` does.
    """
    return join_and_write(lambda: result, out, report, jobs=jobs)[1]


def join_and_write(
    join: Callable[[], MapBuild], out: Path, report: Report | None = None, *, jobs: int = 1
) -> tuple[MapBuild, list[Path]]:
    """The build ``join`` makes, and every output of it written into ``out``.

    With ``jobs`` > 1 and an image to draw, two `geomap.worker` processes write the
    outputs from the build's `Tables`, side by side: one the data files, map.html and
    embed.html, the other the static image (about as long as the three).
    The CLI forks them when a build starts (`start_writers`), so that they import folium
    and matplotlib while this process reads and joins the articles; a long-lived program
    keeps them for its next builds, and they keep what the next build would redo.
    """
    report = report or Report()
    image = report.image_path(out)
    try:
        if _beside(jobs, bool(image)):
            writers = _writers()
            result = join()
            waits = submit_all(writers, (result.tables(), out.resolve(), report))
            return result, [out / name for name in _gathered(waits)]
        result = join()
        tables = result.tables()
        data = write_data(tables, out)  # first: quick, and there even if the map fails
        pages = write_pages(tables, out, report)
        drawn = [write_image(tables, image, report)] if image else []
        return result, [*pages, *data, *drawn]
    except OSError as err:
        raise OutputError(f"could not write into {out}: {err}") from err


def start_writers(jobs: int, image: bool) -> None:
    """Fork now the processes that `join_and_write` will have write the outputs, if it
    will: a build calls this before reading its articles, so that new ones import folium
    and matplotlib meanwhile and are forked while this process is small (copy-on-write:
    every page two processes share costs a fault when one of them first writes to it)."""
    if _beside(jobs, image):
        _writers()


def _beside(jobs: int, image: bool) -> bool:
    """Whether the outputs are written in two processes beside this one, by `_writers`."""
    return image and jobs > 1 and sys.platform == "linux"  # fork is safe on Linux only


def _writers() -> list[Worker]:
    """The process writing the data files and the pages, and the one drawing the image."""
    return [worker(_write_pages_and_data, _import_render), worker(_write_image, _import_static_map)]


def _gathered(waits: list[Callable[[], list[str]]]) -> list[str]:
    """The names each of ``waits`` returns, in order, once all have returned (each worker
    must have answered before its next job); then the first error, if any."""
    names: list[str] = []
    errors: list[OutputError] = []
    for wait in waits:
        try:
            names.extend(wait())
        except OutputError as err:
            errors.append(err)
    if errors:
        raise errors[0]
    return names


def _write_pages_and_data(job: tuple[Tables, Path, Report]) -> list[str]:
    """The names of map.html, embed.html and the data files, the data files written
    first: they are there even when the map cannot be drawn."""
    tables, out, report = job
    data = write_data(tables, out)
    return [path.name for path in [*write_pages(tables, out, report), *data]]


def _write_image(job: tuple[Tables, Path, Report]) -> list[str]:
    """The name of the static image, drawn."""
    tables, out, report = job
    image = report.image_path(out)
    assert image is not None  # only sent when there is an image (`_beside`)
    return [write_image(tables, image, report).name]


def _import_render() -> None:
    import geomap.render  # noqa: F401 - folium, before the first build arrives


def _import_static_map() -> None:
    import geomap.static_map  # noqa: F401 - matplotlib, likewise


def write_pages(tables: Tables, out: Path, report: Report) -> list[Path]:
    """map.html, and embed.html to put it in a report.

    The features of the troop layers that the last build into ``out`` rendered from the
    same inputs are taken from its `FeatureCache`.
    """
    from geomap.render import render_map, stable_ids  # folium: not needed for the image

    cache = FeatureCache(out / CACHE_NAME)
    with stable_ids():
        fmap = render_map(
            tables.places,
            tables.countries,
            tables.country_names,
            figures=tables.figures,
            movements=tables.movements,
            titles=tables.titles,
            title=report.title,
            subtitle=report.subtitle,
            source=report.source,
            cache=cache,
        )
        page = write_map(fmap, out / "map.html", inline=report.inline)
    after_answer(cache.save)
    return [page, write_embed(out / "embed.html", report.title)]


def write_data(tables: Tables, out: Path) -> list[Path]:
    """places.geojson, figures.csv and movements.geojson."""
    return [
        write_places(tables.places, out / "places.geojson"),
        write_figures(tables.figures, out / "figures.csv"),
        write_movements(tables.movements, out / "movements.geojson"),
    ]


def write_map(fmap: folium.Map, path: Path, *, inline: bool = False) -> Path:
    """Save the map; ``inline`` swaps its CDN scripts and stylesheets for their content."""
    from geomap.timeline import spliced_json, verbatim_macros

    with verbatim_macros(), spliced_json() as spliced:
        html = fmap.get_root().render()
    if inline:
        from geomap.assets import inline_assets

        html = inline_assets(html)
    return write_whole(path, spliced.page(html))


def write_embed(path: Path, title: str) -> Path:
    """A responsive iframe of map.html (16:10) to paste into a report or a CMS."""
    return write_whole(path, EMBED.format(title=html.escape(title, quote=True)))


def write_image(tables: Tables, path: Path, report: Report) -> Path:
    """The static map for print (PNG or SVG), drawn with geopandas and matplotlib."""
    from geomap.static_map import draw_map, save_figure

    figure = draw_map(tables, title=report.title, subtitle=report.subtitle, source=report.source)
    return save_figure(figure, path, report.image_format, cache=path.parent)


def write_places(places: gpd.GeoDataFrame, path: Path) -> Path:
    """places.geojson: one Point feature per place, the documented properties only."""
    return _write_geojson(places, PLACE_PROPERTIES, path, ids=places["place_id"])


def write_movements(movements: gpd.GeoDataFrame, path: Path) -> Path:
    """movements.geojson: one LineString (origin → destination) per movement."""
    return _write_geojson(movements, MOVEMENT_PROPERTIES, path)


def write_figures(figures: gpd.GeoDataFrame, path: Path) -> Path:
    """figures.csv: the documented columns, in the frame's order (date, article, sentence).

    Written by the csv module as pandas' ``to_csv`` writes it (empty for missing values,
    dates in ISO form, fields quoted where they must be), a line for each row.
    """
    rows = zip(*columns(figures, FIGURE_COLUMNS), strict=True)
    lines = _KEPT_LINES.lines(path.name, rows, _csv_line)
    return write_whole(path, _csv_line(FIGURE_COLUMNS) + "".join(lines))


def _csv_line(values: Iterable[Any]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(values)
    return text.getvalue()


def _write_geojson(
    frame: gpd.GeoDataFrame, properties: list[str], path: Path, ids: pd.Series | None = None
) -> Path:
    """The rows of ``frame`` as GeoJSON features with exactly ``properties``, nulls as null.

    One feature per line: diffs show the places that changed, and json's C encoder
    (which ``indent`` would turn off) writes a large corpus in a blink.
    """
    keys = [None] * len(frame) if ids is None else ids.tolist()
    values = zip(*columns(frame, properties), strict=True)
    rows = zip(keys, values, _shapes(frame.geometry), strict=True)
    line = functools.partial(_feature_line, properties, ids is not None)
    features = ",\n".join(_KEPT_LINES.lines(path.name, rows, line))
    return write_whole(path, f'{{"type": "FeatureCollection", "features": [\n{features}\n]}}\n')


def _feature_line(properties: list[str], with_id: bool, row: tuple) -> str:
    key, values, (kind, coordinates) = row
    feature: dict[str, Any] = {"type": "Feature"}
    if with_id:
        feature["id"] = key
    feature["geometry"] = {"type": kind, "coordinates": coordinates}
    named = zip(properties, values, strict=True)
    feature["properties"] = {name: _plain(value) for name, value in named}
    return json.dumps(feature, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """A value of `columns` as a type json knows: dates in ISO form."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _shapes(geometries: gpd.GeoSeries) -> list[tuple[str, tuple]]:
    """Each point's or line's GeoJSON type and coordinates (a point's (x, y), a line's
    tuple of them)."""
    array = geometries.to_numpy()  # iterating the series takes each geometry by itself
    shapes: list[tuple[str, tuple]] = []
    for geometry, pairs in zip(array, coordinates(array), strict=True):
        kind = geometry.geom_type
        if kind == "Point":
            shapes.append((kind, pairs[0]))
        elif kind == "LineString":
            shapes.append((kind, pairs))
        else:
            raise ValueError(f"a data file holds points and lines, not a {kind}")
    return shapes


class _KeptLines:
    """The lines of each data file by the row each was written from, while the process
    runs (the pages worker writes the files build after build): a rebuild formats the
    lines of its new rows only, where formatting all 2,400 figures and 800 movements of
    a thousand articles took ~30 ms. Only the last file of a name is kept."""

    def __init__(self) -> None:
        self._files: dict[str, dict[Hashable, str]] = {}

    def lines(self, name: str, rows: Iterable[Hashable], line: Callable[[Any], str]) -> list[str]:
        """The line of each of ``rows`` (``line(row)`` unless kept)."""
        kept = self._files.get(name, {})
        made: dict[Hashable, str] = {}
        lines = []
        for row in rows:  # a tuple's hash is computed at each lookup: the kept one first
            text = kept.get(row)
            if text is None:
                text = made.get(row) or line(row)
            made[row] = text
            lines.append(text)
        self._files[name] = made
        return lines


_KEPT_LINES = _KeptLines()


def toponym_record(mention: Mention) -> dict:
    """One mention as a line item of the evaluation format (plus geonameid, kind, role)."""
    place = mention.place
    return {
        "start": mention.start,
        "end": mention.end,
        "name": mention.text,
        "lat": place.lat,
        "lon": place.lon,
        "geonameid": place.geonameid,
        "place": place.name,
        "kind": place.kind,
        "role": mention.role,
    }


def write_predictions(documents: Iterable[tuple[str, list[Mention]]], path: Path) -> Path:
    """Toponym predictions as JSON Lines: ``{"id", "toponyms": [...]}`` per document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for doc_id, mentions in documents:
            line = {"id": doc_id, "toponyms": [toponym_record(m) for m in mentions]}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def places_table(places: gpd.GeoDataFrame) -> str:
    """The places as a fixed-width text table (what ``geomap places`` prints)."""
    if places.empty:
        return "no places found"
    table = places[PLACE_PROPERTIES].astype(object).copy()
    table["lat"] = places.geometry.y.round(4)
    table["lon"] = places.geometry.x.round(4)
    return table.where(table.notna(), "").to_string(index=False)


def figures_table(figures: gpd.GeoDataFrame) -> str:
    """The troop figures as a fixed-width text table (what ``geomap figures`` prints)."""
    if figures.empty:
        return "no troop figures found"
    table = figures[FIGURE_COLUMNS].astype(object).copy()
    table["sentence"] = [_shorten(s, TABLE_SENTENCE) for s in table["sentence"]]
    return table.where(table.notna(), "").to_string(index=False)


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"
