"""The print map of the seed and of a synthetic corpus: `draw_map` and `save_figure` timed apart.

Goal: draw and save (PNG, 1600 × 1000) take at most 0.5 s together for 1,000 articles,
since `geomap build` writes map.png on every rebuild. Each map is drawn and saved five
times in a warm process (best and median); the builds are not timed.

Run: .venv/bin/python bench/bench_static_map.py [--articles 1000] [--out DIR]
(``--out`` keeps the PNGs, to look at.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from corpus import make_corpus

from geomap.pipeline import MapBuild, build
from geomap.static_map import draw_map, save_figure

RUNS = 5
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def time_map(name: str, result: MapBuild, out: Path) -> None:
    draws, saves = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        figure = draw_map(result)
        middle = time.perf_counter()
        save_figure(figure, out / f"{name}.png", "png")
        draws.append(middle - start)
        saves.append(time.perf_counter() - middle)
    totals = [d + s for d, s in zip(draws, saves, strict=True)]
    counts = (len(result.articles), len(result.places), len(result.figures))
    print(f"{name}: articles {counts[0]}, places {counts[1]}, troop figures {counts[2]}")
    for label, times in (("draw_map", draws), ("save_figure", saves), ("draw+save", totals)):
        print(f"  {label:<12} {min(times):6.3f} s best, {statistics.median(times):.3f} s median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--out", type=Path, help="keep the PNGs in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        corpus = Path(tmp) / "corpus"
        make_corpus(corpus, args.articles)
        time_map("seed", build([SEEDS]), out)
        time_map(f"n{args.articles}", build([corpus], jobs=2), out)


if __name__ == "__main__":
    main()
