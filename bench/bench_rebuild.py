"""Full build of a 1,000-article corpus vs the rebuild after adding one article, in one run.

Goal (issue "Many articles"): the rebuild takes at most 10 % of the full build and at
most 2 s. Both are measured the same way: `geomap build` into an output folder with its
store (read, process what changed, join, render, write), run in one warm process,
RUNS times (a full build into an emptied folder, then the rebuild after adding one
article), every run printed and the medians compared, since this machine's speed
drifts by half within a minute; then,
for reference, as separate commands (Python start-up and imports included). A third
build with no change is timed too: it writes nothing. The articles are about as long as
the seed (~500 words), since processing time grows with length. The corpus is left to
age past `geomap.articles.RACY_NS` before the first build, as articles on disk are: a
file read within a second of its last change is read again at the next build.

Run: .venv/bin/python bench/bench_rebuild.py [--articles 1000] [--jobs 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import make_corpus

from geomap.articles import RACY_NS
from geomap.cli import main as geomap
from geomap.gazetteer import default_gazetteer

EXTRA = "date 2024-06-01\nAbout 700 Italian troops arrived in Agadez, officials in Niamey said.\n"


def build_once(corpus: Path, out: Path, jobs: int) -> float:
    """`geomap build` in this (warm) process: what a user runs, less Python's start-up."""
    start = time.perf_counter()
    assert geomap(["-q", "build", str(corpus), "--out", str(out), "--jobs", str(jobs)]) == 0
    return time.perf_counter() - start


def summary(out: Path) -> str:
    places = json.loads((out / "places.geojson").read_text())["features"]
    with (out / "figures.csv").open(encoding="utf-8") as handle:
        figures = sum(1 for _ in handle) - 1
    return f"{len(places)} places, {figures} figures"


def command(corpus: Path, out: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "geomap", "-q", "build", str(corpus), "--out", str(out),
         "--jobs", str(jobs)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--runs", type=int, default=3, help="full builds, each followed by a +1 rebuild"
    )
    args = parser.parse_args()
    default_gazetteer()  # warm, as on any machine after the first run
    with tempfile.TemporaryDirectory() as tmp:
        corpus, out = Path(tmp) / "corpus", Path(tmp) / "out"
        make_corpus(corpus, args.articles)
        time.sleep(RACY_NS / 1e9)  # articles on disk are older than that
        words = sum(len(p.read_text().split()) for p in corpus.iterdir())
        print(
            f"corpus: {args.articles} articles, {words / args.articles:.0f} words each on average"
        )
        fulls, rebuilds = [], []
        for run in range(1, args.runs + 1):
            shutil.rmtree(out, ignore_errors=True)
            (corpus / "extra.txt").unlink(missing_ok=True)
            fulls.append(build_once(corpus, out, args.jobs))
            built = summary(out)
            (corpus / "extra.txt").write_text(EXTRA)
            rebuilds.append(build_once(corpus, out, args.jobs))
            print(
                f"run {run}: full build {fulls[-1]:5.2f} s, rebuild (+1) {rebuilds[-1]:5.2f} s"
                f" ({rebuilds[-1] / fulls[-1]:.1%})"
            )
        full, rebuild = statistics.median(fulls), statistics.median(rebuilds)
        print(f"full build      {full:7.2f} s   {built}   (median of {args.runs} runs)")
        print(f"rebuild (+1)    {rebuild:7.2f} s   {summary(out)}")
        print(f"rebuild / full  {rebuild / full:7.1%}   (goal: <= 10 % and <= 2 s)")
        unchanged = build_once(corpus, out, args.jobs)
        print(f"again, no change{unchanged:7.2f} s   (outputs up to date: nothing written)")

        shutil.rmtree(out)
        (corpus / "extra.txt").unlink()
        full_cmd = command(corpus, out, args.jobs)
        (corpus / "extra.txt").write_text(EXTRA)
        rebuild_cmd = command(corpus, out, args.jobs)
        ratio = rebuild_cmd / full_cmd
        print(
            f"as commands: full {full_cmd:.2f} s, rebuild {rebuild_cmd:.2f} s, ratio {ratio:.1%}"
            " (includes Python start-up and imports)"
        )
        print(f"map.html: {(out / 'map.html').stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
