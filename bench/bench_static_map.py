"""The print map of the seed and of a synthetic corpus: `draw_map` and `save_figure` timed apart.

Goal: drawing and saving the PNG (1600 × 1000) take at most 0.5 s together for 1,000
articles, since `geomap build` writes map.png on every rebuild. Each map is drawn and
saved RUNS times in one process: the first time (the seed's pays for loading fonts,
as a `geomap build` does) and the best and median of all. Garbage from the previous
run is collected before each, as a fresh build has none. The builds are not timed.

Then the image as a rebuild writes it (issue "Many articles": at most 0.3 s), after one
article is added to the corpus (bench_rebuild's): `export.write_image` in this process,
which has drawn maps before, as `join_and_write` runs it in a `geomap watch` (the
pages and data files go to its worker process meanwhile), with the cyclic collector paused
as the CLI does and the layers' cache in the output folder as the 1,000-article build
left it (the base layer kept, the legend drawn again when it changed), and then with
both kept.

This machine's speed drifts by up to half over minutes: compare best with best.

Run: .venv/bin/python bench/bench_static_map.py [--articles 1000] [--out DIR]
(``--out`` keeps the PNGs, to look at.)
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench_rebuild import EXTRA
from corpus import make_corpus

from geomap.export import Report, write_image
from geomap.pipeline import MapBuild, build
from geomap.static_map import draw_map, save_figure

RUNS = 7
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def time_map(name: str, result: MapBuild, out: Path) -> None:
    draws, saves = [], []
    for _ in range(RUNS):
        gc.collect()
        start = time.perf_counter()
        figure = draw_map(result.tables())
        middle = time.perf_counter()
        save_figure(figure, out / f"{name}.png", "png")
        draws.append(middle - start)
        saves.append(time.perf_counter() - middle)
    totals = [d + s for d, s in zip(draws, saves, strict=True)]
    counts = (len(result.articles), len(result.places), len(result.figures))
    print(f"{name}: articles {counts[0]}, places {counts[1]}, troop figures {counts[2]}")
    for label, times in (("draw_map", draws), ("save_figure", saves), ("draw+save", totals)):
        first, best, median = times[0], min(times), statistics.median(times)
        print(f"  {label:<12} first {first:5.3f} s, best {best:5.3f} s, median {median:5.3f} s")


def time_rebuild_image(corpus: Path, before: MapBuild, out: Path) -> None:
    """`write_image` after adding an article, the layers cached or not."""
    # The layers as the full build leaves them:
    write_image(before.tables(), out / "map.png", Report())
    kept = Path(tempfile.mkdtemp())
    for layer in out.glob(".geomap-image-*"):
        shutil.copy(layer, kept)
    (corpus / "extra.txt").write_text(EXTRA)
    after = build([corpus], jobs=2)
    print(f"rebuild image, {len(after.articles)} articles (wall clock):")
    gc.disable()
    try:
        for label, restore in (("base kept", True), ("both kept", False)):
            times = []
            for _ in range(RUNS):
                if restore:
                    for layer in kept.iterdir():
                        shutil.copy(layer, out)
                start = time.perf_counter()
                write_image(after.tables(), out / "map.png", Report())
                times.append(time.perf_counter() - start)
            best, median = min(times), statistics.median(times)
            print(
                f"  {label:<12} first {times[0]:5.3f} s, best {best:5.3f} s, median {median:5.3f} s"
            )
    finally:
        gc.enable()
        shutil.rmtree(kept)


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
        seed, many = build([SEEDS]), build([corpus], jobs=2)
        time_map("seed", seed, out)
        time_map(f"n{args.articles}", many, out)
        time_rebuild_image(corpus, many, out)


if __name__ == "__main__":
    main()
