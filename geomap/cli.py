"""The ``geomap`` command: a thin shell over the public API.

Logging is set up here and nowhere else; a `GeomapError` becomes one line on
stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from geomap import __version__
from geomap.exceptions import GeomapError, GeomapWarning, UsageError

log = logging.getLogger("geomap")

DEFAULT_INPUT = Path("seeds")
DEFAULT_OUT = Path("output")


def command() -> None:
    """The ``geomap`` program: `main`, then exit without a last pass of the garbage collector.

    At exit Python looks for reference cycles among every object still alive (the
    gazetteer, the build, the libraries' modules): 0.2-0.5 s after a rebuild of 1,000
    articles that itself took 0.5 s. Frozen first, they are left out of that pass; they
    are freed all the same, and exit handlers and stream flushing still run.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run the command in ``argv`` (the command line's by default)."""
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


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The command line's parser, made once a process: a program calling `main` build
    after build (a notebook, the benchmark) spent 5 ms a call making it again."""
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
        help="build the map and its data files from articles (incrementally)",
        description="Read .txt/.md/.html articles (files or folders), find and geocode their "
        "places and troop figures, and write OUT/map.html, OUT/map.png (or .svg), "
        "OUT/embed.html, OUT/places.geojson, OUT/figures.csv and OUT/movements.geojson. "
        "Results of unchanged articles are kept in OUT/.geomap-store.sqlite, so a rebuild "
        "processes only new or changed ones. No network is used.",
    )
    build.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[DEFAULT_INPUT],
        metavar="PATH",
        help=f"article files or folders (default: {DEFAULT_INPUT}/)",
    )
    _build_options(build)
    build.set_defaults(run=_build)

    add = commands.add_parser(
        "add",
        help="copy articles into the corpus folder and rebuild",
        description="Copy FILEs into the corpus folder (refusing files whose content is "
        "already there) and rebuild the map from the whole corpus; only the new articles "
        "are processed.",
    )
    add.add_argument("files", nargs="+", type=Path, metavar="FILE", help="article files")
    add.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_INPUT,
        metavar="DIR",
        help=f"corpus folder (default: {DEFAULT_INPUT}/)",
    )
    _build_options(add)
    add.set_defaults(run=_add)

    watch = commands.add_parser(
        "watch",
        help="rebuild whenever an article in a folder appears or changes",
        description="Build once, then watch DIR and rebuild (incrementally) a moment after "
        "files stop changing. Stop with Ctrl-C.",
    )
    watch.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=DEFAULT_INPUT,
        metavar="DIR",
        help=f"folder to watch (default: {DEFAULT_INPUT}/)",
    )
    watch.add_argument(
        "--delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="quiet time after the last change before rebuilding (default: 1)",
    )
    _build_options(watch)
    watch.set_defaults(run=_watch)

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

    geoparse = commands.add_parser(
        "geoparse",
        help="write the toponyms found in texts as JSON Lines predictions",
        description="Find and resolve every toponym mention (demonyms and adjectival uses "
        "included, resolved to their country) in article files, folders or a JSON Lines "
        "file, and write one line per document: {id, toponyms: [{start, end, name, lat, "
        "lon, geonameid, place, kind, role}]} with offsets into the text.",
    )
    geoparse.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="article files or folders"
    )
    geoparse.add_argument(
        "--jsonl",
        type=Path,
        metavar="IN",
        help="a JSON Lines file whose lines hold 'id' and 'text' (offsets refer to 'text')",
    )
    geoparse.add_argument(
        "--out", type=Path, required=True, metavar="OUT.jsonl", help="where to write"
    )
    geoparse.set_defaults(run=_geoparse)

    evaluate = commands.add_parser(
        "eval",
        help="score geoparsers against a gold corpus",
        description="Score toponym predictions against GOLD.jsonl and print one table, a row "
        "per system: recognition precision/recall/F1 with exact and with overlapping spans; "
        "resolution on the exactly recognised toponyms with gold coordinates: accuracy within "
        "161 km, median and mean error, AUC of the error curve (Gritta et al.). geomap's own "
        "row comes first (it geoparses the gold texts), then each PRED file and each peer.",
    )
    evaluate.add_argument("gold", type=Path, metavar="GOLD.jsonl", help="gold toponyms")
    evaluate.add_argument(
        "predictions", nargs="*", type=Path, metavar="PRED.jsonl", help="predictions to score"
    )
    evaluate.add_argument(
        "--peers",
        type=Path,
        metavar="DIR",
        help="also score every CORPUS_SYSTEM.jsonl in DIR whose CORPUS is GOLD's file name",
    )
    evaluate.add_argument("--kinds", nargs="+", metavar="KIND", help="score only these kinds")
    evaluate.add_argument("--no-geomap", action="store_true", help="leave out geomap's own row")
    evaluate.add_argument(
        "--partial",
        action="store_true",
        help="score a gold document a PRED file leaves out as predicting no toponym, and "
        "ignore predicted documents not in GOLD (by default both are errors)",
    )
    evaluate.set_defaults(run=_evaluate)

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


def _build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output folder (default: {DEFAULT_OUT}/)",
    )
    parser.add_argument("--title", default="geomap", help="the map's heading")
    parser.add_argument("--subtitle", default="", help="a line under the heading")
    parser.add_argument(
        "--source",
        default=None,
        metavar="TEXT",
        help="credit line shown on the map and the image (default: geomap, Natural Earth, "
        "GeoNames)",
    )
    parser.add_argument(
        "--inline",
        action="store_true",
        help="inline Leaflet and its plugins so map.html works with no network (assets "
        "come from the npm registry at install time: make assets)",
    )
    parser.add_argument(
        "--format",
        dest="image_format",
        choices=["png", "svg", "none"],
        default="png",
        help="static image written beside map.html, for print (default: png)",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=0,
        metavar="N",
        help="processes for new articles (default: one per core); with more than one, the "
        "data files with the HTML map, and the static image, are written by two processes "
        "side by side",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="ignore results kept from earlier builds and process every article again",
    )


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = -1
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"--jobs takes a whole number >= 0, not {value!r}")
    return jobs


def _setup_logging(level: int) -> None:
    """Log to stderr as "geomap: …"; soft problems (`GeomapWarning`) become log warnings."""
    chosen = {-1: logging.WARNING, 0: logging.INFO}.get(max(-1, min(level, 1)), logging.DEBUG)
    logging.basicConfig(format="geomap: %(message)s", stream=sys.stderr)
    log.setLevel(chosen)
    warnings.simplefilter("always", GeomapWarning)
    warnings.showwarning = _show_warning


_default_show_warning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, GeomapWarning):
        log.warning(str(message))
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


class _ProgressBar:
    """A tqdm bar for builds of more than a few articles; silent when stderr is no terminal."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self._bar is None:
            quiet = total <= 5 or not sys.stderr.isatty()
            self._bar = tqdm(total=total, unit="article", disable=quiet, leave=False)
        self._bar.update(done - self._bar.n)
        if done == total:
            self._bar.close()


def _build(args: argparse.Namespace) -> int:
    _rebuild(args.paths, args)
    return 0


def _add(args: argparse.Namespace) -> int:
    from geomap.articles import add_to_corpus

    added = add_to_corpus(args.files, args.corpus)
    log.info("added %d of %d file(s) to %s", len(added), len(args.files), args.corpus)
    _rebuild([args.corpus], args)
    return 0


def _watch(args: argparse.Namespace) -> int:
    from geomap.watch import watch

    _rebuild([args.folder], args)
    log.info("watching %s; Ctrl-C stops", args.folder)
    watch(
        args.folder,
        lambda: _rebuild([args.folder], args, errors_only=True),
        outputs=args.out,
        delay=args.delay,
    )
    return 0


def _rebuild(paths: list[Path], args: argparse.Namespace, *, errors_only: bool = False) -> None:
    """Build from ``paths`` into ``args.out`` (incrementally) and write every output.

    With ``errors_only`` (the watch loop) a `GeomapError` is logged, not raised, so a
    half-saved article or an output that cannot be written now does not stop the watching.
    """
    with _collector_paused():
        try:
            _rebuild_once(paths, args)
        except GeomapError as err:
            if not errors_only:
                raise
            log.error("error: %s", err)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while building: a build makes few cycles (reference
    counting frees the rest), and rescanning its hundreds of thousands of live objects
    while loading stored results and rendering took a third of a rebuild."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: The build options the outputs depend on (`manifest.fingerprint`).
_OUTPUT_OPTIONS = ("title", "subtitle", "source", "inline", "image_format")


def _rebuild_once(paths: list[Path], args: argparse.Namespace) -> None:
    from geomap import manifest
    from geomap.export import start_writers
    from geomap.gazetteer import default_gazetteer
    from geomap.pipeline import join_results, process, results_version
    from geomap.store import Store

    started = time.perf_counter()
    jobs = args.jobs or os.cpu_count() or 1
    start_writers(jobs, image=args.image_format != "none")
    gazetteer = default_gazetteer()
    version = results_version(gazetteer)
    with Store(args.out, version, fresh=args.fresh) as store:
        done = process(paths, gazetteer=gazetteer, store=store, jobs=jobs, progress=_ProgressBar())
    log.info(done.changes.summary())
    processed = time.perf_counter()
    options = {name: getattr(args, name) for name in _OUTPUT_OPTIONS}
    made_from = manifest.fingerprint(version, (r.article for r in done.results), options)
    if not args.fresh and manifest.is_current(args.out, made_from):
        log.info("outputs in %s are up to date: nothing to write", args.out)
        return
    from geomap.export import Report, join_and_write
    from geomap.styles import DEFAULT_SOURCE

    report = Report(
        title=args.title,
        subtitle=args.subtitle,
        source=DEFAULT_SOURCE if args.source is None else args.source,
        inline=args.inline,
        image_format="" if args.image_format == "none" else args.image_format,
    )
    manifest.forget(args.out)
    result, written = join_and_write(
        lambda: join_results(done.results, gazetteer, done.changes, done.warnings),
        args.out,
        report,
        jobs=jobs,
    )
    manifest.record(args.out, made_from, written)
    log.debug(
        "took %.2f s to read, compare and process the articles, %.2f s to join and write",
        processed - started,
        time.perf_counter() - processed,
    )
    literal = int((result.places["role"] == "literal").sum())
    log.info(
        "mentions: %d, places: %d (%d literal), countries drawn: %d, troop figures: %d, "
        "movements: %d",
        result.mention_count,
        len(result.places),
        literal,
        len(result.countries),
        len(result.figures),
        len(result.movements),
    )
    log.info("wrote %s in %.1f s", ", ".join(map(str, written)), time.perf_counter() - started)
    if result.warnings:
        log.info("%d warning(s) above", len(result.warnings))


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


def _geoparse(args: argparse.Namespace) -> int:
    from geomap.articles import read_articles, read_jsonl_articles
    from geomap.export import write_predictions
    from geomap.gazetteer import default_gazetteer
    from geomap.geoparse import geoparse

    if bool(args.paths) == bool(args.jsonl):
        raise UsageError("give article PATHs or --jsonl IN, not both and not neither")
    articles = read_jsonl_articles(args.jsonl) if args.jsonl else read_articles(args.paths)
    gazetteer = default_gazetteer()
    progress = _ProgressBar()
    documents = []
    for done, article in enumerate(articles, start=1):
        documents.append((article.id, geoparse(article, gazetteer)))
        progress(done, len(articles))
    write_predictions(documents, args.out)
    found = sum(len(mentions) for _, mentions in documents)
    log.info("wrote %d toponyms in %d documents to %s", found, len(documents), args.out)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from geomap.evaluate import format_table, load_gold, load_predictions, predict, score

    gold = load_gold(args.gold)
    runs = [(p.stem, p) for p in args.predictions]
    if args.peers:
        corpus = args.gold.stem
        peers = sorted(args.peers.glob(f"{corpus}_*.jsonl"))
        runs += [(p.stem.removeprefix(f"{corpus}_"), p) for p in peers]
    rows = [] if args.no_geomap else [("geomap", score(gold, predict(gold), kinds=args.kinds))]
    rows += [
        (name, score(gold, load_predictions(path), kinds=args.kinds, strict=not args.partial))
        for name, path in runs
    ]
    if not rows:
        raise UsageError("nothing to score: give PRED files or --peers, or drop --no-geomap")
    total = sum(len(doc.toponyms) for doc in gold.values())
    kinds = f", kinds {', '.join(args.kinds)}" if args.kinds else ""
    print(f"{args.gold.name}: {len(gold)} documents, {total} gold toponyms{kinds}")
    print(format_table(rows))
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
