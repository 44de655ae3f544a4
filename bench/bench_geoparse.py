"""Geoparse throughput on real news texts: geomap's `geoparse` beside geotext, in one run.

Aim (issue "Geoparsing accuracy"): geomap geoparses at least 2,000 articles a second
in one process once started. Both parsers are timed in the same process on the same
texts, after start-up (gazetteer or index loaded, a few texts parsed to warm up);
each pass over all texts is repeated; the ratio compares the medians.

Run: .venv/bin/python bench/bench_geoparse.py GOLD.jsonl [--runs 5]
e.g. .venv/bin/python bench/bench_geoparse.py ../shared/eval/gwn.jsonl
geotext comes with the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geomap.articles import Article
from geomap.evaluate import load_gold
from geomap.gazetteer import default_gazetteer
from geomap.geoparse import geoparse

WARM_UP = 5


def timed_passes(parse: Callable[[Any], int], items: list, runs: int) -> tuple[list[float], int]:
    """Seconds of each of ``runs`` passes of ``parse`` over ``items``, and the toponyms found."""
    for item in items[:WARM_UP]:
        parse(item)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        found = sum(parse(item) for item in items)
        times.append(time.perf_counter() - start)
    return times, found


def report(name: str, times: list[float], articles: int, found: int, what: str) -> float:
    """Print and return the median rate (the best pass is shown too: shared machines are noisy)."""
    rate = articles / statistics.median(times)
    print(
        f"{name:<8} {rate:8,.0f} articles/s median ({articles / min(times):,.0f} best), "
        f"{found:,} {what}"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path, help="a gold file whose texts are parsed (gwn.jsonl)")
    parser.add_argument("--runs", type=int, default=5, help="passes over all texts (default 5)")
    args = parser.parse_args()
    try:
        from geotext import GeoText
    except ImportError:
        print("geotext is missing: pip install -e '.[bench]'", file=sys.stderr)
        return 1

    docs = load_gold(args.gold).values()
    texts = [doc.text for doc in docs]
    articles = [Article(doc.id, None, "", doc.text, "", Path(doc.id)) for doc in docs]
    characters = sum(len(t) for t in texts)
    print(
        f"{len(texts)} texts from {args.gold.name}, {characters / len(texts):,.0f} characters each"
    )

    start = time.perf_counter()
    gazetteer = default_gazetteer()
    print(f"gazetteer loaded in {time.perf_counter() - start:.2f} s (not timed below)")

    def geomap_parse(article: Article) -> int:
        return len(geoparse(article, gazetteer))

    def geotext_parse(text: str) -> int:
        places = GeoText(text)
        return len(places.cities) + len(places.countries)

    ours, ours_found = timed_passes(geomap_parse, articles, args.runs)
    theirs, theirs_found = timed_passes(geotext_parse, texts, args.runs)
    ours_rate = report("geomap", ours, len(texts), ours_found, "toponyms and demonyms")
    theirs_rate = report("geotext", theirs, len(texts), theirs_found, "cities and countries")
    print(f"geomap / geotext: {ours_rate / theirs_rate:.2f}x  (aim: geomap >= 2,000 articles/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
