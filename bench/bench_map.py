"""The map of a synthetic corpus: build, `render_map` and `Map.save` timed apart, in one run.

Goal (issue "Many articles"): render and save take about a second at most for 1,000
articles, since they run on every rebuild. Render and save are timed five times in a
warm process (best and median), the build once (every article processed, no store).

Run: .venv/bin/python bench/bench_map.py [--articles 1000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from corpus import make_corpus

from geomap.gazetteer import default_gazetteer
from geomap.pipeline import build
from geomap.render import render_map

RUNS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    gazetteer = default_gazetteer()  # warm, as on any machine after the first run
    with tempfile.TemporaryDirectory() as tmp:
        corpus, page = Path(tmp) / "corpus", Path(tmp) / "map.html"
        make_corpus(corpus, args.articles)
        start = time.perf_counter()
        result = build([corpus], gazetteer=gazetteer)
        built = time.perf_counter() - start
        titles = {article.id: article.title for article in result.articles}
        renders, saves = [], []
        for _ in range(RUNS):
            start = time.perf_counter()
            fmap = render_map(
                result.places, result.countries, result.country_names,
                figures=result.figures_frame, movements=result.movements_frame, titles=titles,
            )  # fmt: skip
            middle = time.perf_counter()
            fmap.save(str(page))
            renders.append(middle - start)
            saves.append(time.perf_counter() - middle)
        totals = [r + s for r, s in zip(renders, saves, strict=True)]
        counts = (len(result.articles), len(result.places), len(result.figures))
        print("articles {}, places {}, troop figures {}".format(*counts))
        print(f"build (no store)    {built:6.2f} s")
        for name, times in (("render_map", renders), ("save", saves), ("render+save", totals)):
            print(f"{name:<19} {min(times):6.2f} s best, {statistics.median(times):.2f} s median")
        print(f"map.html            {page.stat().st_size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
