"""One build, start to finish, in memory: articles → mentions → places and countries.

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
from geomap.boundaries import country_mentions, join_countries, load_countries, places_frame
from geomap.exceptions import GeomapWarning
from geomap.gazetteer import Gazetteer, default_gazetteer
from geomap.geoparse import Mention, geoparse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MapBuild:
    """Everything a build found, ready to render and export."""

    articles: list[Article]
    mentions: list[Mention]
    places: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    country_names: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def build(
    paths: Iterable[str | Path],
    *,
    gazetteer: Gazetteer | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MapBuild:
    """Read, geoparse and join the articles under ``paths``.

    Soft problems (an undated article, undecodable bytes) are collected as strings in
    ``MapBuild.warnings`` instead of stopping the build.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeomapWarning)
        articles = read_articles(paths)
        gazetteer = gazetteer or default_gazetteer()
        mentions: list[Mention] = []
        for done, article in enumerate(articles, start=1):
            mentions.extend(geoparse(article, gazetteer))
            if progress:
                progress(done, len(articles))
    countries = load_countries()
    places = join_countries(places_frame(mentions), countries)
    shaded = country_mentions(places, countries, gazetteer.neighbours)
    names = dict(zip(countries["iso_a2"], countries["name"], strict=True))
    soft = [str(w.message) for w in caught if issubclass(w.category, GeomapWarning)]
    for message in soft:
        log.warning(message)
    return MapBuild(articles, mentions, places, shaded, names, soft)
