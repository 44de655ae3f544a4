"""The ``geomap`` command: a thin shell over the public API.

Logging is set up here and nowhere else; a `GeomapError` becomes one line on
stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from geomap import __version__
from geomap.exceptions import GeomapError

log = logging.getLogger("geomap")

DEFAULT_INPUT = Path("seeds")
DEFAULT_OUT = Path("output")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose - args.quiet)
    try:
        return args.run(args)
    except GeomapError as err:
        print(f"geomap: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("geomap: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geomap",
        description="Turn news articles into a layered map: places found in the text, "
        "geocoded offline with the embedded GeoNames gazetteer, and the troop figures and "
        "movements the articles report, joined with country boundaries and rendered as a "
        "folium HTML map.",
        epilog="Example: geomap build seeds/ --out output/  then open output/map.html",
    )
    parser.add_argument("--version", action="version", version=f"geomap {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more detail")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="only warnings and errors")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build",
        help="build map.html, places.geojson, figures.csv and movements.geojson from articles",
        description="Read .txt/.md/.html articles (files or folders), find and geocode their "
        "places and troop figures, and write OUT/map.html, OUT/places.geojson, "
        "OUT/figures.csv and OUT/movements.geojson. No network is used.",
    )
    build.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[DEFAULT_INPUT],
        metavar="PATH",
        help=f"article files or folders (default: {DEFAULT_INPUT}/)",
    )
    build.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output folder (default: {DEFAULT_OUT}/)",
    )
    build.add_argument("--title", default="geomap", help="heading of the map's legend")
    build.set_defaults(run=_build)

    places = commands.add_parser(
        "places",
        help="print the places found in articles as a table",
        description="Print one row per distinct place (the rows of places.geojson).",
    )
    places.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="article files or folders"
    )
    places.set_defaults(run=_places)

    figures = commands.add_parser(
        "figures",
        help="print the troop figures found in articles as a table",
        description="Print one row per troop figure (the rows of figures.csv; sentences cut "
        "short), ordered by date, article and position in the article.",
    )
    figures.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="article files or folders"
    )
    figures.set_defaults(run=_figures)

    geocode = commands.add_parser(
        "geocode",
        help="look a place name up",
        description="Geocode a name with the embedded gazetteer (default) or, opt-in, an "
        "online geopy service whose answers are cached on disk.",
    )
    geocode.add_argument("query", help="a place name, e.g. Agadez")
    geocode.add_argument(
        "--geocoder",
        default="gazetteer",
        metavar="NAME",
        help="'gazetteer' (offline, default) or a geopy service such as 'nominatim'",
    )
    geocode.add_argument("--all", action="store_true", help="list every candidate")
    geocode.set_defaults(run=_geocode)
    return parser


def _setup_logging(level: int) -> None:
    logging.basicConfig(
        level={-1: logging.WARNING, 0: logging.INFO}.get(max(-1, min(level, 1)), logging.DEBUG),
        format="geomap: %(message)s",
        stream=sys.stderr,
    )


def _progress(done: int, total: int) -> None:
    if total > 5 and (done == total or done % max(1, total // 20) == 0):
        log.info("geoparsed %d/%d articles", done, total)


def _build(args: argparse.Namespace) -> int:
    from geomap.export import write_figures, write_map, write_movements, write_places
    from geomap.pipeline import build
    from geomap.render import render_map

    started = time.perf_counter()
    result = build(args.paths, progress=_progress)
    fmap = render_map(
        result.places,
        result.countries,
        result.country_names,
        figures=result.figures_frame,
        movements=result.movements_frame,
        title=args.title,
    )
    written = [
        write_map(fmap, args.out / "map.html"),
        write_places(result.places, args.out / "places.geojson"),
        write_figures(result.figures_frame, args.out / "figures.csv"),
        write_movements(result.movements_frame, args.out / "movements.geojson"),
    ]
    literal = int((result.places["role"] == "literal").sum())
    log.info(
        "articles: %d, mentions: %d, places: %d (%d literal), countries drawn: %d, "
        "troop figures: %d, movements: %d",
        len(result.articles),
        len(result.mentions),
        len(result.places),
        literal,
        len(result.countries),
        len(result.figures),
        len(result.movements),
    )
    log.info("wrote %s in %.1f s", ", ".join(map(str, written)), time.perf_counter() - started)
    if result.warnings:
        log.info("%d warning(s) above", len(result.warnings))
    return 0


def _places(args: argparse.Namespace) -> int:
    from geomap.export import places_table
    from geomap.pipeline import build

    print(places_table(build(args.paths).places))
    return 0


def _figures(args: argparse.Namespace) -> int:
    from geomap.export import figures_table
    from geomap.pipeline import build

    print(figures_table(build(args.paths).figures_frame))
    return 0


def _geocode(args: argparse.Namespace) -> int:
    from geomap.geocoders import get_geocoder

    found = get_geocoder(args.geocoder).geocode(args.query, exactly_one=not args.all)
    if not found:
        print(f"geomap: no place called {args.query!r}", file=sys.stderr)
        return 1
    for location in found if args.all else [found]:
        print(f"{location.latitude:.5f}\t{location.longitude:.5f}\t{location.address}")
    return 0
