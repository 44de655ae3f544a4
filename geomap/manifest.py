"""What an output folder's files were made from, so a build with nothing new writes nothing.

A rebuild with no new, changed or removed article used to join and draw everything
again and write the same bytes (over a second, and more as a command). The
manifest (``.geomap-outputs.json`` in the output folder) keeps a fingerprint of
everything the outputs depend on — the articles' paths and content hashes, the
build options, geomap's code and data, the rendering libraries' versions — and
each written file's size and modification time. When the fingerprint is the same
and no file was touched since, the outputs are current. It is removed before
outputs are written and recorded after, so an interrupted build is redone.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib import metadata, resources
from pathlib import Path

from geomap.articles import Article
from geomap.files import write_whole

MANIFEST_NAME = ".geomap-outputs.json"
#: Libraries whose versions can change the outputs' bytes.
RENDERING_LIBRARIES = ("folium", "branca", "matplotlib", "geopandas", "shapely", "pandas")


def fingerprint(results_version: str, articles: Iterable[Article], options: Mapping) -> str:
    """A hash of everything the outputs of a build depend on."""
    digest = hashlib.sha256(results_version.encode())
    digest.update(code_and_data().encode())
    digest.update(json.dumps(dict(options), sort_keys=True, default=str).encode())
    for article in articles:
        digest.update(f"\n{article.path}\t{article.sha256}".encode())
    return digest.hexdigest()


@functools.cache
def code_and_data() -> str:
    """geomap's modules and data files, and the rendering libraries' versions, as one hash."""
    digest = hashlib.sha256()
    for library in RENDERING_LIBRARIES:
        digest.update(f"{library} {metadata.version(library)}\n".encode())
    for package in ("geomap", "geomap.data"):
        for entry in sorted(resources.files(package).iterdir(), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith(_SOURCES):
                digest.update(entry.name.encode() + entry.read_bytes())
    return digest.hexdigest()


_SOURCES = (".py", ".csv", ".json", ".geojson", ".txt")


def is_current(out: Path, expected: str) -> bool:
    """True when ``out`` holds the outputs of a build with fingerprint ``expected``, untouched."""
    try:
        manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        return manifest["fingerprint"] == expected and all(
            list(_stamp(out / name)) == stamp for name, stamp in manifest["files"].items()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def forget(out: Path) -> None:
    """Remove the manifest: the outputs are about to change."""
    with contextlib.suppress(FileNotFoundError):
        (out / MANIFEST_NAME).unlink()


def record(out: Path, made_from: str, written: Iterable[Path]) -> None:
    """Write the manifest of the files just ``written`` into ``out``."""
    files = {path.name: list(_stamp(path)) for path in written}
    text = json.dumps({"fingerprint": made_from, "files": files}, indent=1, sort_keys=True)
    write_whole(out / MANIFEST_NAME, text + "\n")


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns
