"""Build ``data/person_names.csv``: common US first names and surnames, for recognition.

"Kelly", "Julia", "Jordan" and "Levi" are places in GeoNames and people in news text;
how common a word is as a first name or a surname is a feature of the recognition
model (`geomap.recognise`). Source: the US Census Bureau's 1990 name frequency files
(public domain), as shipped by the ``names`` package on PyPI (0.3.0:
``dist.female.first``, ``dist.male.first``, ``dist.all.last``). Kept: names of at least
``MIN_PERCENT`` of people; a name both female and male gets the larger share.

Usage (the package is needed only here)::

    .venv/bin/pip install names==0.3.0
    .venv/bin/python scripts/build_person_names.py
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "person_names.csv"
MIN_PERCENT = 0.002


def read(member: str) -> dict[str, float]:
    """``{NAME: percent of people}`` from one Census file of the ``names`` package."""
    text = (resources.files("names") / member).read_text(encoding="ascii")
    shares = {}
    for line in text.splitlines():
        name, percent = line.split()[:2]
        if float(percent) >= MIN_PERCENT:
            shares[name.capitalize()] = float(percent)
    return shares


def main() -> int:
    female, male = read("dist.female.first"), read("dist.male.first")
    first = {n: max(female.get(n, 0.0), male.get(n, 0.0)) for n in female.keys() | male.keys()}
    last = read("dist.all.last")
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "first", "last"])
        for name in sorted(first.keys() | last.keys()):
            writer.writerow([name, first.get(name, 0.0), last.get(name, 0.0)])
    print(f"wrote {OUT}: {len(first)} first names, {len(last)} surnames")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
