"""One article's place mentions added up per place: what the join folds across articles.

A rebuild loads this per-article count from the store instead of every mention, so
reading back a thousand unchanged articles costs a few thousand small rows, not tens of
thousands of `Mention` objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from geomap.gazetteer import Place
from geomap.geoparse import Mention

#: The roles that put a place on the map; adjectival and embedded mentions are not counted.
MAPPED_ROLES = ("literal", "associative")


class PlaceCount(NamedTuple):
    """The mapped mentions of one place in one article."""

    article_id: str
    date: dt.date | None
    place: Place
    mentions: int
    literal: bool  # some mention is literal
    confidence: float  # the most confident mention's (the first among equals)
    resolution: str  # how that mention was resolved
    quotes: tuple[str, ...]  # the mentions' sentences, each once, in reading order


def count_places(mentions: Iterable[Mention]) -> list[PlaceCount]:
    """The `PlaceCount` of each (article, place) in ``mentions``, in order of first mention."""
    groups: dict[tuple, list[Mention]] = {}
    for mention in mentions:
        if mention.role in MAPPED_ROLES:
            key = (mention.article_id, mention.date, mention.place.id)
            groups.setdefault(key, []).append(mention)
    return [_counted(group) for group in groups.values()]


def _counted(mentions: list[Mention]) -> PlaceCount:
    best = max(mentions, key=lambda m: m.confidence)  # max keeps the first of equals
    return PlaceCount(
        article_id=best.article_id,
        date=best.date,
        place=best.place,
        mentions=len(mentions),
        literal=any(m.role == "literal" for m in mentions),
        confidence=best.confidence,
        resolution=best.resolution,
        quotes=tuple(dict.fromkeys(m.sentence for m in mentions)),
    )
