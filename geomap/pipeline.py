"""One build, in memory: articles → mentions and troop figures → places, countries, figures.

The stages run in the order of DESIGN.md and nothing here writes a file; the CLI
hands the result to `geomap.render` and `geomap.export`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

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
from geomap.figures import Movement, TroopFigure, movements, troop_figures
from geomap.gazetteer import Gazetteer, default_gazetteer
from geomap.geoparse import Mention, geoparse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MapBuild:
    """Everything a build found, ready to render and export.

    ``countries`` carries the troop presence columns; the frames are documented in
    `geomap.boundaries`.
    """

    articles: list[Article]
    mentions: list[Mention]
    figures: list[TroopFigure]
    movements: list[Movement]
    places: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    figures_frame: gpd.GeoDataFrame
    movements_frame: gpd.GeoDataFrame
    country_names: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def build(
    paths: Iterable[str | Path],
    *,
    gazetteer: Gazetteer | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MapBuild:
    """Read, geoparse, extract troop figures and join the articles under ``paths``.

    Soft problems (an undated article, undecodable bytes) are collected as strings in
    ``MapBuild.warnings`` instead of stopping the build.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeomapWarning)
        articles = read_articles(paths)
        gazetteer = gazetteer or default_gazetteer()
        mentions: list[Mention] = []
        figures: list[TroopFigure] = []
        moved: list[Movement] = []
        for done, article in enumerate(articles, start=1):
            found = geoparse(article, gazetteer)
            mentions.extend(found)
            figures.extend(troop_figures(article, found, gazetteer))
            moved.extend(movements(article, found, gazetteer))
            if progress:
                progress(done, len(articles))
    countries = load_countries()
    places = join_countries(places_frame(mentions), countries)
    figure_rows = figures_frame(figures)
    hosts = figure_rows["country"].dropna()
    shaded = troop_presence(
        figure_rows, country_mentions(places, countries, gazetteer.neighbours, hosts)
    )
    names = dict(zip(countries["iso_a2"], countries["name"], strict=True))
    soft = [str(w.message) for w in caught if issubclass(w.category, GeomapWarning)]
    for message in soft:
        log.warning(message)
    return MapBuild(
        articles=articles,
        mentions=mentions,
        figures=figures,
        movements=moved,
        places=places,
        countries=shaded,
        figures_frame=figure_rows,
        movements_frame=movements_frame(moved),
        country_names=names,
        warnings=soft,
    )
