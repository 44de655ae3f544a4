"""The one loader for the files in ``data/`` (shipped in the wheel as ``geomap.data``)."""

from __future__ import annotations

import csv
from importlib import resources
from importlib.abc import Traversable

from geomap.exceptions import DataError


def data_file(name: str) -> Traversable:
    """The shipped data file ``name``; `DataError` when the installation lacks it."""
    path = resources.files("geomap.data") / name
    if not path.is_file():
        raise DataError(f"data file {name} is missing from the geomap installation; reinstall it")
    return path


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a shipped CSV file as dicts of strings (empty cells stay '')."""
    with data_file(name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
