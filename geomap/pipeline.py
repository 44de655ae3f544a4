"""One build, in memory: articles → mentions and troop figures → places, countries, figures.

The stages run in the order of DESIGN.md and nothing here writes a file; the CLI
hands the result to `geomap.render` and `geomap.export`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geomap import __version__
from geomap.articles import Article, read_articles
from geomap.boundaries import (
    country_mentions,
    figures_frame,
    join_countries,
    load_countries,
    movements_frame,
    places_frame,
    troop_presence,
)
from geomap.exceptions import GeomapWarning
from geomap.figures import Movement, TroopFigure, extract
from geomap.gazetteer import Gazetteer, default_gazetteer
from geomap.geoparse import geoparse
from geomap.store import ArticleResult, ArticleSummary, Changes, Store

log = logging.getLogger(__name__)
#: Fewest articles per task handed to a worker process; below two chunks a pool costs more.
MIN_CHUNK = 8
#: Processed before a pool starts: geoparsing and figure extraction load tables when first
#: taken (words, person names, the gazetteer's name index, patterns: ~50 ms). Loaded in the
#: building process, they are shared with the forked workers instead of loaded by each, and
#: are there for the next rebuild of a long-lived process (`geomap watch`).
WARM_UP = Article(
    "warm-up", None, "", "About 700 Italian troops arrived in Agadez, officials said.", "",
    Path("warm-up"),
)  # fmt: skip
#: The modules whose code decides an `ArticleResult`; editing any other (rendering,
#: export) leaves stored results valid.
RESULT_MODULES = (
    "articles.py", "datafiles.py", "gazetteer.py", "geoparse.py", "figures.py", "pipeline.py",
    "tally.py",
)  # fmt: skip


@dataclass(frozen=True)
class MapBuild:
    """Everything a build found, ready to render and export.

    ``countries`` carries the troop presence columns; the frames are documented in
    `geomap.boundaries`.
    """

    articles: list[Article]
    mention_count: int
    figures: list[TroopFigure]
    movements: list[Movement]
    places: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    figures_frame: gpd.GeoDataFrame
    movements_frame: gpd.GeoDataFrame
    country_names: dict[str, str]
    changes: Changes = field(default_factory=Changes)
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> Tables:
        """What the outputs are made from: the frames, not the articles' texts and objects."""
        return Tables(
            self.places,
            self.countries,
            self.country_names,
            self.figures_frame,
            self.movements_frame,
            {a.id: a.title for a in self.articles},
            max((a.date for a in self.articles if a.date), default=None),
            len(self.articles),
        )


@dataclass(frozen=True)
class Tables:
    """What the outputs are drawn and written from: a build's frames, article titles, and
    its newest date and number of articles (the image's bottom line).

    What the output processes are sent (`geomap.worker`): pickled and read back in ~30 ms
    for 1,000 articles, where the whole `MapBuild` (article texts, figure objects) took 140.
    """

    places: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    country_names: dict[str, str]
    figures: gpd.GeoDataFrame
    movements: gpd.GeoDataFrame
    titles: dict[str, str]
    newest_date: dt.date | None
    article_count: int


@dataclass(frozen=True)
class Processed:
    """Every article's summary, in reading order, once the store is up to date."""

    results: list[ArticleSummary]
    changes: Changes
    warnings: list[str]


def build(
    paths: Iterable[str | Path],
    *,
    gazetteer: Gazetteer | None = None,
    store: Store | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> MapBuild:
    """Read, geoparse, extract troop figures and join the articles under ``paths``.

    With a ``store``, only new or changed articles are processed and the store is
    brought up to date; ``jobs`` > 1 processes them in a pool of processes. Soft
    problems (an undated article, undecodable bytes, an unreadable store) are
    collected as strings in ``MapBuild.warnings`` instead of stopping the build.
    """
    gazetteer = gazetteer or default_gazetteer()
    done = process(paths, gazetteer=gazetteer, store=store, jobs=jobs, progress=progress)
    return join_results(done.results, gazetteer, done.changes, done.warnings)


def process(
    paths: Iterable[str | Path],
    *,
    gazetteer: Gazetteer | None = None,
    store: Store | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Processed:
    """`build` up to the join: read the articles and process those the store lacks."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeomapWarning)
        articles = read_articles(
            paths,
            known=store.known if store else None,
            outputs=store.path.parent if store else None,
        )
        gazetteer = gazetteer or default_gazetteer()
        changes = Changes(new=list(articles)) if store is None else store.compare(articles)
        fresh = process_articles(changes.to_process, gazetteer, jobs=jobs, progress=progress)
        if store is not None:
            store.update(fresh, changes.removed)
    by_path = {r.article.path: r for r in (*changes.unchanged, *(r.summary for r in fresh))}
    results = [by_path[a.path] for a in articles]
    soft = [str(w.message) for w in caught if issubclass(w.category, GeomapWarning)]
    for message in soft:
        log.warning(message)
    return Processed(results, changes, soft)


def process_article(article: Article, gazetteer: Gazetteer) -> ArticleResult:
    """Everything one article yields: a pure function of (article, gazetteer).

    This is the unit a process pool (or, for archives beyond one machine, a Dask
    cluster's ``client.map``) runs; nothing in it reads or writes shared state.
    """
    mentions = geoparse(article, gazetteer)
    figures, moved = extract(article, mentions, gazetteer)
    return ArticleResult(
        article=article, mentions=tuple(mentions), figures=tuple(figures), movements=tuple(moved)
    )


def process_articles(
    articles: Sequence[Article],
    gazetteer: Gazetteer,
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[ArticleResult]:
    """`process_article` over ``articles``, in order, in ``jobs`` processes when worth it."""
    total = len(articles)
    if jobs <= 1 or total < 2 * MIN_CHUNK:
        results = []
        for done, article in enumerate(articles, start=1):
            results.append(process_article(article, gazetteer))
            if progress:
                progress(done, total)
        return results
    chunk = max(MIN_CHUNK, total // (jobs * 8))
    process_article(WARM_UP, gazetteer)  # the workers are forked with its tables loaded
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(gazetteer,)
    ) as pool:
        results = []
        for done, result in enumerate(pool.map(_work, articles, chunksize=chunk), start=1):
            results.append(result)
            if progress:
                progress(done, total)
        return results


_worker_gazetteer: Gazetteer | None = None


def _start_worker(gazetteer: Gazetteer) -> None:
    global _worker_gazetteer
    _worker_gazetteer = gazetteer


def _work(article: Article) -> ArticleResult:
    return process_article(article, _worker_gazetteer)


def results_version(gazetteer: Gazetteer) -> str:
    """What a stored result depends on besides its article: geomap's code and the gazetteer."""
    digest = hashlib.sha256(__version__.encode())
    for module in RESULT_MODULES:
        digest.update((Path(__file__).parent / module).read_bytes())
    return f"{__version__}-{digest.hexdigest()[:12]}-{gazetteer.version}"


def join_results(
    results: list[ArticleSummary],
    gazetteer: Gazetteer,
    changes: Changes | None = None,
    soft: list[str] | None = None,
) -> MapBuild:
    """The join stage over every article's results: places, countries, figures, movements."""
    figures = [f for r in results for f in r.figures]
    moved = [m for r in results for m in r.movements]
    countries = load_countries()
    places = join_countries(places_frame(c for r in results for c in r.places), countries)
    figure_rows = figures_frame(figures)
    hosts = figure_rows["country"].dropna()
    shaded = troop_presence(
        figure_rows, country_mentions(places, countries, gazetteer.neighbours, hosts)
    )
    names = dict(zip(countries["iso_a2"], countries["name"], strict=True))
    return MapBuild(
        articles=[r.article for r in results],
        mention_count=sum(r.mentions for r in results),
        figures=figures,
        movements=moved,
        places=places,
        countries=shaded,
        figures_frame=figure_rows,
        movements_frame=movements_frame(moved),
        country_names=names,
        changes=changes or Changes(),
        warnings=soft or [],
    )
